package main

import (
	"os"
	"testing"
	"time"
)

func TestParseProcStatus(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    memoryUsage
		wantErr bool
	}{
		{
			name:   "all fields",
			status: "Name:\tpaperspace-bot\nVmPeak:\t 1290412 kB\nVmHWM:\t   30720 kB\nVmRSS:\t   20480 kB\nRssAnon:\t   12288 kB\nRssFile:\t    8192 kB\n",
			want:   memoryUsage{PeakRSS: 30720 << 10, RSS: 20480 << 10, AnonRSS: 12288 << 10, FileRSS: 8192 << 10},
		},
		{
			name:   "kernel without RssAnon",
			status: "VmHWM:\t 1024 kB\nVmRSS:\t 512 kB\n",
			want:   memoryUsage{PeakRSS: 1024 << 10, RSS: 512 << 10},
		},
		{name: "VmHWM missing", status: "VmRSS:\t 512 kB\n", wantErr: true},
		{name: "not kilobytes", status: "VmHWM:\t 1024 MB\nVmRSS:\t 512 kB\n", wantErr: true},
		{name: "not a number", status: "VmHWM:\t many kB\nVmRSS:\t 512 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStatus([]byte(tt.status))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("usage = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{
			name: "plain name",
			stat: "1234 (paperspace-bot) S 1 1234 1234 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 8 0 1000 0 0",
			want: 1750 * time.Millisecond,
		},
		{
			name: "name with spaces and parentheses",
			stat: "1234 (a (b) c) R 1 1234 1234 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 8 0 1000 0 0",
			want: 100 * time.Millisecond,
		},
		{name: "no name", stat: "1234 S 1", wantErr: true},
		{name: "too few fields", stat: "1234 (x) S 1 2 3", wantErr: true},
		{name: "bad number", stat: "1234 (x) S 1 1234 1234 0 -1 4194560 100 0 0 0 x 25 0 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.stat))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("CPU time = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseHostBusyTime(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{
			name: "idle and iowait left out",
			stat: "cpu  100 10 50 5000 40 5 5 30 0 0\ncpu0 50 5 25 2500 20 2 2 15 0 0\n",
			want: 2 * time.Second,
		},
		{name: "per-CPU line first", stat: "cpu0 1 2 3 4 5 6 7 8\n", wantErr: true},
		{name: "too few columns", stat: "cpu 1 2 3\n", wantErr: true},
		{name: "bad number", stat: "cpu 1 2 x 4 5 6 7 8\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHostBusyTime([]byte(tt.stat))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("busy time = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadOwnProcess(t *testing.T) {
	// The test process takes the bot's place: its /proc files have the
	// same format.
	usage, err := readMemoryUsage(os.Getpid())
	if err != nil {
		t.Fatalf("readMemoryUsage: %v", err)
	}
	if usage.PeakRSS <= 0 || usage.RSS <= 0 || usage.RSS > usage.PeakRSS {
		t.Errorf("usage = %+v, want 0 < RSS <= PeakRSS", usage)
	}
	if _, err := readCPUTime(os.Getpid()); err != nil {
		t.Errorf("readCPUTime: %v", err)
	}
	if total, err := readMemTotal(); err != nil || total <= 0 {
		t.Errorf("readMemTotal = %d, %v; want a positive size", total, err)
	}
}
