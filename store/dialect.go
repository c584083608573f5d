package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dialect holds what differs between SQLite and PostgreSQL. The queries
// themselves are shared: they are written once with "?" placeholders.
type dialect struct {
	// name is "sqlite" or "postgres", and also the migrations folder.
	name string
	// dollarPlaceholders makes rebind turn "?" into "$1", "$2", ….
	dollarPlaceholders bool
	// lockMigrations runs first in every migration transaction to keep two
	// processes from migrating at once. Empty means that the transaction
	// itself is exclusive.
	lockMigrations string
	// createMigrationsTable creates schema_migrations if it is missing.
	createMigrationsTable string
	// timeArg converts a UTC, microsecond time to a query argument.
	timeArg func(time.Time) any
	// txOptions are the options of every transaction that writes.
	txOptions *sql.TxOptions
}

// sqliteTimeLayout is RFC 3339 with a fixed six-digit fraction and "Z".
// Because every value has the same width, text order is time order, which
// the comparisons in ListRequests and PruneEnvelopes rely on.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

var sqliteDialect = dialect{
	name: "sqlite",
	// Transactions on SQLite start with BEGIN IMMEDIATE (the _txlock DSN
	// parameter), which takes the database's write lock, so migrations
	// need no extra lock.
	lockMigrations: "",
	createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL
)`,
	timeArg: func(t time.Time) any { return t.Format(sqliteTimeLayout) },
}

// migrationLockID is the PostgreSQL advisory lock key that migrations hold.
// It is the ASCII text "psbotmig" read as a big-endian integer, chosen only
// to be unlikely to clash with another application's key.
const migrationLockID = 0x7073626f746d6967

var postgresDialect = dialect{
	name:               "postgres",
	dollarPlaceholders: true,
	lockMigrations:     "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(migrationLockID, 10) + ")",
	createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	applied_at TIMESTAMPTZ NOT NULL
)`,
	timeArg: func(t time.Time) any { return t },
	// Writes rely on READ COMMITTED, where a conditional update or an
	// INSERT … ON CONFLICT that lost a race matches no row. Under a server
	// default of REPEATABLE READ or SERIALIZABLE they would fail with a
	// serialization error instead, which the store does not retry.
	txOptions: &sql.TxOptions{Isolation: sql.LevelReadCommitted},
}

// rebind returns query with its "?" placeholders numbered for PostgreSQL.
// The shared queries contain no "?" inside string literals.
func (d dialect) rebind(query string) string {
	if !d.dollarPlaceholders {
		return query
	}

	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// nullableTime converts t to a query argument, or to NULL when t is zero.
func (d dialect) nullableTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.timeArg(normalizeTime(t))
}

// normalizeTime returns t in UTC, truncated to the microsecond. A zero time
// stays zero.
func normalizeTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// scanTime reads a time column from either database: PostgreSQL returns a
// time.Time, SQLite the text written with sqliteTimeLayout.
type scanTime struct {
	dest *time.Time
}

var _ sql.Scanner = scanTime{}

// Scan implements sql.Scanner.
func (s scanTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.dest = time.Time{}
	case time.Time:
		*s.dest = normalizeTime(v)
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("scan time: unsupported column type %T", src)
	}
	return nil
}

func (s scanTime) parse(text string) error {
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*s.dest = normalizeTime(t)
	return nil
}
