package blocks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// fieldValue returns the value of the field labelled label in the first
// section with fields of m.
func fieldValue(t *testing.T, m Message, label string) string {
	t.Helper()
	for _, b := range m.Blocks {
		s, ok := b.(*slack.SectionBlock)
		if !ok {
			continue
		}
		for _, f := range s.Fields {
			if value, found := strings.CutPrefix(f.Text, "*"+label+"*\n"); found {
				return value
			}
		}
	}
	t.Fatalf("no field %q", label)
	return ""
}

func TestMachineDetailsPublicIP(t *testing.T) {
	tests := []struct {
		name     string
		state    paperspacebot.State
		machine  string // machine state; "" leaves r.Machine nil
		ip       string
		publicIP bool
		want     string
	}{
		{"not requested", paperspacebot.StateCreated, "provisioning", "", false, "not requested"},
		{"no machine yet", paperspacebot.StateCreated, "", "", true, "not assigned yet"},
		{"provisioning", paperspacebot.StateCreated, "provisioning", "", true, "not assigned yet"},
		{"machine ready", paperspacebot.StateCreated, "ready", "", true, "none assigned"},
		{"request ready", paperspacebot.StateReady, "off", "", true, "none assigned"},
		{"request stalled", paperspacebot.StateStalled, "", "", true, "none assigned"},
		{"dry run", paperspacebot.StateDryRun, "", "", true, "—"},
		{"assigned", paperspacebot.StateCreated, "provisioning", "203.0.113.7", true, "`203.0.113.7`"},
		{"dynamic without request", paperspacebot.StateReady, "ready", "203.0.113.7", false, "`203.0.113.7`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.state)
			r.Spec.PublicIP = tt.publicIP
			if tt.machine != "" {
				withMachine(r, tt.machine, tt.ip)
			}
			if got := fieldValue(t, MachineDetails(r, t0), "Public IP"); got != tt.want {
				t.Errorf("Public IP = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMachineDetailsFromCreateResponse decodes a create response with the
// Core API's nulls and checks that no "null", "<nil>" or empty value shows.
func TestMachineDetailsFromCreateResponse(t *testing.T) {
	const body = `{"id":"ps123abc","name":"My Machine","os":null,"ram":null,"cpus":1,"gpu":null,
		"storageTotal":null,"storageUsed":null,"usageRate":"Air hourly","state":"provisioning",
		"networkId":null,"privateIpAddress":null,"publicIpAddress":null,"region":null,"userId":"u123abc",
		"dtCreated":"2017-02-16T20:26:54.880Z","dynamicPublicIp":null}`
	var m paperspace.Machine
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("decode create response: %v", err)
	}
	r := request(paperspacebot.StateCreated)
	r.Machine = &m

	for _, msg := range []Message{MachineDetails(r, t0), MachineStatus(&m)} {
		got, err := json.Marshal(msg)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		for _, bad := range []string{"null", "<nil>", "\\n\"", "0001-01-01"} {
			if strings.Contains(string(got), bad) {
				t.Errorf("message contains %q: %s", bad, got)
			}
		}
		if err := Check(msg); err != nil {
			t.Errorf("Check: %v", err)
		}
	}
	if got, want := fieldValue(t, MachineDetails(r, t0), "Region"), "East Coast (NY2)"; got != want {
		t.Errorf("Region = %q, want the spec's %q", got, want)
	}
}

func TestMachineDetailsHeaderLongNames(t *testing.T) {
	for label, name := range map[string]string{"emoji": strings.Repeat(emojiName, 3), "cjk": strings.Repeat(cjkName, 3)} {
		t.Run(label, func(t *testing.T) {
			r := request(paperspacebot.StateCreated)
			r.Spec.Name = name
			header := MachineDetails(r, t0).Blocks[0].(*slack.HeaderBlock).Text.Text
			checkCut(t, "Machine "+name, header, MaxHeaderText, true)
			if !strings.HasSuffix(header, ellipsis) {
				t.Errorf("header = %q, want it cut with %q", header, ellipsis)
			}
		})
	}
}

func TestMachineDetailsEscapes(t *testing.T) {
	r := request(paperspacebot.StateCreated)
	r.Spec.Name = "<!channel> & <@U999>"
	m := MachineDetails(r, t0)
	got := fieldValue(t, m, "Name")
	if want := "&lt;!channel&gt; &amp; &lt;@U999&gt;"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
	if strings.Contains(m.Text, "<!channel>") {
		t.Errorf("fallback = %q, want the mention escaped", m.Text)
	}
}

func TestReconciliationWarningRetry(t *testing.T) {
	kinds := []struct {
		name string
		kind WarningKind
	}{
		{"create failed", WarnCreateFailed},
		{"outcome unknown", WarnOutcomeUnknown},
		{"several machines", WarnSeveralMachines},
		{"lookup failed", WarnLookupFailed},
	}
	for _, k := range kinds {
		for _, retry := range []bool{false, true} {
			name := k.name
			if retry {
				name += " retry"
			}
			t.Run(name, func(t *testing.T) {
				m := ReconciliationWarning(Warning{Kind: k.kind, Request: request(paperspacebot.StateUnknown), Retry: retry})
				if !strings.HasPrefix(m.Text, ":warning:") {
					t.Errorf("fallback = %q, want it to start with :warning:", m.Text)
				}
				first := m.Blocks[0].(*slack.SectionBlock).Text.Text
				if !strings.HasPrefix(first, ":warning:") {
					t.Errorf("first block = %q, want it to start with :warning:", first)
				}
				wantButton := retry && k.kind != WarnSeveralMachines
				button := retryButton(m)
				if (button != nil) != wantButton {
					t.Fatalf("retry button = %+v, want present = %v", button, wantButton)
				}
				if button != nil && (button.ActionID != ActionRetry || button.Value != "r7k2m9x4q1" || button.Text.Text != "Retry") {
					t.Errorf("retry button = %+v, want action %q, value %q, text Retry", button, ActionRetry, "r7k2m9x4q1")
				}
				if err := Check(m); err != nil {
					t.Errorf("Check: %v", err)
				}
			})
		}
	}
}

func retryButton(m Message) *slack.ButtonBlockElement {
	for _, b := range m.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				if button, ok := e.(*slack.ButtonBlockElement); ok && button.ActionID == ActionRetry {
					return button
				}
			}
		}
	}
	return nil
}

func TestReconciliationWarningNewUser(t *testing.T) {
	tests := []struct {
		name  string
		state UserState
		retry bool
		want  string // "" means no line about the new user
	}{
		{"not asked", UserNotAsked, true, ""},
		{"created retry", UserCreated, true, "The new user grace@example.com exists now (`u5n4e3w2`). Retry assigns the machine to that user"},
		{"created no retry", UserCreated, false, "Choose that user as the existing user"},
		{"not created", UserNotCreated, true, "The new user grace@example.com was not created."},
		{"unknown", UserUnknown, false, "could not check whether the new user grace@example.com was created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(paperspacebot.StateFailed)
			r.Spec = newUserSpec()
			m := ReconciliationWarning(Warning{Kind: WarnCreateFailed, Request: r, Failure: "bad", UserState: tt.state,
				UserID: "u5n4e3w2", Retry: tt.retry})
			text := m.Blocks[0].(*slack.SectionBlock).Text.Text
			if tt.want == "" {
				if strings.Contains(text, "new user") {
					t.Errorf("text = %q, want no line about the new user", text)
				}
				return
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("text = %q, want it to contain %q", text, tt.want)
			}
		})
	}
}

func TestRequestMessageButtons(t *testing.T) {
	r := request(paperspacebot.StatePending)
	pending := RequestMessage(r, t0)
	decided := RequestDecidedMessage(decided(paperspacebot.StateCreating))

	var buttons []*slack.ButtonBlockElement
	for _, b := range pending.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			if !strings.Contains(a.BlockID, r.ID) {
				t.Errorf("actions block id = %q, want it to contain %q", a.BlockID, r.ID)
			}
			for _, e := range a.Elements.ElementSet {
				buttons = append(buttons, e.(*slack.ButtonBlockElement))
			}
		}
	}
	want := []struct {
		action string
		style  slack.Style
	}{{ActionApprove, slack.StylePrimary}, {ActionDeny, slack.StyleDanger}}
	if len(buttons) != len(want) {
		t.Fatalf("buttons = %d, want %d", len(buttons), len(want))
	}
	for i, w := range want {
		if buttons[i].ActionID != w.action || buttons[i].Style != w.style || buttons[i].Value != r.ID {
			t.Errorf("button %d = %+v, want action %q, style %q, value %q", i, buttons[i], w.action, w.style, r.ID)
		}
	}

	ids := map[string]bool{}
	for _, b := range pending.Blocks {
		if b.ID() != "" {
			ids[b.ID()] = true
		}
	}
	for _, b := range decided.Blocks {
		if _, ok := b.(*slack.ActionBlock); ok {
			t.Error("decided message has an actions block, want none")
		}
		if ids[b.ID()] {
			t.Errorf("decided message reuses block id %q, want new ids", b.ID())
		}
	}
}
