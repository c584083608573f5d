package blocks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

var now = time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC)

// slackFake is a fake Slack that checks messages and views against
// Slack's limits, and a client for it.
type slackFake struct {
	t    *testing.T
	fake *fakeslack.Server
	api  *slack.Client
}

func newSlackFake(t *testing.T) *slackFake {
	t.Helper()
	fake := fakeslack.New(fakeslack.WithLogf(t.Logf))
	t.Cleanup(fake.Close)
	return &slackFake{t: t, fake: fake, api: slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))}
}

func (s *slackFake) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	s.t.Cleanup(cancel)
	return ctx
}

// post checks m and posts it to the fake Slack, reporting any rejection.
func (s *slackFake) post(name string, m blocks.Message) {
	s.t.Helper()
	if err := blocks.Check(m); err != nil {
		s.t.Errorf("%s: Check: %v", name, err)
	}
	if strings.TrimSpace(m.Text) == "" {
		s.t.Errorf("%s: no text fallback", name)
	}
	if _, _, err := s.api.PostMessageContext(s.ctx(), "C_FIELD", m.MsgOptions()...); err != nil {
		s.t.Errorf("%s: chat.postMessage: %v", name, describe(err))
	}
}

// open checks v and opens it as a modal, reporting any rejection.
func (s *slackFake) open(name string, v slack.ModalViewRequest) {
	s.t.Helper()
	if err := blocks.Check(v); err != nil {
		s.t.Errorf("%s: Check: %v", name, err)
	}
	if _, err := s.api.OpenViewContext(s.ctx(), s.fake.NewTriggerID(), v); err != nil {
		s.t.Errorf("%s: views.open: %v", name, describe(err))
	}
}

func describe(err error) string {
	var slackErr slack.SlackErrorResponse
	if ok := asSlackError(err, &slackErr); ok {
		return slackErr.Err + " " + strings.Join(slackErr.ResponseMetadata.Messages, "; ")
	}
	return err.Error()
}

func asSlackError(err error, target *slack.SlackErrorResponse) bool {
	e, ok := err.(slack.SlackErrorResponse)
	if ok {
		*target = e
	}
	return ok
}

// texts returns every "text" string in v's JSON: the fallback, and the
// text of every text object.
func texts(t *testing.T, v any) []string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var decoded any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(node any) {
		switch n := node.(type) {
		case map[string]any:
			for key, child := range n {
				if s, ok := child.(string); ok && (key == "text" || key == "initial_value") {
					out = append(out, s)
				}
				walk(child)
			}
		case []any:
			for _, child := range n {
				walk(child)
			}
		}
	}
	walk(decoded)
	return out
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// splitsCharacter reports whether cutting s at byte i separates a
// user-perceived character: a joiner, a variation selector, a skin tone,
// a combining mark, or the second half of a flag from what it belongs to.
func splitsCharacter(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return false
	}
	if !utf8.RuneStart(s[i]) {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	next, _ := utf8.DecodeRuneInString(s[i:])
	switch {
	case prev == '\u200D', next == '\u200D':
		return true
	case next >= 0xFE00 && next <= 0xFE0F, next >= 0x1F3FB && next <= 0x1F3FF:
		return true
	case unicode.In(next, unicode.Mn, unicode.Me, unicode.Mc):
		return true
	}
	run := 0
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		if !isRegionalIndicator(r) {
			break
		}
		run++
		j -= size
	}
	return run%2 == 1 && isRegionalIndicator(next)
}

// checkCuts finds every place in text where name was cut (a prefix of it
// followed by "…", or a prefixed input value) and reports a cut that
// splits a character.
func checkCuts(t *testing.T, where, name, text string) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s: text is not valid UTF-8: %q", where, text)
	}
	parts := strings.Split(text, "…")
	candidates := parts[:len(parts)-1]
	if len(parts) == 1 && strings.HasPrefix(name, text) && text != name {
		candidates = []string{text} // an initial value cut without "…"
	}
	for _, part := range candidates {
		for k := len(name) - 1; k > 0; k-- {
			if !strings.HasSuffix(part, name[:k]) {
				continue
			}
			if splitsCharacter(name, k) {
				t.Errorf("%s: %q cuts the name inside a character", where, text)
			}
			break
		}
	}
}

// names are the names that teams reported breaking bots: 60 characters of
// emoji or CJK text, and longer ones that must be cut.
var names = map[string]string{
	"60 emoji":            strings.Repeat("\U0001F680", 60),
	"60 emoji sequences":  strings.Repeat("🇯🇵👍🏽❤️👩‍💻🚀", 12),
	"60 CJK":              strings.Repeat("機械学習用計算機です", 6),
	"200 CJK":             strings.Repeat("計算機", 67),
	"200 emoji sequences": strings.Repeat("👩‍👩‍👧‍👦🏳️‍🌈", 100),
	"combining marks":     strings.Repeat("e\u0301", 120),
	"flags":               strings.Repeat("🇫🇷🇩🇪🇬🇧", 40),
}

// TestLongNamesRender builds every message, modal and option that shows a
// machine name from each of names. Each must pass Check and be accepted by
// the fake Slack, and each text that had to be cut must be cut between
// characters.
func TestLongNamesRender(t *testing.T) {
	for label, name := range names {
		t.Run(label, func(t *testing.T) {
			s := newSlackFake(t)
			spec := paperspacebot.Spec{
				Name: name, Region: "East Coast (NY2)", MachineType: "P4000", TemplateID: "t123abc",
				TemplateLabel: name, SizeGB: 50, AssigneeID: "u123abc", AssigneeLabel: name, PublicIP: true,
				NewUser: &paperspacebot.NewUser{Email: "grace@example.com", FirstName: name, LastName: name},
			}
			r := &paperspacebot.Request{
				ID: "r7k2m9x4q1", State: paperspacebot.StatePending, Spec: spec, RequesterID: "U_MEMBER",
				ChannelID: "C_FIELD", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour), Attempts: 1,
			}
			decided := *r
			decided.State, decided.DecidedBy, decided.DecidedAt, decided.DenyReason = paperspacebot.StateDenied, "U_ADMIN", now, name
			created := *r
			created.State = paperspacebot.StateCreated
			created.Machine = &paperspace.Machine{ID: "ps123abc", Name: name, State: "provisioning", Region: spec.Region, MachineType: spec.MachineType}

			messages := map[string]blocks.Message{
				"creating":        blocks.CreatingMessage(&created),
				"details":         blocks.MachineDetails(&created, now),
				"ready reply":     blocks.MachineReadyReply(&created),
				"stalled":         blocks.StalledWarning(&created, name),
				"status":          blocks.MachineStatus(created.Machine),
				"request":         blocks.RequestMessage(r, now),
				"decided":         blocks.RequestDecidedMessage(&decided),
				"outcome dm":      blocks.RequestOutcomeDM(&decided),
				"sent notice":     blocks.RequestSentNotice(r, "C_APPROVALS"),
				"already decided": blocks.AlreadyDecidedNotice(&decided),
				"already retried": blocks.AlreadyRetriedNotice(&created),
				"retry started":   blocks.RetryStartedNotice(&created, "U_ADMIN"),
				"attempt ended":   blocks.AttemptEndedNotice(&created),
				"error":           blocks.ErrorMessage("Could not create " + name),
			}
			for kind, w := range map[string]blocks.WarningKind{
				"failed": blocks.WarnCreateFailed, "unknown": blocks.WarnOutcomeUnknown,
				"several": blocks.WarnSeveralMachines, "lookup failed": blocks.WarnLookupFailed,
			} {
				messages["warning "+kind] = blocks.ReconciliationWarning(blocks.Warning{
					Kind: w, Request: &created, Failure: name, Retry: true, UserState: blocks.UserCreated, UserID: "u9",
					Candidates: []paperspace.Machine{{ID: "ps1", Name: name}, {ID: "ps2", Name: name}},
				})
			}
			for i, m := range blocks.MachineList([]*paperspacebot.Request{&created, &created}) {
				messages[fmt.Sprintf("machine list %d", i)] = m
			}
			for i, m := range blocks.RequestList([]*paperspacebot.Request{r}, now) {
				messages[fmt.Sprintf("request list %d", i)] = m
			}
			for i, m := range blocks.TemplateList([]paperspace.Template{{ID: "t1", Label: name, OS: name}}, name) {
				messages[fmt.Sprintf("template list %d", i)] = m
			}
			for kind, m := range messages {
				s.post(kind, m)
				for _, text := range texts(t, m) {
					checkCuts(t, kind, name, text)
				}
			}

			views := map[string]slack.ModalViewRequest{
				"create form":  blocks.FormModal(blocks.Form{Mode: blocks.FormCreate, Spec: spec}),
				"request form": blocks.FormModal(blocks.Form{Mode: blocks.FormRequest, Spec: spec}),
				"approve form": blocks.FormModal(blocks.Form{Mode: blocks.FormApprove, Spec: spec, RequesterID: "U_MEMBER", RequestedAt: now}),
				"deny modal":   blocks.DenyModal(r, `{"q":"r7k2m9x4q1"}`),
				"notice":       blocks.NoticeModal(name, "Creating "+name),
				"loading":      blocks.LoadingModal(name, name),
			}
			for kind, v := range views {
				s.open(kind, v)
				for _, text := range texts(t, v) {
					checkCuts(t, kind, name, text)
				}
			}

			options := map[string]*slack.OptionBlockObject{
				"template": blocks.TemplateOption(paperspace.Template{ID: "t1", Label: name, OS: "Ubuntu 22.04"}),
				"user":     blocks.UserOption(paperspace.User{ID: "u1", Firstname: name, Email: "jon@example.com"}),
			}
			for kind, o := range options {
				if err := blocks.Check(o); err != nil {
					t.Errorf("%s option: Check: %v", kind, err)
				}
				for _, text := range texts(t, o) {
					checkCuts(t, kind+" option", name, text)
				}
			}
		})
	}
}

// TestTemplateOptionNullLabel decodes templates as the Core API sends them:
// a null label, a label longer than an option may show, and ids longer than
// the usual seven characters.
func TestTemplateOptionNullLabel(t *testing.T) {
	longID := "tteam" + strings.Repeat("a1b2c3d4e5", 5)
	tests := []struct {
		name      string
		json      string
		wantText  string
		wantValue string
	}{
		{"null label", `{"id":"t123abc","name":"paperspace/t123abc","label":null,"os":"Ubuntu 22.04"}`, "Ubuntu 22.04", "t123abc"},
		{"null label and os", `{"id":"` + longID + `","label":null,"os":null}`, longID, longID},
		{"empty label", `{"id":"t123abc","label":"","os":"Windows 10"}`, "Windows 10", "t123abc"},
		{"label of 100", `{"id":"` + longID + `","label":"` + strings.Repeat("L", 100) + `","os":"Ubuntu"}`,
			strings.Repeat("L", 75-utf8.RuneCountInString("… · Ubuntu")) + "… · Ubuntu", longID},
		{"os of 100 without label", `{"id":"t123abc","label":null,"os":"` + strings.Repeat("O", 100) + `"}`,
			strings.Repeat("O", 74) + "…", "t123abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tmpl paperspace.Template
			if err := json.Unmarshal([]byte(tt.json), &tmpl); err != nil {
				t.Fatal(err)
			}
			o := blocks.TemplateOption(tmpl)
			if o == nil {
				t.Fatal("TemplateOption = nil, want an option")
			}
			if o.Text.Text != tt.wantText {
				t.Errorf("text = %q, want %q", o.Text.Text, tt.wantText)
			}
			if o.Value != tt.wantValue {
				t.Errorf("value = %q, want %q", o.Value, tt.wantValue)
			}
			if o.Description != nil && utf8.RuneCountInString(o.Description.Text) > blocks.MaxOptionText {
				t.Errorf("description has %d characters, want at most %d", utf8.RuneCountInString(o.Description.Text), blocks.MaxOptionText)
			}
			if err := blocks.Check(o); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

// fields returns the fields of m's sections as label → value.
func fields(m blocks.Message) map[string]string {
	out := map[string]string{}
	for _, b := range m.Blocks {
		s, ok := b.(*slack.SectionBlock)
		if !ok {
			continue
		}
		for _, f := range s.Fields {
			label, value, _ := strings.Cut(f.Text, "\n")
			out[strings.Trim(label, "*")] = value
		}
	}
	return out
}

// TestPublicIPNullUntilReady follows a machine whose create response and
// ready state both have publicIpAddress null although a public IP was
// asked for: the details show "not assigned yet", then "none assigned", and
// never show "null" or an empty value.
func TestPublicIPNullUntilReady(t *testing.T) {
	steps := []struct {
		name    string
		state   paperspacebot.State
		machine string
		want    string
	}{
		{"create response", paperspacebot.StateCreated,
			`{"id":"ps123abc","name":"gpu-1","os":null,"ram":null,"cpus":1,"gpu":null,"state":"provisioning","region":"East Coast (NY2)",
			"machineType":"P4000","publicIpAddress":null,"privateIpAddress":null,"networkId":null,"userId":"u123abc","usageRate":"P4000 hourly"}`,
			"not assigned yet"},
		{"starting", paperspacebot.StateCreated,
			`{"id":"ps123abc","name":"gpu-1","state":"starting","publicIpAddress":null,"region":"East Coast (NY2)","machineType":"P4000"}`,
			"not assigned yet"},
		{"ready", paperspacebot.StateReady,
			`{"id":"ps123abc","name":"gpu-1","state":"ready","publicIpAddress":null,"region":"East Coast (NY2)","machineType":"P4000"}`,
			"none assigned"},
		{"not ready in time", paperspacebot.StateStalled,
			`{"id":"ps123abc","name":"gpu-1","state":"provisioning","publicIpAddress":null}`,
			"none assigned"},
	}
	s := newSlackFake(t)
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			var m paperspace.Machine
			if err := json.Unmarshal([]byte(tt.machine), &m); err != nil {
				t.Fatal(err)
			}
			r := &paperspacebot.Request{
				ID: "r1", State: tt.state, RequesterID: "U_ADMIN", ChannelID: "C_FIELD", Machine: &m,
				Spec: paperspacebot.Spec{Name: "gpu-1", Region: "East Coast (NY2)", MachineType: "P4000", TemplateID: "t1", SizeGB: 50, PublicIP: true},
			}
			details := blocks.MachineDetails(r, now)
			if got := fields(details)["Public IP"]; got != tt.want {
				t.Errorf("Public IP = %q, want %q", got, tt.want)
			}
			built := map[string]blocks.Message{
				"details":     details,
				"ready reply": blocks.MachineReadyReply(r),
				"status":      blocks.MachineStatus(&m),
				"stalled":     blocks.StalledWarning(r, ""),
			}
			for i, list := range blocks.MachineList([]*paperspacebot.Request{r}) {
				built[fmt.Sprintf("list %d", i)] = list
			}
			for kind, msg := range built {
				s.post(kind, msg)
				for label, value := range fields(msg) {
					if strings.TrimSpace(value) == "" {
						t.Errorf("%s: field %q is empty", kind, label)
					}
				}
				for _, text := range texts(t, msg) {
					if strings.Contains(text, "null") || strings.Contains(text, "<nil>") || strings.Contains(text, "``") {
						t.Errorf("%s: text %q shows a missing value", kind, text)
					}
				}
			}
		})
	}
}

// blockTextRunes counts the characters of text in m's blocks.
func blockTextRunes(t *testing.T, m blocks.Message) int {
	n := 0
	for _, text := range texts(t, blocks.Message{Blocks: m.Blocks}) {
		n += utf8.RuneCountInString(text)
	}
	return n
}

// TestLongListSplit builds lists that would make one message far longer
// than 12,000 characters of block text. They must be split over several
// messages, each within that budget and Slack's limits, each with a text
// fallback, and together holding every item once.
func TestLongListSplit(t *testing.T) {
	const budget = 12000
	var machines []*paperspacebot.Request
	for i := range 500 {
		name := fmt.Sprintf("<&> %s %03d", strings.Repeat("計算機", 20), i)
		machines = append(machines, &paperspacebot.Request{
			ID: fmt.Sprintf("r%09d", i), State: paperspacebot.StateReady, RequesterID: "U_ADMIN",
			Spec:    paperspacebot.Spec{Name: name},
			Machine: &paperspace.Machine{ID: fmt.Sprintf("ps%07d", i), Name: name, State: "ready"},
		})
	}
	var templates []paperspace.Template
	for i := range 600 {
		templates = append(templates, paperspace.Template{ID: fmt.Sprintf("t%06d", i), Label: strings.Repeat("Template & label ", 10), OS: "Ubuntu 22.04"})
	}
	tests := []struct {
		name     string
		messages []blocks.Message
		ids      func(int) string
		items    int
	}{
		{"machines", blocks.MachineList(machines), func(i int) string { return fmt.Sprintf("ps%07d", i) }, 500},
		{"templates", blocks.TemplateList(templates, ""), func(i int) string { return fmt.Sprintf("t%06d", i) }, 600},
	}
	s := newSlackFake(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.messages) < 2 {
				t.Fatalf("messages = %d, want the list split over several", len(tt.messages))
			}
			var all strings.Builder
			for i, m := range tt.messages {
				s.post(fmt.Sprintf("message %d", i), m)
				if n := blockTextRunes(t, m); n > budget {
					t.Errorf("message %d has %d characters of block text, want at most %d", i, n, budget)
				}
				if !strings.Contains(m.Text, fmt.Sprintf("(%d of %d)", i+1, len(tt.messages))) {
					t.Errorf("message %d fallback %q does not count the parts", i, m.Text)
				}
				raw, _ := json.Marshal(m.Blocks)
				all.Write(raw)
			}
			for i := range tt.items {
				if n := strings.Count(all.String(), tt.ids(i)); n != 1 {
					t.Errorf("item %s appears %d times, want 1", tt.ids(i), n)
				}
			}
		})
	}
}

// TestLongErrorText builds error messages from texts of 20,000
// characters. They are cut, not split: each message must stay within
// Slack's limits with a fallback, and show the start of the text.
func TestLongErrorText(t *testing.T) {
	long := strings.Repeat("The Core API said no & gave reasons <here>. ", 460)
	r := &paperspacebot.Request{ID: "r1", State: paperspacebot.StateFailed, RequesterID: "U_ADMIN", Spec: paperspacebot.Spec{Name: "gpu-1"}}
	tests := []struct {
		name string
		msg  blocks.Message
	}{
		{"error", blocks.ErrorMessage(blocks.Escape(long))},
		{"warning", blocks.ReconciliationWarning(blocks.Warning{Kind: blocks.WarnCreateFailed, Request: r, Failure: long, Retry: true})},
		{"stalled", blocks.StalledWarning(r, long)},
	}
	s := newSlackFake(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.post(tt.name, tt.msg)
			if n := blockTextRunes(t, tt.msg); n > 12000 {
				t.Errorf("block text = %d characters, want at most 12000", n)
			}
			raw, _ := json.Marshal(tt.msg.Blocks)
			if !strings.Contains(string(raw), "The Core API said no") {
				t.Errorf("blocks do not show the start of the text: %.200s", raw)
			}
		})
	}
}
