package paperspace_test

import (
	"encoding/json"
	"testing"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

func TestByteCountUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		json string
		want paperspace.ByteCount
	}{
		{"string of digits", `"8589938688"`, 8589938688},
		{"number", `8589938688`, 8589938688},
		{"null", `null`, 0},
		{"empty string", `""`, 0},
		{"zero", `0`, 0},
		{"float number", `1.5e3`, 1500},
		{"float string", `"2048.0"`, 2048},
		{"above 2^53 keeps precision", `"9007199254740993"`, 9007199254740993},
		{"max int64", `"9223372036854775807"`, 9223372036854775807},
		{"negative", `-5`, -5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := paperspace.ByteCount(42)
			if err := json.Unmarshal([]byte(tt.json), &got); err != nil {
				t.Fatalf("Unmarshal(%s) error: %v", tt.json, err)
			}
			if got != tt.want {
				t.Errorf("Unmarshal(%s) = %d, want %d", tt.json, got, tt.want)
			}
		})
	}
}

func TestByteCountUnmarshalRejects(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"letters", `"8 GB"`},
		{"bool", `true`},
		{"object", `{"bytes":1}`},
		{"array", `[1]`},
		{"overflow", `"1e30"`},
		{"infinity", `"Inf"`},
		{"not a number", `"NaN"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got paperspace.ByteCount
			if err := json.Unmarshal([]byte(tt.json), &got); err == nil {
				t.Errorf("Unmarshal(%s) = %d, want an error", tt.json, got)
			}
		})
	}
}

func TestByteCountInStruct(t *testing.T) {
	var machine paperspace.Machine
	body := `{"ram":"8589938688","storageTotal":53687091200,"storageUsed":null}`
	if err := json.Unmarshal([]byte(body), &machine); err != nil {
		t.Fatalf("Unmarshal error: %v", err)
	}
	if machine.RAM != 8589938688 {
		t.Errorf("RAM = %d, want 8589938688", machine.RAM)
	}
	if machine.StorageTotal != 53687091200 {
		t.Errorf("StorageTotal = %d, want 53687091200", machine.StorageTotal)
	}
	if machine.StorageUsed != 0 {
		t.Errorf("StorageUsed = %d, want 0", machine.StorageUsed)
	}
}

func TestByteCountMarshal(t *testing.T) {
	tests := []struct {
		count paperspace.ByteCount
		want  string
	}{
		{0, `"0"`},
		{8589938688, `"8589938688"`},
		{9223372036854775807, `"9223372036854775807"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := json.Marshal(tt.count)
			if err != nil {
				t.Fatalf("Marshal(%d) error: %v", tt.count, err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal(%d) = %s, want %s", tt.count, got, tt.want)
			}
			var back paperspace.ByteCount
			if err := json.Unmarshal(got, &back); err != nil || back != tt.count {
				t.Errorf("Unmarshal(Marshal(%d)) = %d, %v; want %d, nil", tt.count, back, err, tt.count)
			}
		})
	}
}

func TestByteCountString(t *testing.T) {
	tests := []struct {
		count paperspace.ByteCount
		want  string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{1048575, "1 MiB"},
		{8589934592, "8 GiB"},
		{8589938688, "8 GiB"},
		{50 << 30, "50 GiB"},
		{2000 << 30, "2 TiB"},
		{1 << 50, "1 PiB"},
		{1 << 60, "1024 PiB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.count.String(); got != tt.want {
				t.Errorf("ByteCount(%d).String() = %q, want %q", int64(tt.count), got, tt.want)
			}
		})
	}
}

func TestLooseStringUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		json string
		want paperspace.LooseString
	}{
		{"string", `"day"`, "day"},
		{"escaped string", `"a\"b"`, `a"b`},
		{"number", `7`, "7"},
		{"float", `1.5`, "1.5"},
		{"bool", `true`, "true"},
		{"null", `null`, ""},
		{"object kept as JSON", `{"a":1}`, `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := paperspace.LooseString("old")
			if err := json.Unmarshal([]byte(tt.json), &got); err != nil {
				t.Fatalf("Unmarshal(%s) error: %v", tt.json, err)
			}
			if got != tt.want {
				t.Errorf("Unmarshal(%s) = %q, want %q", tt.json, got, tt.want)
			}
		})
	}
}
