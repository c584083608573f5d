package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrationFiles holds the schema of each dialect as numbered SQL files,
// migrations/<dialect>/<version>_<name>.sql. A released file never changes:
// a schema change is a new file with the next version.
//
//go:embed migrations
var migrationFiles embed.FS

// migration is one schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the migrations of dialect d in version order.
func loadMigrations(d dialect) ([]migration, error) {
	dir := path.Join("migrations", d.name)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}

	var migrations []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		prefix, _, _ := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("read migrations: file %s does not start with a positive version number", name)
		}
		text, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migrations: %w", err)
		}
		migrations = append(migrations, migration{version: version, name: name, sql: string(text)})
	}

	sort.Slice(migrations, func(i, j int) bool { return migrations[i].version < migrations[j].version })
	for i := 1; i < len(migrations); i++ {
		if migrations[i].version == migrations[i-1].version {
			return nil, fmt.Errorf("read migrations: files %s and %s have the same version", migrations[i-1].name, migrations[i].name)
		}
	}
	return migrations, nil
}

// migrate applies the migrations that the database lacks, each in its own
// transaction, and writes a row to schema_migrations for each.
//
// Two processes may start together. Each migration transaction therefore
// first takes the dialect's lock (a PostgreSQL advisory lock, or SQLite's
// write lock from BEGIN IMMEDIATE) and only then reads which versions are
// applied, so the second process finds the first one's work done.
//
// Every run writes to the database, even with nothing to apply, so a
// database that cannot be written fails here, at open, and not at the first
// request.
func (s *sqlStore) migrate(ctx context.Context) error {
	migrations, err := loadMigrations(s.dialect)
	if err != nil {
		return err
	}

	for {
		applied, err := s.migrateNext(ctx, migrations)
		if err != nil {
			return err
		}
		if !applied {
			return nil
		}
	}
}

// migrateNext applies the first missing migration and reports whether there
// was one.
func (s *sqlStore) migrateNext(ctx context.Context, migrations []migration) (applied bool, err error) {
	tx, err := s.db.BeginTx(ctx, s.dialect.txOptions)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()

	if s.dialect.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.lockMigrations); err != nil {
			return false, fmt.Errorf("lock migrations: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.dialect.createMigrationsTable); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}

	var current sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&current); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}

	next := s.nextMigration(migrations, int(current.Int64))
	if next == nil {
		if err := s.checkWritable(ctx, tx); err != nil {
			return false, err
		}
		if err := tx.Commit(); err != nil {
			return false, fmt.Errorf("commit migration check: %w", err)
		}
		return false, nil
	}

	if _, err := tx.ExecContext(ctx, next.sql); err != nil {
		return false, fmt.Errorf("apply migration %s: %w", next.name, err)
	}
	if _, err := tx.ExecContext(ctx, s.dialect.rebind("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"),
		next.version, s.dialect.timeArg(s.now())); err != nil {
		return false, fmt.Errorf("record migration %s: %w", next.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %s: %w", next.name, err)
	}

	s.log.Info().Int("version", next.version).Str("migration", next.name).Str("database", s.dialect.name).Msg("applied schema migration")
	return true, nil
}

// nextMigration returns the first migration after version current, or nil.
func (s *sqlStore) nextMigration(migrations []migration, current int) *migration {
	for i := range migrations {
		if migrations[i].version > current {
			return &migrations[i]
		}
	}
	return nil
}

// errNoMigrationRow means that schema_migrations has no row to rewrite.
var errNoMigrationRow = errors.New("schema_migrations is empty")

// checkWritable rewrites the latest schema_migrations row unchanged, which
// fails on a read-only database.
func (s *sqlStore) checkWritable(ctx context.Context, tx *sql.Tx) error {
	res, err := tx.ExecContext(ctx,
		"UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)")
	if err != nil {
		return fmt.Errorf("write to schema_migrations: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("write to schema_migrations: %w", err)
	}
	if n != 1 {
		return fmt.Errorf("write to schema_migrations: %w", errNoMigrationRow)
	}
	return nil
}
