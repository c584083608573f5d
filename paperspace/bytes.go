package paperspace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
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

	// Integers go through ParseInt because a float64 loses precision
	// above 2^53 bytes.
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		*b = ByteCount(n)
		return nil
	}
	n, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return fmt.Errorf("decode byte count %q: %w", text, err)
	}
	if n < math.MinInt64 || n >= math.MaxInt64 || math.IsNaN(n) {
		return fmt.Errorf("decode byte count %q: out of the int64 range", text)
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
	// Compare the value as it will print, so that 1048575 bytes is "1 MiB"
	// and not "1024 KiB".
	for math.Round(value*10)/10 >= unit && i < len(suffixes)-1 {
		value /= unit
		i++
	}
	text := strconv.FormatFloat(value, 'f', 1, 64)
	text = strings.TrimSuffix(text, ".0")
	return text + " " + suffixes[i]
}

// LooseString is a string field whose JSON type varies between Core API
// responses: it decodes a string, a number or a bool as its text, and null
// as "". An object or array is kept as its JSON text rather than failing
// the whole response.
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
