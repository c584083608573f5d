package paperspace

import (
	"encoding/json"
	"reflect"
	"strings"
)

// decodeLenient decodes data, a JSON object, into the struct that v
// points to. When the whole object does not decode, because one field has
// an unexpected type or format (a date that is not a date, say), each
// field is decoded on its own and a field that fails keeps its zero value.
// So one odd field never costs a whole template, user or machine, and a
// list keeps all its items. Data that is not a JSON object is an error.
func decodeLenient(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return err
	}
	target := reflect.ValueOf(v).Elem()
	target.SetZero()
	typ := target.Type()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		raw, ok := fields[name]
		if !ok || name == "" || name == "-" {
			continue
		}
		field := reflect.New(typ.Field(i).Type)
		if json.Unmarshal(raw, field.Interface()) == nil {
			target.Field(i).Set(field.Elem())
		}
	}
	return nil
}

// UnmarshalJSON decodes a machine, keeping the fields that decode when
// another has an unexpected type.
func (m *Machine) UnmarshalJSON(data []byte) error {
	type plain Machine
	return decodeLenient(data, (*plain)(m))
}

// UnmarshalJSON decodes an event leniently, like Machine's.
func (e *Event) UnmarshalJSON(data []byte) error {
	type plain Event
	return decodeLenient(data, (*plain)(e))
}

// UnmarshalJSON decodes a template leniently, like Machine's.
func (t *Template) UnmarshalJSON(data []byte) error {
	type plain Template
	return decodeLenient(data, (*plain)(t))
}

// UnmarshalJSON decodes a user leniently, like Machine's.
func (u *User) UnmarshalJSON(data []byte) error {
	type plain User
	return decodeLenient(data, (*plain)(u))
}

// UnmarshalJSON decodes a network leniently, like Machine's.
func (n *Network) UnmarshalJSON(data []byte) error {
	type plain Network
	return decodeLenient(data, (*plain)(n))
}
