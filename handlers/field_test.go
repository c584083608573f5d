package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/bot"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/chat"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
	"github.com/paperspace-bot/paperspace-bot/store"
)

const (
	fieldAdmin    = "U_ADMIN"
	fieldChannel  = "C_MACHINES"
	fieldApproval = "C_APPROVALS"
)

// lockedBuffer is a bytes.Buffer safe for the handler's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines.
func (b *lockedBuffer) lines() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, raw := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		var line map[string]any
		if json.Unmarshal(raw, &line) == nil {
			out = append(out, line)
		}
	}
	return out
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fieldEnv is a Handler wired to a fake Slack, a fake Core API and a
// SQLite store.
type fieldEnv struct {
	t     *testing.T
	slack *fakeslack.Server
	store store.Store
	h     *Handler
	logs  *lockedBuffer
}

func newFieldEnv(t *testing.T, templates []paperspace.Template, users []paperspace.User) *fieldEnv {
	t.Helper()
	fake := fakeslack.New(fakeslack.WithLogf(t.Logf))
	t.Cleanup(fake.Close)
	var coreOptions []fakecoreapi.Option
	if templates != nil {
		coreOptions = append(coreOptions, fakecoreapi.WithTemplates(templates))
	}
	coreFake := fakecoreapi.New(coreOptions...)
	t.Cleanup(coreFake.Close)
	core, err := paperspace.NewClient(coreFake.URL(), fakecoreapi.DefaultAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	logs := &lockedBuffer{}
	log := zerolog.New(logs).Level(zerolog.DebugLevel)
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))
	catalog := NewCatalog(CatalogConfig{Core: core, Log: log})
	// Both lists count as fresh, so no background refresh replaces them.
	catalog.SetTemplates(templates)
	catalog.setUsers(users)

	h := New(Config{
		API:               api,
		Poster:            chat.New(chat.Config{API: api, Log: log, BotUserID: fake.BotUserID(), Interval: time.Millisecond}),
		Core:              core,
		Store:             db,
		Authz:             NewAuthorizer(AuthorizerConfig{API: api, UserIDs: []string{fieldAdmin}}),
		Catalog:           catalog,
		Log:               log,
		Command:           "/paperspace",
		ApprovalChannelID: fieldApproval,
		RequestExpiry:     time.Hour,
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("handler logs:\n%s", logs.String())
		}
	})
	return &fieldEnv{t: t, slack: fake, store: db, h: h, logs: logs}
}

// handle runs env through the Handler and returns the ack payload, or nil
// when the handler acknowledged without one or the envelope needs no ack.
func (f *fieldEnv) handle(env fakeslack.Envelope) any {
	f.t.Helper()
	payload, err := json.Marshal(env.Payload)
	if err != nil {
		f.t.Fatal(err)
	}
	e := &bot.Envelope{Type: env.Type, EnvelopeID: env.EnvelopeID, Payload: payload}
	var acked any
	var ack bot.AckFunc
	if it := e.InteractionType(); it == "view_submission" || it == "block_suggestion" {
		ack = func(p any) bool {
			acked = p
			return true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f.h.Handle(ctx, e, ack)
	return acked
}

// pendingRequest stores a member's pending request.
func (f *fieldEnv) pendingRequest() *paperspacebot.Request {
	f.t.Helper()
	r, err := f.store.CreateRequest(context.Background(), &paperspacebot.Request{
		Key:   "view:V_REQUEST_" + store.NewID(),
		State: paperspacebot.StatePending,
		Spec: paperspacebot.Spec{
			Name: "gpu-1", Region: "East Coast (NY2)", MachineType: "Air", TemplateID: "t123abc", SizeGB: 50,
		},
		RequesterID: "U_MEMBER",
		ChannelID:   fieldChannel,
		ExpiresAt:   time.Now().Add(time.Hour),
	}, store.Audit{Actor: "U_MEMBER", Action: "request", Outcome: "waiting"})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// TestOpenFormTriggerExpired makes views.open fail because the trigger
// expired or is unknown. The invoker must get an ephemeral message to try
// again, and the log line must carry their user id.
func TestOpenFormTriggerExpired(t *testing.T) {
	entries := []struct {
		name string
		// envelope builds the interaction with the given trigger id.
		envelope func(f *fieldEnv, trigger string) fakeslack.Envelope
		channel  string
		// again is the action the message must name.
		again string
	}{
		{"slash command", func(f *fieldEnv, trigger string) fakeslack.Envelope {
			return f.slack.SlashCommand(fakeslack.SlashCommandArgs{
				UserID: fieldAdmin, ChannelID: fieldChannel, Command: "/paperspace", Text: "create gpu-1", TriggerID: trigger,
			})
		}, fieldChannel, "/paperspace create"},
		{"approve button", func(f *fieldEnv, trigger string) fakeslack.Envelope {
			r := f.pendingRequest()
			return f.slack.BlockActions(fakeslack.BlockActionsArgs{
				UserID: fieldAdmin, ChannelID: fieldApproval, MessageTS: "1700000000.000100", TriggerID: trigger,
				Actions: []fakeslack.Action{{ActionID: blocks.ActionApprove, BlockID: "decide", Value: r.ID}},
			})
		}, fieldApproval, "Approve"},
		{"deny button", func(f *fieldEnv, trigger string) fakeslack.Envelope {
			r := f.pendingRequest()
			return f.slack.BlockActions(fakeslack.BlockActionsArgs{
				UserID: fieldAdmin, ChannelID: fieldApproval, MessageTS: "1700000000.000100", TriggerID: trigger,
				Actions: []fakeslack.Action{{ActionID: blocks.ActionDeny, BlockID: "decide", Value: r.ID}},
			})
		}, fieldApproval, "Deny"},
	}
	triggers := []struct {
		name  string
		spoil func(f *fieldEnv, env fakeslack.Envelope)
	}{
		{"expired", func(f *fieldEnv, env fakeslack.Envelope) {
			f.slack.ExpireTrigger(env.Payload.(map[string]any)["trigger_id"].(string))
		}},
		{"invalid", func(f *fieldEnv, env fakeslack.Envelope) {
			env.Payload.(map[string]any)["trigger_id"] = "1700000000.4242.unknown"
		}},
	}
	for _, entry := range entries {
		for _, trig := range triggers {
			t.Run(entry.name+" "+trig.name, func(t *testing.T) {
				f := newFieldEnv(t, nil, nil)
				env := entry.envelope(f, "")
				trig.spoil(f, env)
				f.handle(env)

				if views := f.slack.ViewIDs(); len(views) != 0 {
					t.Errorf("open views = %v, want none", views)
				}
				var sent []fakeslack.Message
				for _, m := range f.slack.AllMessages() {
					if m.User == fieldAdmin {
						sent = append(sent, m)
					}
				}
				if len(sent) != 1 {
					t.Fatalf("messages to the invoker = %d, want 1: %+v", len(sent), sent)
				}
				msg := sent[0]
				if !msg.Ephemeral || msg.Channel != entry.channel {
					t.Errorf("message in %s, ephemeral %v; want ephemeral in %s", msg.Channel, msg.Ephemeral, entry.channel)
				}
				if !strings.Contains(msg.Text, "again") {
					t.Errorf("message %q does not ask to try again", msg.Text)
				}

				var logged bool
				for _, line := range f.logs.lines() {
					if line["user_id"] == fieldAdmin && (line["level"] == "warn" || line["level"] == "error") &&
						strings.Contains(fmt.Sprint(line["message"], line["error"]), "trigger") {
						logged = true
					}
				}
				if !logged {
					t.Errorf("no warn or error log line with user_id %s about the trigger:\n%s", fieldAdmin, f.logs.String())
				}

				t.Run("names the action", func(t *testing.T) {
					if !strings.Contains(msg.Text, entry.again) {
						t.Errorf("message %q does not name %q", msg.Text, entry.again)
					}
				})
			})
		}
	}
}

// state builds a submitted view's state. Keys are block ids; a value
// "select:V" is a selected option, "check:V" a ticked checkbox, and any
// other value typed text.
func state(fields map[string]string) *slack.ViewState {
	s := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}}
	for id, v := range fields {
		var a slack.BlockAction
		switch {
		case strings.HasPrefix(v, "select:"):
			value := strings.TrimPrefix(v, "select:")
			a.SelectedOption = slack.OptionBlockObject{Value: value, Text: &slack.TextBlockObject{Type: slack.PlainTextType, Text: value}}
		case strings.HasPrefix(v, "check:"):
			a.SelectedOptions = []slack.OptionBlockObject{{Value: strings.TrimPrefix(v, "check:")}}
		default:
			a.Value = v
		}
		s.Values[id] = map[string]slack.BlockAction{id: a}
	}
	return s
}

// goodForm returns valid form fields, with overrides ("" removes a field).
func goodForm(overrides map[string]string) map[string]string {
	fields := map[string]string{
		blocks.BlockMachineName: "gpu-box-1",
		blocks.BlockRegion:      "select:East Coast (NY2)",
		blocks.BlockMachineType: "select:Air",
		blocks.BlockTemplate:    "select:t123abc",
		blocks.BlockStorageSize: "select:50",
		blocks.BlockAssignee:    "select:u123abc",
	}
	for k, v := range overrides {
		if v == "" {
			delete(fields, k)
			continue
		}
		fields[k] = v
	}
	return fields
}

// TestNameLimitInCharacters submits names of emoji and CJK text. The limit
// is counted in characters, so a 60-character name is accepted however
// many bytes it takes, and the same holds for the new user's names.
func TestNameLimitInCharacters(t *testing.T) {
	rocket := "\U0001F680" // one code point, 4 bytes in UTF-8
	tests := []struct {
		name    string
		block   string
		value   string
		wantErr string // "" means accepted
		skip    string
	}{
		{"60 emoji", blocks.BlockMachineName, strings.Repeat(rocket, 60), "", ""},
		{"60 CJK", blocks.BlockMachineName, strings.Repeat("機械学習用計算機です", 6), "", ""},
		{"64 emoji", blocks.BlockMachineName, strings.Repeat(rocket, 64), "", ""},
		{"65 emoji", blocks.BlockMachineName, strings.Repeat(rocket, 65), "The name is 65 characters long: use 1 to 64.", ""},
		{"65 CJK", blocks.BlockMachineName, strings.Repeat("機", 65), "The name is 65 characters long: use 1 to 64.", ""},
		{"60 emoji of several code points", blocks.BlockMachineName, strings.Repeat("👍🏽👩‍💻🇯🇵", 20), "", ""},
		{"100 emoji first name", blocks.BlockNewUserFirstName, strings.Repeat(rocket, 100), "", ""},
		{"101 emoji last name", blocks.BlockNewUserLastName, strings.Repeat(rocket, 101), "The last name is 101 characters long: use at most 100.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			overrides := map[string]string{tt.block: tt.value}
			if tt.block != blocks.BlockMachineName {
				overrides[blocks.BlockAssignee] = ""
				overrides[blocks.BlockNewUserEmail] = "grace@example.com"
				overrides[blocks.BlockNewUserFirstName] = "Grace"
				overrides[blocks.BlockNewUserLastName] = "Hopper"
				overrides[tt.block] = tt.value
			}
			spec, errs := parseSpec(state(goodForm(overrides)), NewCatalog(CatalogConfig{}), true)
			if got := errs[tt.block]; got != tt.wantErr {
				t.Errorf("error for %s = %q, want %q", tt.block, got, tt.wantErr)
			}
			if len(errs) > 1 || (len(errs) == 1 && tt.wantErr == "") {
				t.Errorf("errors = %v, want only %s's", errs, tt.block)
			}
			if tt.wantErr == "" && tt.block == blocks.BlockMachineName && spec.Name != tt.value {
				t.Errorf("spec name = %q, want %q", spec.Name, tt.value)
			}
		})
	}
}

// TestFormPrefilledWithLongName runs "/paperspace create <name>" with
// emoji and CJK names: the fake Slack, which checks every view against
// Slack's limits, must accept the form, with the name prefilled whole when
// it fits and cut between characters when it does not.
func TestFormPrefilledWithLongName(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"60 emoji", strings.Repeat("\U0001F680", 60), strings.Repeat("\U0001F680", 60)},
		{"60 CJK", strings.Repeat("機械学習用計算機です", 6), strings.Repeat("機械学習用計算機です", 6)},
		{"100 CJK", strings.Repeat("計", 100), strings.Repeat("計", 64)},
		{"emoji sequences", strings.Repeat("👩‍💻", 30), strings.Repeat("👩‍💻", 21)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFieldEnv(t, nil, nil)
			f.handle(f.slack.SlashCommand(fakeslack.SlashCommandArgs{
				UserID: fieldAdmin, ChannelID: fieldChannel, Command: "/paperspace", Text: "create " + tt.text,
			}))
			for _, c := range f.slack.CallsTo("views.update") {
				if c.Error != "" {
					t.Errorf("views.update failed: %s", c.Error)
				}
			}
			ids := f.slack.ViewIDs()
			if len(ids) != 1 {
				t.Fatalf("open views = %d, want 1", len(ids))
			}
			raw, _ := f.slack.View(ids[0])
			var view struct {
				CallbackID string `json:"callback_id"`
				Blocks     []struct {
					BlockID string `json:"block_id"`
					Element struct {
						InitialValue string `json:"initial_value"`
					} `json:"element"`
				} `json:"blocks"`
			}
			if err := json.Unmarshal(raw, &view); err != nil {
				t.Fatal(err)
			}
			if view.CallbackID != blocks.CallbackCreate {
				t.Fatalf("view callback_id = %q, want the create form", view.CallbackID)
			}
			for _, b := range view.Blocks {
				if b.BlockID == blocks.BlockMachineName && b.Element.InitialValue != tt.want {
					t.Errorf("prefilled name = %q (%d runes), want %q", b.Element.InitialValue,
						utf8.RuneCountInString(b.Element.InitialValue), tt.want)
				}
			}
		})
	}
}

// manyTemplates returns 250 templates: 30 whose label starts with "U", 100
// whose OS does, and 120 that only contain a "u".
func manyTemplates() []paperspace.Template {
	var out []paperspace.Template
	for i := range 30 {
		out = append(out, paperspace.Template{ID: fmt.Sprintf("tlabel%02d", i), Label: fmt.Sprintf("Ubuntu 22.04 Server %d", i), OS: "Ubuntu 22.04"})
	}
	for i := range 100 {
		out = append(out, paperspace.Template{ID: fmt.Sprintf("tos%03d", i), Label: fmt.Sprintf("Base image %d", i), OS: "Ubuntu 20.04"})
	}
	for i := range 120 {
		out = append(out, paperspace.Template{ID: fmt.Sprintf("tin%03d", i), Label: fmt.Sprintf("Windows Compute %d", i), OS: "Windows 10"})
	}
	// Put the best matches last, so that list order cannot pass for rank.
	slices.Reverse(out)
	return out
}

func manyUsers() []paperspace.User {
	var out []paperspace.User
	for i := range 250 {
		out = append(out, paperspace.User{ID: fmt.Sprintf("u%03d", i), Firstname: "Ursula", Lastname: fmt.Sprint(i), Email: fmt.Sprintf("ursula%d@example.com", i)})
	}
	return out
}

type optionsJSON struct {
	Options *[]struct {
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
		Value       string `json:"value"`
		Description *struct {
			Text string `json:"text"`
		} `json:"description"`
	} `json:"options"`
}

// suggest sends the Handler a block_suggestion for a menu and returns the
// ack payload, as JSON and as the value the Handler gave.
func (f *fieldEnv) suggest(actionID, query string) (raw []byte, payload any) {
	f.t.Helper()
	payload = f.handle(f.slack.BlockSuggestion(fakeslack.BlockSuggestionArgs{
		UserID: fieldAdmin, ActionID: actionID, BlockID: actionID, Value: query,
		View: fakeslack.ViewArgs{ID: "V_FORM", CallbackID: blocks.CallbackCreate},
	}))
	raw, err := json.Marshal(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	return raw, payload
}

// TestSuggestOneLetter types one letter into menus of 250 items: at most
// 100 options come back, the best matches first, with a hint to type
// more, and a query with no match gives an explicit empty list.
func TestSuggestOneLetter(t *testing.T) {
	f := newFieldEnv(t, manyTemplates(), manyUsers())

	tests := []struct {
		name     string
		actionID string
		query    string
		// firstIDs are the values of the first options, in order of rank
		// class: the values must start with these prefixes.
		firstPrefix string
		firstCount  int
		banned      string
		wantTotal   int
	}{
		{"templates", blocks.BlockTemplate, "u", "tlabel", 30, "tin", 250},
		{"templates upper case", blocks.BlockTemplate, "U", "tlabel", 30, "tin", 250},
		{"users", blocks.BlockAssignee, "u", "u", 100, "", 250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, payload := f.suggest(tt.actionID, tt.query)
			var got optionsJSON
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("payload %s: %v", raw, err)
			}
			if got.Options == nil {
				t.Fatalf("payload %s has no options array", raw)
			}
			options := *got.Options
			if len(options) != 100 {
				t.Fatalf("options = %d, want 100", len(options))
			}
			for i, o := range options[:tt.firstCount] {
				if !strings.HasPrefix(o.Value, tt.firstPrefix) {
					t.Errorf("option %d = %q, want a best match (%s…) first", i, o.Value, tt.firstPrefix)
				}
			}
			for _, o := range options {
				if tt.banned != "" && strings.HasPrefix(o.Value, tt.banned) {
					t.Errorf("option %q is a weak match, shown while 100 better ones exist", o.Value)
				}
			}
			last := options[len(options)-1]
			wantHint := fmt.Sprintf("Showing 100 of %d matches: type more to narrow the list.", tt.wantTotal)
			if last.Description == nil || last.Description.Text != wantHint {
				t.Errorf("last option description = %+v, want %q", last.Description, wantHint)
			}
			if err := blocks.Check(payload); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}

	for _, actionID := range []string{blocks.BlockTemplate, blocks.BlockAssignee, "unknown_menu"} {
		t.Run("no match "+actionID, func(t *testing.T) {
			raw, _ := f.suggest(actionID, "zzzz")
			if string(raw) != `{"options":[]}` {
				t.Errorf("payload = %s, want {\"options\":[]}", raw)
			}
		})
	}
}

// TestTemplateOptionFallbacks offers templates with a null label, a label
// longer than an option's 75 characters, and long ids. Each option must
// show the OS or the id in place of a missing label, keep its text within
// the limit, and carry the id as its value.
func TestTemplateOptionFallbacks(t *testing.T) {
	longID := "tteam" + strings.Repeat("0123456789", 4) // 45 characters
	tooLongID := "t" + strings.Repeat("x", blocks.MaxOptionValue)
	var templates []paperspace.Template
	for _, raw := range []string{
		`{"id":"tnulllabel","name":"paperspace/tnulllabel","label":null,"os":"Ubuntu 22.04 LTS"}`,
		`{"id":"tnothing","label":null,"os":null}`,
		`{"id":"` + longID + `","label":"` + strings.Repeat("Very long template label ", 6) + `","os":"Ubuntu 22.04"}`,
		`{"id":"` + longID + `x","label":null,"os":"` + strings.Repeat("Windows Server Datacenter ", 5) + `"}`,
		`{"id":"` + tooLongID + `","label":"Unselectable","os":"Ubuntu"}`,
	} {
		var tmpl paperspace.Template
		if err := json.Unmarshal([]byte(raw), &tmpl); err != nil {
			t.Fatal(err)
		}
		templates = append(templates, tmpl)
	}
	f := newFieldEnv(t, templates, nil)

	raw, payload := f.suggest(blocks.BlockTemplate, "")
	var got optionsJSON
	if err := json.Unmarshal(raw, &got); err != nil || got.Options == nil {
		t.Fatalf("payload %s: %v", raw, err)
	}
	byValue := map[string]string{}
	for _, o := range *got.Options {
		byValue[o.Value] = o.Text.Text
		if n := utf8.RuneCountInString(o.Text.Text); n > blocks.MaxOptionText {
			t.Errorf("option %s text has %d characters, want at most %d", o.Value, n, blocks.MaxOptionText)
		}
		if strings.TrimSpace(o.Text.Text) == "" || strings.Contains(o.Text.Text, "null") {
			t.Errorf("option %s text = %q, want a label, OS or id", o.Value, o.Text.Text)
		}
	}
	tests := []struct {
		value      string
		wantPrefix string
	}{
		{"tnulllabel", "Ubuntu 22.04 LTS"},
		{"tnothing", "tnothing"},
		{longID, "Very long template label"},
		{longID + "x", "Windows Server Datacenter"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			text, ok := byValue[tt.value]
			if !ok {
				t.Fatalf("no option with value %q in %s", tt.value, raw)
			}
			if !strings.HasPrefix(text, tt.wantPrefix) {
				t.Errorf("text = %q, want it to start with %q", text, tt.wantPrefix)
			}
		})
	}
	if _, ok := byValue[tooLongID]; ok {
		t.Errorf("an option carries the %d-character id, longer than an option value may be", len(tooLongID))
	}
	if err := blocks.Check(payload); err != nil {
		t.Errorf("Check: %v", err)
	}

	// The label kept for messages falls back the same way.
	spec, errs := parseSpec(state(goodForm(map[string]string{blocks.BlockTemplate: "select:tnulllabel"})), f.h.cfg.Catalog, true)
	if len(errs) > 0 {
		t.Fatalf("errors = %v", errs)
	}
	if spec.TemplateLabel != "Ubuntu 22.04 LTS" {
		t.Errorf("template label = %q, want the OS", spec.TemplateLabel)
	}
}

// badValues are, per input, values that parseSpec must reject or that
// stress it. "" removes the input.
var badValues = map[string][]string{
	blocks.BlockMachineName:       {"", "  ", strings.Repeat("n", 65), "line\nbreak", "tab\there", strings.Repeat("\U0001F680", 70)},
	blocks.BlockRegion:            {"", "select:Mars (MRS1)", "select:"},
	blocks.BlockMachineType:       {"", "select:Z9000", "select:air"},
	blocks.BlockTemplate:          {"", "select:" + strings.Repeat("t", 80), "select:tmissing"},
	blocks.BlockStorageSize:       {"", "select:70", "select:fifty", "select:-50"},
	blocks.BlockAssignee:          {"", "select:u999"},
	blocks.BlockNewUserEmail:      {"", "not-an-email", "a@b", "Ada <ada@example.com>", strings.Repeat("a", 250) + "@example.com"},
	blocks.BlockNewUserFirstName:  {"", strings.Repeat("f", 101), "new\nline"},
	blocks.BlockNewUserLastName:   {"", strings.Repeat("l", 101), "bell\a"},
	blocks.BlockPublicIP:          {"", "check:public_ip", "check:no"},
	blocks.BlockNetwork:           {"", "select:n-unknown", "select:" + strings.Repeat("n", 200)},
	blocks.BlockNotificationEmail: {"", "ops@", "two@example.com three@example.com"},
}

// TestErrorKeysNameInputBlocks drives parseSpec with every single bad
// value and with thousands of random mixes of them, and checks that each
// error key is the block id of an input block of every form the handlers
// open: a key naming any other block makes Slack show a generic error.
func TestErrorKeysNameInputBlocks(t *testing.T) {
	networks := []paperspace.Network{{ID: "n123abc", Name: "training", Region: "East Coast (NY2)"}}
	var views []slack.ModalViewRequest
	for _, mode := range []blocks.FormMode{blocks.FormCreate, blocks.FormRequest, blocks.FormApprove} {
		for _, nets := range [][]paperspace.Network{nil, networks} {
			views = append(views, blocks.FormModal(blocks.Form{Mode: mode, Networks: nets}))
		}
	}
	f := newFieldEnv(t, []paperspace.Template{{ID: "t123abc", Label: "Windows 10"}}, []paperspace.User{{ID: "u123abc", Email: "jon@example.com"}})
	catalogs := map[string]*Catalog{"empty catalog": NewCatalog(CatalogConfig{}), "loaded catalog": f.h.cfg.Catalog}

	keys := map[string]bool{}
	collect := func(fields map[string]string) {
		for name, catalog := range catalogs {
			for _, required := range []bool{true, false} {
				_, errs := parseSpec(state(fields), catalog, required)
				for key := range errs {
					if !keys[key] {
						t.Logf("key %s first from %s (required assignee %v): %v", key, name, required, fields)
					}
					keys[key] = true
				}
			}
		}
	}
	for block, values := range badValues {
		for _, v := range values {
			collect(goodForm(map[string]string{block: v}))
		}
	}
	rng := rand.New(rand.NewPCG(6, 7))
	blockIDs := make([]string, 0, len(badValues))
	for block := range badValues {
		blockIDs = append(blockIDs, block)
	}
	slices.Sort(blockIDs)
	for range 3000 {
		fields := goodForm(nil)
		for _, block := range blockIDs {
			if rng.IntN(3) == 0 {
				values := badValues[block]
				if v := values[rng.IntN(len(values))]; v == "" {
					delete(fields, block)
				} else {
					fields[block] = v
				}
			}
		}
		collect(fields)
	}

	// The availability check keys its error too.
	f.h.cfg.Catalog.mu.Lock()
	f.h.cfg.Catalog.availability[availabilityKey("East Coast (NY2)", "P4000")] = availabilityAnswer{available: false, at: time.Now()}
	f.h.cfg.Catalog.mu.Unlock()
	for _, callback := range []string{blocks.CallbackCreate, blocks.CallbackApprove} {
		ack := f.handle(f.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{
			UserID: fieldAdmin,
			View: fakeslack.ViewArgs{ID: "V_FORM", CallbackID: callback, PrivateMetadata: `{"c":"` + fieldChannel + `","q":"r1"}`,
				Values: fakeValues(goodForm(map[string]string{blocks.BlockMachineType: "select:P4000"}))},
		}))
		for key := range errorKeys(t, ack) {
			keys[key] = true
		}
	}
	if !keys[blocks.BlockMachineType] {
		t.Error("the availability check returned no machine_type error; the test no longer covers it")
	}

	if len(keys) < 8 {
		t.Errorf("only %d distinct error keys collected (%v); the bad inputs no longer reach the checks", len(keys), keys)
	}
	for _, view := range views {
		inputs := blocks.InputBlockIDs(view)
		for key := range keys {
			if !slices.Contains(inputs, key) {
				t.Errorf("error key %q names no input block of the %s form (inputs %v)", key, view.CallbackID, inputs)
			}
		}
	}

	// The deny modal's errors.
	denyInputs := blocks.InputBlockIDs(blocks.DenyModal(&paperspacebot.Request{ID: "r1"}, ""))
	for _, reason := range []string{"", "  ", strings.Repeat("r", 501), strings.Repeat("\U0001F680", 501)} {
		ack := f.handle(f.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{
			UserID: fieldAdmin,
			View: fakeslack.ViewArgs{ID: "V_DENY", CallbackID: blocks.CallbackDeny, PrivateMetadata: `{"q":"r1"}`,
				Values: fakeValues(map[string]string{blocks.BlockDenyReason: reason})},
		}))
		got := errorKeys(t, ack)
		if len(got) == 0 {
			t.Errorf("deny reason of %d characters: no errors, want one", utf8.RuneCountInString(reason))
		}
		for key := range got {
			if !slices.Contains(denyInputs, key) {
				t.Errorf("deny error key %q names no input block of the deny modal (inputs %v)", key, denyInputs)
			}
		}
	}
}

// fakeValues converts form fields (see state) to a fake Slack view state.
func fakeValues(fields map[string]string) fakeslack.Values {
	values := fakeslack.Values{}
	for id, v := range fields {
		var sv fakeslack.StateValue
		switch {
		case strings.HasPrefix(v, "select:"):
			value := strings.TrimPrefix(v, "select:")
			sv = fakeslack.SelectValue(value, value)
		case strings.HasPrefix(v, "check:"):
			sv = fakeslack.StateValue{Type: "checkboxes", SelectedOptions: []fakeslack.OptionObject{{Text: "x", Value: strings.TrimPrefix(v, "check:")}}}
		default:
			sv = fakeslack.TextValue(v)
		}
		values[id] = map[string]fakeslack.StateValue{id: sv}
	}
	return values
}

// errorKeys returns the keys of a response_action errors ack, or none.
func errorKeys(t *testing.T, ack any) map[string]bool {
	t.Helper()
	raw, err := json.Marshal(ack)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(raw, &body)
	keys := map[string]bool{}
	if body.ResponseAction == "errors" {
		for k := range body.Errors {
			keys[k] = true
		}
	}
	return keys
}
