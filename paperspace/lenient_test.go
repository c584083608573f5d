package paperspace

import (
	"encoding/json"
	"testing"
)

func TestLenientDecodeKeepsGoodFields(t *testing.T) {
	var templates []Template
	body := `[{"id":"t1","label":"Good","dtCreated":"2017-01-03T23:41:06.801Z"},
	          {"id":"t2","label":"Bad date","dtCreated":"not a date"},
	          {"id":"t3","label":{"nested":"object"},"os":"Ubuntu"}]`
	if err := json.Unmarshal([]byte(body), &templates); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if len(templates) != 3 {
		t.Fatalf("templates = %d, want 3", len(templates))
	}
	if templates[1].ID != "t2" || templates[1].Label != "Bad date" || !templates[1].DtCreated.IsZero() {
		t.Errorf("template with a bad date = %+v, want id and label kept, date zero", templates[1])
	}
	if templates[2].ID != "t3" || templates[2].Label != "" || templates[2].OS != "Ubuntu" {
		t.Errorf("template with an object label = %+v, want id and os kept, label empty", templates[2])
	}
}

func TestLenientDecodeMachine(t *testing.T) {
	var m Machine
	body := `{"id":"ps1","name":"box","cpus":"four","state":"ready","dtCreated":"yesterday","events":[{"name":"start","state":"error","dtCreated":7}]}`
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if m.ID != "ps1" || m.Name != "box" || m.State != "ready" || m.CPUs != 0 {
		t.Errorf("machine = %+v, want id, name and state kept, cpus zero", m)
	}
	if len(m.Events) != 1 || m.Events[0].Name != "start" || m.Events[0].State != "error" {
		t.Errorf("events = %+v, want the start event kept", m.Events)
	}
}

func TestLenientDecodeRejectsNonObject(t *testing.T) {
	var u User
	if err := json.Unmarshal([]byte(`"u123"`), &u); err == nil {
		t.Errorf("Unmarshal of a string into User: error = nil, want an error")
	}
}
