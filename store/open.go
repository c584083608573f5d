package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/rs/zerolog"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultSQLiteFile is the database file that Open uses for an empty URL,
// relative to the working folder.
const DefaultSQLiteFile = "paperspace-bot.db"

// sqliteBusyTimeout is how long a SQLite write waits for another writer's
// lock before it fails with SQLITE_BUSY. Writes hold the lock for
// milliseconds, so only a stuck process should reach it.
const sqliteBusyTimeout = 10 * time.Second

// postgresConnectTimeout bounds each new PostgreSQL connection when the URL
// sets no connect_timeout, so that an unreachable server fails Open instead
// of hanging on the operating system's TCP timeout.
const postgresConnectTimeout = 10 * time.Second

// maxOpenConns is the connection pool size for either database.
const maxOpenConns = 10

// Option configures Open.
type Option func(*options)

type options struct {
	now func() time.Time
	log zerolog.Logger
}

// WithClock sets the clock for CreatedAt, UpdatedAt, audit rows and envelope
// claims. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithLogger sets the logger for migrations and retried writes. The default
// discards everything.
func WithLogger(log zerolog.Logger) Option {
	return func(o *options) { o.log = log }
}

// acceptedURLForms lists the forms of databaseURL that Open accepts, for
// its error message.
const acceptedURLForms = `"" (the SQLite file ` + DefaultSQLiteFile + ` in the working folder), postgres://…, postgresql://…, sqlite://PATH, sqlite:PATH, file:PATH or a plain file path`

// urlScheme matches a URL scheme of two or more characters. A single letter
// is left out, so a Windows path such as C:\bot.db reads as a path.
var urlScheme = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+):`)

// Open connects to the database that databaseURL names, applies the schema
// migrations it lacks, and checks that it can write.
//
// An empty databaseURL means the SQLite file paperspace-bot.db in the
// working folder. A URL starting with postgres:// or postgresql:// means
// PostgreSQL, in any form that pgx accepts. sqlite://PATH, sqlite:PATH,
// file:PATH or a plain PATH means a SQLite file at PATH. All the text after
// the prefix is the path, because Open reads no SQLite query parameters. Any
// other scheme is an error.
//
// Errors start with "open store:" and name the database that failed and the
// reason, for example that the SQLite file is read-only or that PostgreSQL
// at a given host and port refused the connection. They never contain the
// password from databaseURL.
func Open(ctx context.Context, databaseURL string, opts ...Option) (Store, error) {
	o := options{now: time.Now, log: zerolog.Nop()}
	for _, opt := range opts {
		opt(&o)
	}

	kind, target, err := parseDatabaseURL(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if kind == "postgres" {
		return openPostgres(ctx, target, o)
	}
	return openSQLite(ctx, target, o)
}

// parseDatabaseURL returns "sqlite" and a file path, or "postgres" and the
// URL unchanged.
func parseDatabaseURL(databaseURL string) (kind, target string, err error) {
	if databaseURL == "" {
		return "sqlite", DefaultSQLiteFile, nil
	}

	lower := strings.ToLower(databaseURL)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return "postgres", databaseURL, nil
	}

	var path string
	switch {
	case strings.HasPrefix(lower, "sqlite://"):
		path = databaseURL[len("sqlite://"):]
	case strings.HasPrefix(lower, "sqlite:"):
		path = databaseURL[len("sqlite:"):]
	case strings.HasPrefix(lower, "file:"):
		path = databaseURL[len("file:"):]
	case urlScheme.MatchString(databaseURL):
		scheme := urlScheme.FindStringSubmatch(databaseURL)[1]
		return "", "", fmt.Errorf("unsupported database URL scheme %q: use %s", scheme, acceptedURLForms)
	default:
		path = databaseURL
	}
	if path == "" {
		return "", "", fmt.Errorf("database URL %q names no file: use %s", databaseURL, acceptedURLForms)
	}
	return "sqlite", filepath.Clean(path), nil
}

// openSQLite opens the SQLite file at path, creating it when missing.
func openSQLite(ctx context.Context, path string, o options) (Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store: database file %s: %w", path, err)
	}

	dir := filepath.Dir(abs)
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open store: folder %s of database file %s does not exist: create it or set DATABASE_URL", dir, abs)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: folder %s of database file %s: %w", dir, abs, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("open store: %s, the folder of database file %s, is not a folder", dir, abs)
	}
	if info, err := os.Stat(abs); err == nil && info.IsDir() {
		return nil, fmt.Errorf("open store: database file %s is a folder", abs)
	}

	db, err := sql.Open("sqlite", sqliteDSN(abs))
	if err != nil {
		return nil, fmt.Errorf("open store: database file %s: %w", abs, err)
	}
	db.SetMaxOpenConns(maxOpenConns)

	s := newSQLStore(db, sqliteDialect, o)
	mode, err := enableWAL(ctx, db)
	if err == nil {
		err = s.migrate(ctx)
	}
	if err == nil && mode != "wal" {
		err = fmt.Errorf("journal mode is %q after setting WAL", mode)
	}
	if err != nil {
		_ = db.Close()
		return nil, describeSQLiteOpenError(abs, err)
	}
	return s, nil
}

// enableWAL switches the database to write-ahead logging and returns the
// journal mode that SQLite reports afterwards.
//
// The mode is stored in the file, so this runs once at open rather than on
// every new connection. Switching needs an exclusive lock, and SQLite
// returns SQLITE_BUSY at once, without waiting for the busy timeout, when
// another connection is switching a new file at the same moment. A busy
// error is therefore retried until sqliteBusyTimeout has passed.
func enableWAL(ctx context.Context, db *sql.DB) (string, error) {
	deadline := time.Now().Add(sqliteBusyTimeout)
	backoff := 5 * time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil {
			return strings.ToLower(mode), nil
		}
		if sqliteCode(err) != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return "", fmt.Errorf("enable WAL: %w", err)
		}

		select {
		case <-ctx.Done():
			return "", fmt.Errorf("enable WAL: %w", ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// sqliteCode returns the primary SQLite result code in err, or 0.
func sqliteCode(err error) int {
	var serr *sqlite.Error
	if errors.As(err, &serr) {
		return serr.Code() & 0xff
	}
	return 0
}

// sqliteDSN returns the modernc.org/sqlite data source name for the file at
// the absolute path abs.
//
// The busy timeout makes a writer wait for the lock instead of failing.
// _txlock=immediate starts every transaction with BEGIN IMMEDIATE, which
// takes the write lock at once. Without it, two transactions that read and
// then write could both hold a read lock, and one would fail with
// SQLITE_BUSY when it tries to write. synchronous=FULL syncs the WAL at every
// commit, so that a committed "creating" row survives a power loss. WAL
// itself is set by enableWAL.
func sqliteDSN(abs string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10))
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "FULL")
	return u.String() + "?" + q.Encode()
}

// describeSQLiteOpenError adds to err what the owner of the file at abs
// needs to know to fix it.
func describeSQLiteOpenError(abs string, err error) error {
	const walHint = "the bot must be able to write the file and its folder, where SQLite keeps the -wal and -shm files"
	dir := filepath.Dir(abs)

	switch code := sqliteCode(err); {
	case code == sqlite3.SQLITE_READONLY || code == sqlite3.SQLITE_PERM || errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("open store: database file %s is read-only: %w (%s)", abs, err, walHint)
	case code == sqlite3.SQLITE_CANTOPEN && !fileExists(abs) && !folderWritable(dir):
		return fmt.Errorf("open store: folder %s is read-only, so database file %s cannot be created: %w (%s)", dir, abs, err, walHint)
	case code == sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("open store: cannot open database file %s: %w (%s)", abs, err, walHint)
	case code == sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("open store: %s is not a SQLite database: %w", abs, err)
	default:
		return fmt.Errorf("open store: database file %s: %w", abs, err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// folderWritable reports whether a file can be created in dir, by creating
// and removing one. Permission bits alone do not tell, because root and
// read-only mounts ignore them in opposite directions.
func folderWritable(dir string) bool {
	f, err := os.CreateTemp(dir, ".paperspace-bot-write-check-*")
	if err != nil {
		return false
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	return true
}

// openPostgres connects to PostgreSQL at databaseURL.
func openPostgres(ctx context.Context, databaseURL string, o options) (Store, error) {
	passwords := urlPasswords(databaseURL)

	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open store: invalid PostgreSQL URL: %w", redact(err, passwords))
	}
	if cfg.Password != "" {
		passwords = append(passwords, cfg.Password)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgresConnectTimeout
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))

	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxOpenConns)

	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store: connect to PostgreSQL at %s: %w", addr, redact(err, passwords))
	}

	s := newSQLStore(db, postgresDialect, o)
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store: PostgreSQL at %s: %w", addr, redact(err, passwords))
	}
	return s, nil
}

// urlPasswords returns the password in a postgres:// URL as written and
// percent-decoded, or nothing. It reads the text between the first ":" and
// the first "@" after "://", so it finds the password also in a URL that
// net/url or pgx cannot parse.
func urlPasswords(databaseURL string) []string {
	_, rest, ok := strings.Cut(databaseURL, "://")
	if !ok {
		return nil
	}
	userinfo, _, ok := strings.Cut(rest, "@")
	if !ok {
		return nil
	}
	_, password, ok := strings.Cut(userinfo, ":")
	if !ok || password == "" {
		return nil
	}

	passwords := []string{password}
	if decoded, err := url.PathUnescape(password); err == nil && decoded != password {
		passwords = append(passwords, decoded)
	}
	return passwords
}

// redactedError hides passwords in the text of the error it wraps, and
// keeps the error itself for errors.Is and errors.As.
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every occurrence of each password in its text
// replaced by "xxxxx". pgx v5.13 leaves the password out of connection
// errors and masks it in URL parse errors where it can. This is a second
// guard, for a message that quotes the URL in a form pgx does not recognize.
func redact(err error, passwords []string) error {
	text := err.Error()
	for _, password := range passwords {
		if password != "" {
			text = strings.ReplaceAll(text, password, "xxxxx")
		}
	}
	if text == err.Error() {
		return err
	}
	return &redactedError{text: text, err: err}
}
