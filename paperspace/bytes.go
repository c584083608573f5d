package paperspace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ByteCount is a size in bytes. The Core API sends ram, storageTotal and
// storageUsed as JSON strings of digits ("8589938688"); ByteCount also
// accepts a JSON number, and null decodes as 0. It encodes as a string, as
// the Core API does.
type ByteCount int64

// UnmarshalJSON decodes a string of digits, a number or null.
func (b *ByteCount) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*b = 0
		return nil
	}
	text := string(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &text); err != nil {
			return fmt.Errorf("decode byte count: %w", err)
		}
	}
	if text == "" {
		*b = 0
		return nil
	}
	n, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return fmt.Errorf("decode byte count %q: %w", text, err)
	}
	*b = ByteCount(n)
	return nil
}

// MarshalJSON encodes the count as a JSON string of digits.
func (b ByteCount) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatInt(int64(b), 10))
}

// String formats the size with a binary unit, for example "8 GiB".
func (b ByteCount) String() string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", int64(b))
	}
	value := float64(b)
	suffixes := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	i := -1
	for value >= unit && i < len(suffixes)-1 {
		value /= unit
		i++
	}
	text := strconv.FormatFloat(value, 'f', 1, 64)
	text = strings.TrimSuffix(text, ".0")
	return text + " " + suffixes[i]
}

// LooseString is a string field whose JSON type varies between Core API
// responses: it decodes a string, a number or a bool as its text, and null
// as "".
type LooseString string

// UnmarshalJSON decodes a string, number, bool or null.
func (s *LooseString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		*s = ""
	case len(data) > 0 && data[0] == '"':
		var text string
		if err := json.Unmarshal(data, &text); err != nil {
			return fmt.Errorf("decode string: %w", err)
		}
		*s = LooseString(text)
	default:
		*s = LooseString(data)
	}
	return nil
}
