package fakeslack_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func modalRequest(callbackID string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject("plain_text", "Create machine", false, false),
		CallbackID: callbackID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Loading…", false, false), nil, nil),
		}},
	}
}

func TestViewsOpenAndUpdate(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)

	opened, err := api.OpenViewContext(ctx, s.NewTriggerID(), modalRequest("create_machine"))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if !strings.HasPrefix(opened.View.ID, "V") {
		t.Errorf("view id = %q, want V...", opened.View.ID)
	}
	if opened.View.Hash == "" {
		t.Errorf("view hash is empty")
	}
	if opened.View.State == nil {
		t.Errorf("view state is missing")
	}
	checkFields(t,
		field{"callback_id", opened.View.CallbackID, "create_machine"},
		field{"root_view_id", opened.View.RootViewID, opened.View.ID},
	)

	updated, err := api.UpdateViewContext(ctx, modalRequest("create_machine_filled"), "", opened.View.Hash, opened.View.ID)
	if err != nil {
		t.Fatalf("views.update: %v", err)
	}
	checkFields(t, field{"updated view id", updated.View.ID, opened.View.ID})
	if updated.View.Hash == opened.View.Hash {
		t.Errorf("updated hash = %q, want a new hash", updated.View.Hash)
	}

	_, err = api.UpdateViewContext(ctx, modalRequest("again"), "", opened.View.Hash, opened.View.ID)
	if got := slackErr(err); got != "hash_conflict" {
		t.Errorf("update with stale hash: %v, want hash_conflict", err)
	}

	raw, ok := s.View(opened.View.ID)
	if !ok {
		t.Fatalf("View(%s) not found", opened.View.ID)
	}
	if got := decodeView(t, raw).CallbackID; got != "create_machine_filled" {
		t.Errorf("stored callback_id = %q, want create_machine_filled", got)
	}
}

func TestViewsUpdateByExternalID(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)
	req := modalRequest("create_machine")
	req.ExternalID = "req-1"
	opened, err := api.OpenViewContext(ctx, s.NewTriggerID(), req)
	if err != nil {
		t.Fatal(err)
	}
	updated, err := api.UpdateViewContext(ctx, modalRequest("working"), "req-1", "", "")
	if err != nil {
		t.Fatalf("views.update by external_id: %v", err)
	}
	checkFields(t,
		field{"updated view id", updated.View.ID, opened.View.ID},
		field{"external_id", updated.View.ExternalID, "req-1"},
	)
	if _, ok := s.ViewByExternalID("req-1"); !ok {
		t.Errorf("ViewByExternalID(req-1) not found")
	}

	_, err = api.OpenViewContext(ctx, s.NewTriggerID(), req)
	if got := slackErr(err); got != "duplicate_external_id" {
		t.Errorf("second view with req-1: %v, want duplicate_external_id", err)
	}
}

func TestViewsUpdateNotFound(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)
	opened, err := api.OpenViewContext(ctx, s.NewTriggerID(), modalRequest("x"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		viewID     string
		externalID string
		prepare    func()
	}{
		{"unknown view id", "V404", "", func() {}},
		{"unknown external id", "", "nope", func() {}},
		{"view closed by the user", opened.View.ID, "", func() { s.CloseView(opened.View.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.prepare()
			_, err := api.UpdateViewContext(ctx, modalRequest("y"), tt.externalID, "", tt.viewID)
			if got := slackErr(err); got != "not_found" {
				t.Errorf("error = %v, want not_found", err)
			}
		})
	}
}

func TestTriggerIDs(t *testing.T) {
	tests := []struct {
		name    string
		opts    []fakeslack.Option
		trigger func(s *fakeslack.Server) string
		want    []string
	}{
		{"fresh trigger works once", nil, func(s *fakeslack.Server) string {
			return s.NewTriggerID()
		}, []string{"", "exchanged_trigger_id"}},
		{"expired trigger", nil, func(s *fakeslack.Server) string {
			id := s.NewTriggerID()
			s.ExpireTrigger(id)
			return id
		}, []string{"expired_trigger_id", "expired_trigger_id"}},
		{"unknown trigger", nil, func(*fakeslack.Server) string {
			return "123.456.abc"
		}, []string{"invalid_trigger_id"}},
		{"trigger past its TTL", []fakeslack.Option{fakeslack.WithTriggerTTL(time.Nanosecond), fakeslack.WithClock(steppingClock())},
			func(s *fakeslack.Server) string { return s.NewTriggerID() },
			[]string{"expired_trigger_id"}},
		{"trigger within its TTL", []fakeslack.Option{fakeslack.WithTriggerTTL(time.Hour), fakeslack.WithClock(steppingClock())},
			func(s *fakeslack.Server) string { return s.NewTriggerID() },
			[]string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.opts...)
			api := newClient(s)
			id := tt.trigger(s)
			for i, want := range tt.want {
				_, err := api.OpenViewContext(testContext(t), id, modalRequest("x"))
				if got := slackErr(err); got != want {
					t.Errorf("views.open %d: error = %v, want %q", i+1, err, want)
				}
			}
		})
	}
}

// steppingClock returns a clock that moves one second on each reading, so
// trigger TTLs can be tested without waiting.
func steppingClock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

func TestViewLimits(t *testing.T) {
	withField := func(name string, value any) map[string]any {
		v := modal("cb")
		v[name] = value
		return v
	}
	manyBlocks := func(n int) map[string]any {
		var blocks []map[string]any
		for range n {
			blocks = append(blocks, map[string]any{"type": "divider"})
		}
		return modal("cb", blocks...)
	}
	selectWith := func(options []any) map[string]any {
		return modal("cb", map[string]any{
			"type":     "input",
			"block_id": "region",
			"label":    plain("Region"),
			"element":  map[string]any{"type": "static_select", "action_id": "region", "options": options},
		})
	}
	option := func(text, value string) any {
		return map[string]any{"text": plain(text), "value": value}
	}
	options := func(n int) []any {
		var list []any
		for i := range n {
			list = append(list, option("o", strings.Repeat("v", 1+i%5)))
		}
		return list
	}
	noSubmit := modal("cb", input("name"))
	delete(noSubmit, "submit")

	tests := []struct {
		name string
		view map[string]any
		want string
	}{
		{"valid", modal("cb"), ""},
		{"title 24 runes", withField("title", plain(strings.Repeat("é", 24))), ""},
		{"title 25 runes", withField("title", plain(strings.Repeat("é", 25))), "invalid_arguments"},
		{"title 24 runes of 3 bytes", withField("title", plain(strings.Repeat("…", 24))), ""},
		{"submit 25 characters", withField("submit", plain(strings.Repeat("s", 25))), "invalid_arguments"},
		{"close 25 characters", withField("close", plain(strings.Repeat("c", 25))), "invalid_arguments"},
		{"private_metadata 3000", withField("private_metadata", strings.Repeat("m", 3000)), ""},
		{"private_metadata 3001", withField("private_metadata", strings.Repeat("m", 3001)), "invalid_arguments"},
		{"callback_id 256", withField("callback_id", strings.Repeat("c", 256)), "invalid_arguments"},
		{"100 blocks", manyBlocks(100), ""},
		{"101 blocks", manyBlocks(101), "invalid_arguments"},
		{"input without submit", noSubmit, "invalid_arguments"},
		{"duplicate block_id", modal("cb", input("name"), input("name")), "invalid_arguments"},
		{"no options", selectWith([]any{}), "invalid_arguments"},
		{"100 options", selectWith(options(100)), ""},
		{"101 options", selectWith(options(101)), "invalid_arguments"},
		{"option text 75", selectWith([]any{option(strings.Repeat("t", 75), "v")}), ""},
		{"option text 76", selectWith([]any{option(strings.Repeat("t", 76), "v")}), "invalid_arguments"},
		{"option value 150", selectWith([]any{option("t", strings.Repeat("v", 150))}), ""},
		{"option value 151", selectWith([]any{option("t", strings.Repeat("v", 151))}), "invalid_arguments"},
		{"missing title", withField("title", nil), "invalid_arguments"},
		{"not a modal", withField("type", "home"), "invalid_arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			body := postJSON(t, s, "views.open", s.BotToken(), map[string]any{
				"trigger_id": s.NewTriggerID(),
				"view":       tt.view,
			})
			got, _ := body["error"].(string)
			if got != tt.want {
				t.Fatalf("error = %q, want %q (response %v)", got, tt.want, body)
			}
			if tt.want == "" {
				return
			}
			meta, _ := body["response_metadata"].(map[string]any)
			msgs, _ := meta["messages"].([]any)
			if len(msgs) == 0 {
				t.Fatalf("response_metadata.messages is empty, want the problem")
			}
			if m, _ := msgs[0].(string); !strings.Contains(m, "[json-pointer:/view") {
				t.Errorf("message %q names no JSON pointer into the view", m)
			}
		})
	}
}

func TestViewLimitsThroughSlackGo(t *testing.T) {
	s := newServer(t)
	req := modalRequest("x")
	req.Title = slack.NewTextBlockObject("plain_text", strings.Repeat("x", 25), false, false)
	_, err := newClient(s).OpenViewContext(testContext(t), s.NewTriggerID(), req)
	e, ok := err.(slack.SlackErrorResponse)
	if !ok || e.Err != "invalid_arguments" {
		t.Fatalf("error = %v, want invalid_arguments", err)
	}
	if len(e.ResponseMetadata.Messages) != 1 || !strings.Contains(e.ResponseMetadata.Messages[0], "/view/title/text") {
		t.Errorf("messages = %q, want one about /view/title/text", e.ResponseMetadata.Messages)
	}
}

func TestInvalidViewKeepsTrigger(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	trigger := s.NewTriggerID()
	bad := modalRequest("x")
	bad.PrivateMetadata = strings.Repeat("m", 3001)
	if _, err := api.OpenViewContext(testContext(t), trigger, bad); slackErr(err) != "invalid_arguments" {
		t.Fatalf("bad view: %v, want invalid_arguments", err)
	}
	if _, err := api.OpenViewContext(testContext(t), trigger, modalRequest("x")); err != nil {
		t.Errorf("good view with the same trigger: %v, want nil", err)
	}
}

func TestViewsPushStack(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)
	root, err := api.OpenViewContext(ctx, s.NewTriggerID(), modalRequest("root"))
	if err != nil {
		t.Fatal(err)
	}
	// Triggers from interactions in the root view push onto its stack.
	pushTrigger := func() string {
		env := s.BlockActions(fakeslack.BlockActionsArgs{UserID: "U1", View: fakeslack.ViewArgs{ID: root.View.ID}})
		return env.Payload.(map[string]any)["trigger_id"].(string)
	}
	second, err := api.PushViewContext(ctx, pushTrigger(), modalRequest("second"))
	if err != nil {
		t.Fatalf("first push: %v", err)
	}
	checkFields(t,
		field{"pushed root_view_id", second.View.RootViewID, root.View.ID},
		field{"pushed previous_view_id", second.View.PreviousViewID, root.View.ID},
	)
	third, err := api.PushViewContext(ctx, pushTrigger(), modalRequest("third"))
	if err != nil {
		t.Fatalf("second push: %v", err)
	}
	if third.View.PreviousViewID != second.View.ID {
		t.Errorf("third view previous = %q, want %q", third.View.PreviousViewID, second.View.ID)
	}
	_, err = api.PushViewContext(ctx, pushTrigger(), modalRequest("fourth"))
	if got := slackErr(err); got != "push_limit_reached" {
		t.Errorf("fourth view: %v, want push_limit_reached", err)
	}

	s.CloseView(second.View.ID)
	if got := s.ViewIDs(); len(got) != 1 || got[0] != root.View.ID {
		t.Errorf("open views after closing the second = %v, want only the root", got)
	}
}
