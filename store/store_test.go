package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the test schema setup

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/store"
	"github.com/paperspace-bot/paperspace-bot/store/storetest"
)

func TestSQLite(t *testing.T) {
	// Each new database uses the next of the accepted URL forms.
	forms := []func(path string) string{
		func(path string) string { return path },
		func(path string) string { return "sqlite://" + path },
		func(path string) string { return "sqlite:" + path },
		func(path string) string { return "file:" + path },
	}
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) string {
		form := forms[int(n.Add(1))%len(forms)]
		return form(filepath.Join(t.TempDir(), "test.db"))
	})
}

func TestPostgres(t *testing.T) {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("TEST_DATABASE_URL is not set: run .ci/start-postgres.sh as root to start a local PostgreSQL, and set TEST_DATABASE_URL to the URL it prints")
	}

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })

	// The store must work whatever isolation level the server defaults to.
	for _, isolation := range []string{"", "repeatable read", "serializable"} {
		name := "default isolation"
		if isolation != "" {
			name = isolation + " isolation"
		}
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) string {
				return newPostgresSchema(t, admin, base, isolation)
			})
		})
	}
}

// newPostgresSchema creates an empty schema, drops it when t ends, and
// returns base with the schema as its search_path and, unless empty,
// isolation as the default transaction isolation level.
func newPostgresSchema(t *testing.T, admin *sql.DB, base, isolation string) string {
	t.Helper()
	ctx := context.Background()

	// NewID returns only letters and digits, so the name needs no quoting.
	schema := "storetest_" + store.NewID()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	if isolation != "" {
		q.Set("default_transaction_isolation", isolation)
	}
	// pgx reads "+" in a query value literally, so spaces are sent as %20.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notADatabase := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notADatabase, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		url  string
		want string
	}{
		{"mysql", "mysql://u:secret@127.0.0.1/db", `open store: unsupported database URL scheme "mysql": use "" (the SQLite file paperspace-bot.db`},
		{"unknown scheme", "db:test.db", `unsupported database URL scheme "db"`},
		{"empty path", "sqlite://", "names no file"},
		{"missing folder", filepath.Join(dir, "missing", "bot.db"), "folder " + filepath.Join(dir, "missing") + " of database file " + filepath.Join(dir, "missing", "bot.db") + " does not exist"},
		{"folder as file", dir, "database file " + dir + " is a folder"},
		{"not a database", notADatabase, notADatabase + " is not a SQLite database"},
		{"postgres unreachable", "postgres://u:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=5", "open store: connect to PostgreSQL at 127.0.0.1:1: "},
		{"postgres bad port", "postgres://u:secret@127.0.0.1:port/db", "open store: invalid PostgreSQL URL: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.Open(context.Background(), tt.url)
			if err == nil {
				_ = st.Close()
				t.Fatalf("Open(%q) succeeded, want an error containing %q", tt.url, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) error = %q, want it to contain %q", tt.url, err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("Open(%q) error = %q, which contains the password", tt.url, err)
			}
		})
	}
}

func TestOpenPostgresAuthError(t *testing.T) {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("TEST_DATABASE_URL is not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}

	const wrongPassword = "wrong-pass-7f3k"
	tests := []struct {
		name   string
		modify func(u *url.URL)
	}{
		{"wrong password", func(u *url.URL) { u.User = url.UserPassword(u.User.Username(), wrongPassword) }},
		{"missing database", func(u *url.URL) {
			u.User = url.UserPassword(u.User.Username(), wrongPassword)
			u.Path = "/no_such_database"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := *u
			tt.modify(&bad)
			st, err := store.Open(context.Background(), bad.String())
			if err == nil {
				_ = st.Close()
				t.Fatal("Open succeeded, want an error")
			}
			want := "open store: connect to PostgreSQL at " + u.Host
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error = %q, want it to contain %q", err, want)
			}
			if strings.Contains(err.Error(), wrongPassword) {
				t.Errorf("error = %q, which contains the password", err)
			}
		})
	}
}

func TestOpenDefaultFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)

	st, err := store.Open(context.Background(), "")
	if err != nil {
		t.Fatalf("Open(\"\"): %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })

	if _, err := os.Stat(filepath.Join(dir, store.DefaultSQLiteFile)); err != nil {
		t.Errorf("database file in the working folder: %v", err)
	}
}

func TestNewID(t *testing.T) {
	pattern := regexp.MustCompile(`^r[a-z0-9]{10}$`)
	seen := make(map[string]bool)
	for range 10000 {
		id := store.NewID()
		if !pattern.MatchString(id) {
			t.Fatalf("NewID() = %q, want the form %s", id, pattern)
		}
		if seen[id] {
			t.Fatalf("NewID() returned %q twice", id)
		}
		seen[id] = true
	}
}

func TestConflictErrorMessage(t *testing.T) {
	tests := []struct {
		state paperspacebot.State
		want  string
	}{
		{paperspacebot.StateDenied, "request r1 is already denied"},
		{paperspacebot.StateCreating, "request r1 is already being created"},
		{paperspacebot.StateUnknown, "request r1 is already in state unknown"},
		{paperspacebot.StateDryRun, "request r1 is already done as a dry run"},
		{paperspacebot.StateReady, "request r1 is already ready"},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			var err error = &store.ConflictError{Current: &paperspacebot.Request{ID: "r1", State: tt.state}}
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(err, store.ErrConflict) {
				t.Error("errors.Is(err, ErrConflict) = false, want true")
			}
			if wrapped := fmt.Errorf("approve: %w", err); !errors.Is(wrapped, store.ErrConflict) {
				t.Error("errors.Is(wrapped, ErrConflict) = false, want true")
			}
		})
	}
}
