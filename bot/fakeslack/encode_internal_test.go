package fakeslack

import (
	"encoding/json"
	"testing"
)

func TestIsCompact(t *testing.T) {
	tests := []struct {
		json string
		want bool
	}{
		{`{"a":"b c","d":[1,2]}`, true},
		{`"text with spaces\tand a tab"`, true},
		{`{"a":"quote \" then space"}`, true},
		{`{"a":"backslash \\"}`, true},
		{`{"a": 1}`, false},
		{"[1,\n2]", false},
		{`{"a":"\\" , "b":1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			if got := isCompact([]byte(tt.json)); got != tt.want {
				t.Errorf("isCompact(%s) = %v, want %v", tt.json, got, tt.want)
			}
		})
	}
}

func TestAppendObjectMatchesMarshal(t *testing.T) {
	fields := map[string]any{
		"ok":     true,
		"title":  map[string]any{"type": "plain_text", "text": "A <b> & c"},
		"blocks": json.RawMessage(`[{"type":"divider"}]`),
		"none":   json.RawMessage(nil),
		"count":  3,
	}
	got, err := appendObject(nil, fields)
	if err != nil {
		t.Fatalf("appendObject: %v", err)
	}
	var gotValue, wantValue any
	if err := json.Unmarshal(got, &gotValue); err != nil {
		t.Fatalf("appendObject made invalid JSON %s: %v", got, err)
	}
	want, err := json.Marshal(map[string]any{
		"ok":     true,
		"title":  map[string]any{"type": "plain_text", "text": "A <b> & c"},
		"blocks": []any{map[string]any{"type": "divider"}},
		"none":   nil,
		"count":  3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantValue); err != nil {
		t.Fatal(err)
	}
	if string(mustMarshal(t, gotValue)) != string(want) {
		t.Errorf("appendObject = %s, want the same value as %s", got, want)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
