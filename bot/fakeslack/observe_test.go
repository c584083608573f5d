package fakeslack_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func TestConnectionHistory(t *testing.T) {
	s := newServer(t)
	if got := s.ConnectionHistory(); len(got) != 0 {
		t.Fatalf("history before any connection = %v, want none", got)
	}

	first := dialRaw(t, s)
	dialRaw(t, s)
	if err := first.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitConnections(testContext(t), 1); err != nil {
		t.Fatal(err)
	}

	history := s.ConnectionHistory()
	if len(history) != 2 {
		t.Fatalf("history has %d connections, want 2: %v", len(history), history)
	}
	tests := []struct {
		name       string
		span       fakeslack.ConnectionSpan
		wantID     int
		wantClosed bool
	}{
		{"closed connection", history[0], 1, true},
		{"open connection", history[1], 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.span.ID != tt.wantID {
				t.Errorf("ID = %d, want %d", tt.span.ID, tt.wantID)
			}
			if tt.span.Opened.IsZero() {
				t.Errorf("Opened is zero, want the time the connection opened")
			}
			if got := !tt.span.Closed.IsZero(); got != tt.wantClosed {
				t.Errorf("Closed set = %v, want %v (Closed %v)", got, tt.wantClosed, tt.span.Closed)
			}
			if tt.wantClosed && tt.span.Closed.Before(tt.span.Opened) {
				t.Errorf("Closed %v is before Opened %v", tt.span.Closed, tt.span.Opened)
			}
		})
	}
}

func TestTriggerView(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)

	trigger := s.NewTriggerID()
	if id, ok := s.TriggerView(trigger); ok {
		t.Errorf("TriggerView before views.open = %q, true; want false", id)
	}
	opened, err := api.OpenViewContext(ctx, trigger, modalRequest("create_machine"))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	id, ok := s.TriggerView(trigger)
	if !ok || id != opened.View.ID {
		t.Errorf("TriggerView = %q, %v; want %q, true", id, ok, opened.View.ID)
	}
	if id, ok := s.TriggerView("unknown-trigger"); ok {
		t.Errorf("TriggerView of an unknown trigger = %q, true; want false", id)
	}
}

func TestCallAndAckObservers(t *testing.T) {
	var mu sync.Mutex
	var calls []fakeslack.Call
	acks := make(chan fakeslack.Ack, 10)
	// The observers call the server, which deadlocks if the server holds
	// its lock while it calls them.
	var s *fakeslack.Server
	s = newServer(t,
		fakeslack.WithCallObserver(func(c fakeslack.Call) {
			s.TriggerView(c.Params.Get("trigger_id"))
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, c)
		}),
		fakeslack.WithAckObserver(func(a fakeslack.Ack) {
			s.Acks()
			acks <- a
		}),
	)
	raw := dialRaw(t, s)
	ctx := testContext(t)

	env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1"})
	if err := s.Send(env); err != nil {
		t.Fatal(err)
	}
	raw.read(t)
	raw.ack(t, env.EnvelopeID, nil)
	select {
	case ack := <-acks:
		if ack.EnvelopeID != env.EnvelopeID {
			t.Errorf("observed ack for %q, want %q", ack.EnvelopeID, env.EnvelopeID)
		}
	case <-ctx.Done():
		t.Fatalf("no ack observed for %s", env.EnvelopeID)
	}
	if _, err := newClient(s).OpenViewContext(ctx, s.NewTriggerID(), modalRequest("create_machine")); err != nil {
		t.Fatalf("views.open: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	// The call observer runs before the server responds, so both calls are
	// in by now.
	var methods []string
	for _, c := range calls {
		methods = append(methods, c.Method)
	}
	want := []string{"apps.connections.open", "views.open"}
	if len(methods) != len(want) || methods[0] != want[0] || methods[1] != want[1] {
		t.Errorf("observed calls = %v, want %v", methods, want)
	}
}

func TestJSONParamsAreCompact(t *testing.T) {
	tests := []struct {
		name string
		view string
		want string
	}{
		{"compact already", `{"type":"modal","title":{"type":"plain_text","text":"A b"}}`, `{"type":"modal","title":{"type":"plain_text","text":"A b"}}`},
		{"indented", "{\n  \"type\": \"modal\",\n  \"title\": {\"type\": \"plain_text\", \"text\": \"A b\"}\n}", `{"type":"modal","title":{"type":"plain_text","text":"A b"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			body := `{"trigger_id":"` + s.NewTriggerID() + `","view":` + tt.view + `}`
			out := postJSON(t, s, "views.update", s.BotToken(), json.RawMessage(body))
			if out["ok"] != false {
				t.Fatalf("views.update without a view id: ok = %v, want false", out["ok"])
			}
			calls := s.CallsTo("views.update")
			if len(calls) != 1 {
				t.Fatalf("views.update calls = %d, want 1", len(calls))
			}
			if got := calls[0].Params.Get("view"); got != tt.want {
				t.Errorf("Params view = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestViewResponseShape(t *testing.T) {
	s := newServer(t)
	view := modal("create_machine")
	out := postJSON(t, s, "views.open", s.BotToken(), map[string]any{"trigger_id": s.NewTriggerID(), "view": view})
	if out["ok"] != true {
		t.Fatalf("views.open: %v, want ok", out)
	}
	got, ok := out["view"].(map[string]any)
	if !ok {
		t.Fatalf("view = %#v, want an object", out["view"])
	}
	checkFields(t,
		field{"callback_id", got["callback_id"], "create_machine"},
		field{"type", got["type"], "modal"},
	)
	if id, _ := got["id"].(string); !strings.HasPrefix(id, "V") {
		t.Errorf("view id = %q, want V...", id)
	}
}
