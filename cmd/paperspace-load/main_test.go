package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		// wantErr is text the error must contain, or "" for none.
		wantErr string
		check   func(t *testing.T, cfg config)
	}{
		{
			name: "defaults",
			check: func(t *testing.T, cfg config) {
				if cfg.operations != 2000 || cfg.inFlight != 50 || cfg.scenario != scenarioSlash || cfg.runs != 1 || cfg.templates != 5000 {
					t.Errorf("defaults = %+v, want 2000 operations, 50 in flight, slash, 1 run, 5000 templates", cfg)
				}
			},
		},
		{
			name: "every setting",
			args: []string{"-n", "10", "-c", "2", "-scenario", "search", "-runs", "3", "-refresh", "-redeliver",
				"-templates", "7", "-warmup", "4", "-op-timeout", "3s", "-log-level", "warn", "-env", "GOGC=50", "-env", "A=b=c"},
			check: func(t *testing.T, cfg config) {
				if cfg.operations != 10 || cfg.inFlight != 2 || cfg.scenario != scenarioSearch || cfg.runs != 3 {
					t.Errorf("cfg = %+v, want -n 10 -c 2 search 3 runs", cfg)
				}
				if !cfg.refresh || !cfg.redeliver || cfg.templates != 7 || cfg.warmup != 4 || cfg.opTimeout != 3*time.Second || cfg.logLevel != "warn" {
					t.Errorf("cfg = %+v, want refresh, redeliver, 7 templates, 4 warm-up, 3s, warn", cfg)
				}
				if cfg.botEnv["GOGC"] != "50" || cfg.botEnv["A"] != "b=c" {
					t.Errorf("botEnv = %v, want GOGC=50 and A=b=c", cfg.botEnv)
				}
			},
		},
		{name: "zero operations", args: []string{"-n", "0"}, wantErr: "-n must be at least 1"},
		{name: "zero in flight", args: []string{"-c", "0"}, wantErr: "-c must be at least 1"},
		{name: "unknown scenario", args: []string{"-scenario", "chaos"}, wantErr: `-scenario "chaos" is invalid`},
		{name: "no runs", args: []string{"-runs", "0"}, wantErr: "-runs must be at least 1"},
		{name: "too many templates", args: []string{"-templates", "100001"}, wantErr: "-templates must be from 1 to 100000"},
		{name: "negative warm-up", args: []string{"-warmup", "-1"}, wantErr: "-warmup must not be negative"},
		{name: "zero timeout", args: []string{"-op-timeout", "0s"}, wantErr: "-op-timeout must be positive"},
		{name: "bad log level", args: []string{"-log-level", "loud"}, wantErr: `-log-level "loud" is invalid`},
		{name: "env without value", args: []string{"-env", "GOGC"}, wantErr: `"GOGC" is not KEY=VALUE`},
		{name: "two problems at once", args: []string{"-n", "0", "-c", "0"}, wantErr: "-n must be at least 1, not 0; -c must be at least 1"},
		{name: "stray argument", args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseFlags error = %v, want none", err)
				}
				tt.check(t, cfg)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	var stderr strings.Builder
	if _, err := parseFlags([]string{"-h"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseFlags(-h) error = %v, want flag.ErrHelp", err)
	}
	if code := run([]string{"-h"}, io.Discard, io.Discard); code != 0 {
		t.Errorf("run(-h) = %d, want 0", code)
	}
	if !strings.Contains(stderr.String(), "-scenario") {
		t.Errorf("help text does not describe -scenario:\n%s", stderr.String())
	}
	if code := run([]string{"-n", "0"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("run(-n 0) = %d, want 2", code)
	}
}

func TestWithoutRaceFlag(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"no GOFLAGS", []string{"PATH=/bin"}, []string{"PATH=/bin"}},
		{"race alone", []string{"GOFLAGS=-race"}, []string{"GOFLAGS="}},
		{"race among others", []string{"GOFLAGS=-mod=mod -race -count=1"}, []string{"GOFLAGS=-mod=mod -count=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withoutRaceFlag(tt.env)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("withoutRaceFlag(%q) = %q, want %q", tt.env, got, tt.want)
			}
		})
	}
}
