package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

func TestParseDatabaseURL(t *testing.T) {
	tests := []struct {
		in         string
		wantKind   string
		wantTarget string
		wantErr    string
	}{
		{"", "sqlite", DefaultSQLiteFile, ""},
		{"bot.db", "sqlite", "bot.db", ""},
		{"./data/bot.db", "sqlite", "data/bot.db", ""},
		{"/var/lib/bot/bot.db", "sqlite", "/var/lib/bot/bot.db", ""},
		{"sqlite:///var/lib/bot.db", "sqlite", "/var/lib/bot.db", ""},
		{"sqlite://bot.db", "sqlite", "bot.db", ""},
		{"sqlite:bot.db", "sqlite", "bot.db", ""},
		{"SQLite:bot.db", "sqlite", "bot.db", ""},
		{"file:/tmp/bot.db", "sqlite", "/tmp/bot.db", ""},
		{"file:bot.db", "sqlite", "bot.db", ""},
		{`C:\bot\bot.db`, "sqlite", `C:\bot\bot.db`, ""},
		{"postgres://u:p@db:5432/bot", "postgres", "postgres://u:p@db:5432/bot", ""},
		{"postgresql://db/bot?sslmode=require", "postgres", "postgresql://db/bot?sslmode=require", ""},
		{"mysql://u:p@db/bot", "", "", `unsupported database URL scheme "mysql"`},
		{"sqlserver://db", "", "", `unsupported database URL scheme "sqlserver"`},
		{"sqlite://", "", "", "names no file"},
		{"file:", "", "", "names no file"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			kind, target, err := parseDatabaseURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseDatabaseURL(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "postgres://") || !strings.Contains(err.Error(), "sqlite:PATH") {
					t.Errorf("error %q does not list the accepted forms", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDatabaseURL(%q): %v", tt.in, err)
			}
			if kind != tt.wantKind || target != tt.wantTarget {
				t.Errorf("parseDatabaseURL(%q) = %q, %q, want %q, %q", tt.in, kind, target, tt.wantKind, tt.wantTarget)
			}
		})
	}
}

func TestRedactPassword(t *testing.T) {
	tests := []struct {
		name string
		url  string
		err  string
		want string
	}{
		{"plain", "postgres://u:secret@db/x", "cannot parse postgres://u:secret@db/x", "cannot parse postgres://u:xxxxx@db/x"},
		{"unparseable port", "postgres://u:secret@db:port/x", "bad `u:secret@db:port`", "bad `u:xxxxx@db:port`"},
		{"percent-encoded", "postgres://u:p%40ss@db/x", "user u password p@ss and p%40ss", "user u password xxxxx and xxxxx"},
		{"no password", "postgres://u@db/x", "user u at db", "user u at db"},
		{"no user", "postgres://db/x", "db unreachable", "db unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause := errors.New(tt.err)
			err := redact(cause, urlPasswords(tt.url))
			if got := err.Error(); got != tt.want {
				t.Errorf("redact = %q, want %q", got, tt.want)
			}
			if !errors.Is(err, cause) {
				t.Error("redacted error does not wrap the cause")
			}
		})
	}
}

func TestRebind(t *testing.T) {
	tests := []struct {
		d    dialect
		in   string
		want string
	}{
		{sqliteDialect, "SELECT doc FROM requests WHERE id = ? AND state = ?", "SELECT doc FROM requests WHERE id = ? AND state = ?"},
		{postgresDialect, "SELECT doc FROM requests WHERE id = ? AND state = ?", "SELECT doc FROM requests WHERE id = $1 AND state = $2"},
		{postgresDialect, "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
		{postgresDialect, "SELECT 1", "SELECT 1"},
	}
	for _, tt := range tests {
		t.Run(tt.d.name+" "+tt.in, func(t *testing.T) {
			if got := tt.d.rebind(tt.in); got != tt.want {
				t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestNormalizeRequestTimes fails when Request gains a time field that
// normalizeRequestTimes does not list.
func TestNormalizeRequestTimes(t *testing.T) {
	local := time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.FixedZone("UTC-3", -3*3600))
	want := local.UTC().Truncate(time.Microsecond)

	var r paperspacebot.Request
	v := reflect.ValueOf(&r).Elem()
	timeType := reflect.TypeFor[time.Time]()
	for i := range v.NumField() {
		if v.Field(i).Type() == timeType {
			v.Field(i).Set(reflect.ValueOf(local))
		}
	}

	normalizeRequestTimes(&r)

	for i := range v.NumField() {
		if v.Field(i).Type() != timeType {
			continue
		}
		name := v.Type().Field(i).Name
		got := v.Field(i).Interface().(time.Time)
		if !got.Equal(want) || got.Location() != time.UTC || got.Nanosecond() != want.Nanosecond() {
			t.Errorf("%s = %v, want %v in UTC", name, got, want)
		}
	}
}

func TestSQLiteTimeOrder(t *testing.T) {
	// Text order must be time order, including across fraction lengths
	// that time.RFC3339Nano would trim.
	times := []time.Time{
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 0, 100000000, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 0, 120000000, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 1, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a := sqliteDialect.timeArg(times[i-1]).(string)
		b := sqliteDialect.timeArg(times[i]).(string)
		if a >= b {
			t.Errorf("%q >= %q, want text order to follow time order", a, b)
		}
	}

	var back time.Time
	if err := (scanTime{&back}).Scan(sqliteDialect.timeArg(times[3])); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if !back.Equal(times[3]) {
		t.Errorf("round trip = %v, want %v", back, times[3])
	}
}
