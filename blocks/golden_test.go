package blocks

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json with the current output")

// goldenCase is one builder call whose JSON is compared with
// testdata/<name>.golden.json.
type goldenCase struct {
	name  string
	build func() any
}

func goldenCases() []goldenCase {
	formCases := []goldenCase{
		{"form_create_empty", func() any { return FormModal(Form{Mode: FormCreate}) }},
		{"form_create_filled", func() any {
			return FormModal(Form{Mode: FormCreate, Spec: fullSpec(), Networks: networks(), PrivateMetadata: `{"channel":"C012CHANNEL"}`,
				Notice: ":warning: *P5000* is not available in East Coast (NY2) right now."})
		}},
		{"form_create_new_user", func() any { return FormModal(Form{Mode: FormCreate, Spec: newUserSpec()}) }},
		{"form_request", func() any { return FormModal(Form{Mode: FormRequest, Spec: paperspacebot.Spec{Name: "my-box"}}) }},
		{"form_approve", func() any {
			return FormModal(Form{Mode: FormApprove, Spec: fullSpec(), Networks: networks(), RequesterID: "U012REQUEST",
				RequestedAt: t0, ExternalID: "approve:r7k2m9x4q1", PrivateMetadata: "r7k2m9x4q1"})
		}},
		{"form_emoji_name", func() any {
			spec := fullSpec()
			spec.Name = emojiName
			spec.TemplateLabel = emojiName
			spec.AssigneeLabel = emojiName
			return FormModal(Form{Mode: FormCreate, Spec: spec})
		}},
		{"form_cjk_name", func() any {
			spec := fullSpec()
			spec.Name = cjkName + cjkName
			spec.TemplateLabel = cjkName + cjkName
			return FormModal(Form{Mode: FormRequest, Spec: spec})
		}},
		{"modal_loading", func() any { return LoadingModal("Create machine", "Loading templates and users…") }},
		{"modal_loading_defaults", func() any { return LoadingModal("", "") }},
		{"modal_notice", func() any {
			return NoticeModal("Create machine", "Creating… the result will be posted in <#C012CHANNEL>.")
		}},
		{"modal_notice_long_title", func() any {
			return NoticeModal("Machine creation is not allowed for you", "Only team admins can create machines.")
		}},
		{"modal_deny", func() any { return DenyModal(request(paperspacebot.StatePending), "r7k2m9x4q1") }},
		{"modal_deny_nil_request", func() any { return DenyModal(nil, "") }},
	}

	optionCases := []goldenCase{
		{"option_template", func() any {
			return TemplateOption(paperspace.Template{ID: "tkni3aa4", Label: "ML-in-a-Box", OS: "Ubuntu 20.04"})
		}},
		{"option_template_null_label", func() any {
			return TemplateOption(paperspace.Template{ID: "tkni3aa4", OS: "Windows 10"})
		}},
		{"option_template_only_id", func() any { return TemplateOption(paperspace.Template{ID: "tkni3aa4"}) }},
		{"option_template_team", func() any {
			return TemplateOption(paperspace.Template{ID: "t9q8w7e6", Label: "Our CUDA image", OS: "Ubuntu 22.04",
				TeamID: "te1234", Region: "Europe (AMS1)"})
		}},
		{"option_template_label_120", func() any {
			return TemplateOption(paperspace.Template{ID: "tkni3aa4", Label: strings.Repeat("Deep learning ", 9)[:120], OS: "Ubuntu 20.04"})
		}},
		{"option_template_id_40", func() any {
			return TemplateOption(paperspace.Template{ID: strings.Repeat("a1b2c3d4", 5), Label: "Forty-character id"})
		}},
		{"option_template_emoji", func() any {
			return TemplateOption(paperspace.Template{ID: "tkni3aa4", Label: emojiName + emojiName, OS: "Ubuntu 20.04"})
		}},
		{"option_user", func() any {
			return UserOption(paperspace.User{ID: "u7h3k2j9", Email: "ada@example.com", Firstname: "Ada", Lastname: "Lovelace"})
		}},
		{"option_user_email_only", func() any { return UserOption(paperspace.User{ID: "u7h3k2j9", Email: "ada@example.com"}) }},
		{"option_user_id_only", func() any { return UserOption(paperspace.User{ID: "u7h3k2j9"}) }},
		{"option_user_cjk", func() any {
			return UserOption(paperspace.User{ID: "u7h3k2j9", Email: "kikai@example.jp", Firstname: cjkName, Lastname: cjkName})
		}},
		{"options_empty", func() any { return OptionsResponse(nil, 0) }},
		{"options_250_templates", func() any {
			var opts []*slack.OptionBlockObject
			for _, t := range templates(250) {
				opts = append(opts, TemplateOption(t))
			}
			return OptionsResponse(opts, 250)
		}},
		{"options_nil_dropped", func() any {
			opts := []*slack.OptionBlockObject{
				TemplateOption(paperspace.Template{ID: strings.Repeat("x", 80)}),
				UserOption(paperspace.User{ID: "u7h3k2j9", Email: "ada@example.com"}),
				nil,
			}
			return OptionsResponse(opts, 0)
		}},
	}

	machineCases := []goldenCase{
		{"msg_creating", func() any { return CreatingMessage(request(paperspacebot.StateCreating)) }},
		{"msg_creating_approved", func() any { return CreatingMessage(decided(paperspacebot.StateCreating)) }},
		{"msg_details_no_machine", func() any { return MachineDetails(request(paperspacebot.StateCreated), t0) }},
		{"msg_details_empty_machine", func() any {
			r := request(paperspacebot.StateCreated)
			r.Machine = &paperspace.Machine{ID: "psz8a7b6c"}
			return MachineDetails(r, t0)
		}},
		{"msg_details_ip_pending", func() any {
			return MachineDetails(withMachine(request(paperspacebot.StateCreated), "provisioning", ""), t0)
		}},
		{"msg_details_ip_none_ready", func() any {
			return MachineDetails(withMachine(request(paperspacebot.StateReady), "ready", ""), t0)
		}},
		{"msg_details_ip_ready", func() any {
			return MachineDetails(withMachine(decided(paperspacebot.StateReady), "ready", "203.0.113.7"), t0)
		}},
		{"msg_details_ip_not_requested", func() any {
			r := withMachine(request(paperspacebot.StateCreated), "provisioning", "")
			r.Spec.PublicIP = false
			return MachineDetails(r, t0)
		}},
		{"msg_details_reconciled", func() any {
			r := withMachine(request(paperspacebot.StateCreated), "provisioning", "")
			r.Reconciled = true
			return MachineDetails(r, t0)
		}},
		{"msg_details_dry_run", func() any { return MachineDetails(request(paperspacebot.StateDryRun), t0) }},
		{"msg_details_new_user", func() any {
			r := request(paperspacebot.StateCreated)
			r.Spec = newUserSpec()
			r.NewUserID = "u5n4e3w2"
			return MachineDetails(r, t0)
		}},
		{"msg_details_emoji", func() any {
			r := request(paperspacebot.StateCreated)
			r.Spec.Name = emojiName + emojiName + emojiName
			return MachineDetails(r, t0)
		}},
		{"msg_details_cjk", func() any {
			r := request(paperspacebot.StateCreated)
			r.Spec.Name = strings.Repeat(cjkName, 3)
			return MachineDetails(r, t0)
		}},
		{"msg_details_markup_name", func() any {
			r := request(paperspacebot.StateCreated)
			r.Spec.Name = "<!channel> *bold* & `code`"
			return MachineDetails(r, t0)
		}},
		{"msg_details_nil", func() any { return MachineDetails(nil, t0) }},
		{"msg_ready_reply", func() any { return MachineReadyReply(withMachine(request(paperspacebot.StateReady), "ready", "")) }},
		{"msg_ready_reply_ip", func() any {
			return MachineReadyReply(withMachine(request(paperspacebot.StateReady), "ready", "203.0.113.7"))
		}},
		{"msg_stalled", func() any {
			return StalledWarning(withMachine(request(paperspacebot.StateStalled), "off", ""), "start: not enough GPU capacity in NY2")
		}},
		{"msg_stalled_no_reason", func() any { return StalledWarning(request(paperspacebot.StateStalled), "") }},
		{"msg_status", func() any { return MachineStatus(liveMachine()) }},
		{"msg_status_empty", func() any { return MachineStatus(&paperspace.Machine{ID: "psz8a7b6c"}) }},
		{"msg_status_nil", func() any { return MachineStatus(nil) }},
	}

	warningCases := []goldenCase{
		{"warn_create_failed", func() any {
			return ReconciliationWarning(Warning{Kind: WarnCreateFailed, Request: request(paperspacebot.StateFailed),
				Failure: "Invalid machineType for region", Field: "machineType", Retry: true})
		}},
		{"warn_create_failed_no_message", func() any {
			return ReconciliationWarning(Warning{Kind: WarnCreateFailed, Request: request(paperspacebot.StateFailed)})
		}},
		{"warn_create_failed_user_created", func() any {
			r := request(paperspacebot.StateFailed)
			r.Spec = newUserSpec()
			return ReconciliationWarning(Warning{Kind: WarnCreateFailed, Request: r, Failure: "Template not found",
				Field: "templateId", UserState: UserCreated, UserID: "u5n4e3w2", Retry: true})
		}},
		{"warn_create_failed_user_not_created", func() any {
			r := request(paperspacebot.StateFailed)
			r.Spec = newUserSpec()
			return ReconciliationWarning(Warning{Kind: WarnCreateFailed, Request: r, Failure: "Email is already in use",
				Field: "email", UserState: UserNotCreated})
		}},
		{"warn_create_failed_api_key", func() any {
			return ReconciliationWarning(Warning{Kind: WarnCreateFailed, Request: request(paperspacebot.StateFailed),
				Failure:   "Invalid API key",
				AdminHint: "The API key was rejected: ask the bot's operator to check PAPERSPACE_API_KEY."})
		}},
		{"warn_unknown", func() any {
			return ReconciliationWarning(Warning{Kind: WarnOutcomeUnknown, Request: request(paperspacebot.StateUnknown),
				Failure: "502 Bad Gateway", Retry: true})
		}},
		{"warn_unknown_user_created", func() any {
			r := request(paperspacebot.StateUnknown)
			r.Spec = newUserSpec()
			return ReconciliationWarning(Warning{Kind: WarnOutcomeUnknown, Request: r, Failure: "timed out after 30s",
				UserState: UserCreated, UserID: "u5n4e3w2", Retry: true})
		}},
		{"warn_unknown_user_unknown", func() any {
			r := request(paperspacebot.StateUnknown)
			r.Spec = newUserSpec()
			return ReconciliationWarning(Warning{Kind: WarnOutcomeUnknown, Request: r, Failure: "connection reset",
				UserState: UserUnknown})
		}},
		{"warn_several", func() any {
			return ReconciliationWarning(Warning{Kind: WarnSeveralMachines, Request: request(paperspacebot.StateUnknown),
				Failure: "timed out after 30s", Candidates: []paperspace.Machine{
					{ID: "psz8a7b6c", State: "provisioning", DtCreated: t0.Add(-3 * time.Minute)},
					{ID: "psq1w2e3r", State: "ready", DtCreated: t0.Add(-2 * time.Minute)},
					{ID: "", State: "", DtCreated: time.Time{}},
				}})
		}},
		{"warn_several_user_not_created", func() any {
			r := request(paperspacebot.StateUnknown)
			r.Spec = newUserSpec()
			var candidates []paperspace.Machine
			for i := range 25 {
				candidates = append(candidates, paperspace.Machine{ID: fmt.Sprintf("ps%07d", i), State: "off", DtCreated: t0})
			}
			return ReconciliationWarning(Warning{Kind: WarnSeveralMachines, Request: r, Candidates: candidates,
				UserState: UserNotCreated})
		}},
		{"warn_lookup_failed", func() any {
			return ReconciliationWarning(Warning{Kind: WarnLookupFailed, Request: request(paperspacebot.StateUnknown),
				Failure: "503 Service Unavailable"})
		}},
		{"warn_lookup_failed_user_unknown", func() any {
			r := request(paperspacebot.StateUnknown)
			r.Spec = newUserSpec()
			return ReconciliationWarning(Warning{Kind: WarnLookupFailed, Request: r, Failure: "503 Service Unavailable",
				UserState: UserUnknown})
		}},
		{"warn_nil_request", func() any { return ReconciliationWarning(Warning{Kind: WarnOutcomeUnknown, Retry: true}) }},
	}

	otherCases := []goldenCase{
		{"msg_error", func() any { return ErrorMessage("Only team admins can approve requests.") }},
		{"msg_help", func() any { return HelpMessage("/paperspace") }},
		{"msg_help_default", func() any { return HelpMessage("") }},
		{"msg_request", func() any { return RequestMessage(request(paperspacebot.StatePending), t0) }},
		{"msg_request_new_user", func() any {
			r := request(paperspacebot.StatePending)
			r.Spec = newUserSpec()
			r.CreatedAt = time.Time{}
			r.ExpiresAt = time.Time{}
			return RequestMessage(r, t0)
		}},
		{"msg_request_approved", func() any { return RequestDecidedMessage(decided(paperspacebot.StateCreating)) }},
		{"msg_request_denied", func() any { return RequestDecidedMessage(decided(paperspacebot.StateDenied)) }},
		{"msg_request_expired", func() any { return RequestDecidedMessage(request(paperspacebot.StateExpired)) }},
		{"dm_approved", func() any { return RequestOutcomeDM(decided(paperspacebot.StateCreating)) }},
		{"dm_denied", func() any { return RequestOutcomeDM(decided(paperspacebot.StateDenied)) }},
		{"dm_denied_no_reason", func() any {
			r := decided(paperspacebot.StateDenied)
			r.DenyReason = ""
			return RequestOutcomeDM(r)
		}},
		{"dm_expired", func() any { return RequestOutcomeDM(request(paperspacebot.StateExpired)) }},
		{"list_requests_empty", func() any { return RequestList(nil, t0) }},
		{"list_requests", func() any {
			expired := request(paperspacebot.StatePending)
			expired.ID = "r0expired0"
			expired.ExpiresAt = t0.Add(-time.Minute)
			return RequestList([]*paperspacebot.Request{request(paperspacebot.StatePending), nil, expired}, t0)
		}},
		{"list_machines_empty", func() any { return MachineList(nil) }},
		{"list_machines", func() any {
			return MachineList([]*paperspacebot.Request{
				withMachine(request(paperspacebot.StateReady), "ready", "203.0.113.7"),
				request(paperspacebot.StateCreating),
				request(paperspacebot.StateDryRun),
			})
		}},
		{"list_machines_split", func() any { return MachineList(manyMachines(120)) }},
		{"list_templates", func() any {
			return TemplateList([]paperspace.Template{
				{ID: "tkni3aa4", Label: "ML-in-a-Box", OS: "Ubuntu 20.04"},
				{ID: "t9q8w7e6", OS: "Windows 10"},
				{ID: "t1z2x3c4", Label: "Our CUDA image", OS: "Ubuntu 22.04", TeamID: "te1234", Region: "Europe (AMS1)"},
			}, "")
		}},
		{"list_templates_query_empty", func() any { return TemplateList(nil, "<cuda>") }},
	}

	var all []goldenCase
	for _, group := range [][]goldenCase{formCases, optionCases, machineCases, warningCases, otherCases} {
		all = append(all, group...)
	}
	return all
}

// manyMachines returns n requests with long machine names, enough to make
// a machine list split.
func manyMachines(n int) []*paperspacebot.Request {
	reqs := make([]*paperspacebot.Request, 0, n)
	for i := range n {
		r := withMachine(request(paperspacebot.StateReady), "ready", "")
		r.Spec.Name = fmt.Sprintf("batch-worker-%03d-%s", i, strings.Repeat("x", 40))
		r.Machine.Name = r.Spec.Name
		r.Machine.ID = fmt.Sprintf("ps%07d", i)
		reqs = append(reqs, r)
	}
	return reqs
}

func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("duplicate golden case name %q", tc.name)
			}
			seen[tc.name] = true

			got := tc.build()
			if err := Check(got); err != nil {
				t.Errorf("Check: %v", err)
			}
			compareGolden(t, tc.name, marshal(t, got))
		})
	}
}

// marshal returns v as indented JSON in which <, > and & are written as
// themselves, so that the golden files show "<@U…>" as Slack users see
// it. slack-go's MarshalJSON methods call json.Marshal, which escapes them
// as \u003c, \u003e and \u0026. Both forms decode to the same string.
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return []byte(htmlUnescaper.Replace(buf.String()))
}

// htmlUnescaper undoes json.Marshal's HTML escaping. No fixture contains a
// literal backslash, so no "\\u003c" is turned into something else.
var htmlUnescaper = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

// compareGolden compares got with testdata/<name>.golden.json, or writes
// the file when -update is set.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./blocks -update to create it): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotLines := strings.Split(string(got), "\n")
	wantLines := strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d (run go test ./blocks -update if the change is intended)\n got: %s\nwant: %s",
				path, i+1, g, w)
		}
	}
}

// TestGoldenFilesUsed fails when a golden file has no case, so that
// renamed cases do not leave stale files behind.
func TestGoldenFilesUsed(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range goldenCases() {
		names[tc.name] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	if err != nil {
		t.Fatalf("list golden files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".golden.json")
		if !names[name] && !*update {
			t.Errorf("golden file %s has no case; got no case named %q", f, name)
		}
	}
}
