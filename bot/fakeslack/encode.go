package fakeslack

import (
	"bytes"
	"encoding/json"
	"slices"
)

// Under a load run the fake shares the CPUs with the bot it measures, so
// these helpers skip work that encoding/json would repeat on JSON that is
// already compact: the views in responses and the JSON fields of requests.

// appendObject appends fields to dst as a JSON object with sorted keys, as
// json.Marshal encodes a map. Values of type json.RawMessage are copied as
// they are, without the validation and compaction that json.Marshal applies
// to them, so they must be valid, compact JSON; an empty one is written as
// null.
func appendObject(dst []byte, fields map[string]any) ([]byte, error) {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)

	dst = append(dst, '{')
	for i, name := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		key, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		dst = append(dst, key...)
		dst = append(dst, ':')
		if raw, ok := fields[name].(json.RawMessage); ok {
			if len(raw) == 0 {
				raw = json.RawMessage("null")
			}
			dst = append(dst, raw...)
			continue
		}
		value, err := json.Marshal(fields[name])
		if err != nil {
			return nil, err
		}
		dst = append(dst, value...)
	}
	return append(dst, '}'), nil
}

// compactJSON returns valid JSON value without insignificant whitespace.
// Most values are compact already, because clients encode them with
// json.Marshal or the like, and skip the copy.
func compactJSON(value []byte) string {
	if isCompact(value) {
		return string(value)
	}
	var compact bytes.Buffer
	// value was decoded without error, so it compacts without error.
	_ = json.Compact(&compact, value)
	return compact.String()
}

// isCompact reports whether valid JSON value has no whitespace outside its
// strings.
func isCompact(value []byte) bool {
	inString, escaped := false, false
	for _, c := range value {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			return false
		}
	}
	return true
}
