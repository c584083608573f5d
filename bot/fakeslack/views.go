package fakeslack

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// maxViewStack is the number of views a modal stack holds at most.
const maxViewStack = 3

// view is a modal that the bot opened and the user has not closed.
type view struct {
	id         string
	hash       string
	rootID     string
	previousID string
	externalID string
	// depth is the view's place in its stack: 1 for the root view.
	depth int
	// fields is the view object as the bot last sent it.
	fields map[string]any
	closed bool
	// raw is the view as Slack's view object, rebuilt on each change.
	raw json.RawMessage
}

// trigger is a trigger id handed to the bot in an interaction payload.
type trigger struct {
	// startedAt is when the trigger's lifetime began: when the envelope
	// carrying it was first sent, or when it was made if never sent.
	startedAt time.Time
	sent      bool
	// viewID is the view the interaction came from, which views.push
	// pushes onto. It is "" for slash commands and message buttons.
	viewID  string
	used    bool
	expired bool
	// openedViewID is the view that views.open or views.push opened with
	// the trigger, or "".
	openedViewID string
}

// NewTriggerID makes a trigger id that views.open and views.push accept
// once. The builders make one for each payload; this is for tests that call
// views.open directly.
func (s *Server) NewTriggerID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerLocked("", "")
}

// newTriggerLocked registers id, or a new trigger id when id is "".
func (s *Server) newTriggerLocked(id, viewID string) string {
	if id == "" {
		s.web.triggerSeq++
		id = fmt.Sprintf("%d.%d.%032x", 1700000000+s.web.triggerSeq, 4242, s.web.triggerSeq)
	}
	if _, ok := s.web.triggers[id]; !ok {
		s.web.triggers[id] = &trigger{startedAt: s.cfg.now(), viewID: viewID}
	}
	return id
}

// TriggerView returns the id of the view that views.open or views.push
// opened with triggerID. It reports false when no view was opened with it.
func (s *Server) TriggerView(triggerID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.web.triggers[triggerID]
	if !ok || t.openedViewID == "" {
		return "", false
	}
	return t.openedViewID, true
}

// ExpireTrigger makes views.open and views.push fail with expired_trigger_id
// for triggerID, as Slack does 3 seconds after it sent the trigger.
func (s *Server) ExpireTrigger(triggerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newTriggerLocked(triggerID, "")
	s.web.triggers[id].expired = true
}

// useTriggerLocked exchanges a trigger id for the right to open or push a
// view, and returns the trigger.
func (s *Server) useTriggerLocked(id string) (*trigger, error) {
	t, ok := s.web.triggers[id]
	switch {
	case id == "" || !ok:
		return nil, errorCode("invalid_trigger_id")
	case t.expired:
		return nil, errorCode("expired_trigger_id")
	case s.cfg.triggerTTL > 0 && s.cfg.now().Sub(t.startedAt) > s.cfg.triggerTTL:
		return nil, errorCode("expired_trigger_id")
	case t.used:
		return nil, errorCode("exchanged_trigger_id")
	}
	t.used = true
	return t, nil
}

// markTriggerSentLocked starts a trigger's lifetime when the envelope
// carrying it is first sent.
func (s *Server) markTriggerSentLocked(id string) {
	if t, ok := s.web.triggers[id]; ok && !t.sent {
		t.sent = true
		t.startedAt = s.cfg.now()
	}
}

// viewFromRequest returns the request's view after checking it against
// Slack's limits for modals, unless check is false.
func viewFromRequest(r *apiRequest, check bool) (map[string]any, error) {
	v := r.object("view")
	if v == nil {
		return nil, &apiError{
			code:     "invalid_arguments",
			messages: []string{problem("/view", "missing required field: view")},
		}
	}
	if len(r.str("view")) > maxViewBytes {
		return nil, errorCode("view_too_large")
	}
	if !check {
		return v, nil
	}
	if problems := validateView(v, "/view"); len(problems) > 0 {
		return nil, &apiError{code: "invalid_arguments", messages: problems}
	}
	return v, nil
}

// validateView checks a modal view against the limits in Slack's modal
// reference: title, close and submit at most 24 characters, submit present
// when there is an input block, at most 100 blocks, private_metadata at most
// 3000 characters, callback_id and external_id at most 255.
func validateView(v map[string]any, at string) []string {
	var problems []string
	if kind, _ := v["type"].(string); kind != "modal" {
		problems = append(problems, problem(at+"/type", "must be \"modal\", not %q", kind))
	}
	if _, ok := v["title"].(map[string]any); !ok {
		problems = append(problems, problem(at+"/title", "missing required field: title"))
	}
	for _, name := range []string{"title", "close", "submit"} {
		problems = append(problems, checkTextLength(v[name], at+"/"+name+"/text", maxViewTitle)...)
	}

	blocks, ok := v["blocks"].([]any)
	if !ok {
		problems = append(problems, problem(at+"/blocks", "missing required field: blocks"))
	}
	problems = append(problems, validateBlocks(blocks, at+"/blocks", maxViewBlocks)...)
	if _, hasSubmit := v["submit"].(map[string]any); !hasSubmit && hasInputBlock(blocks) {
		problems = append(problems, problem(at+"/submit", "must define `submit` to use an `input` block in modals"))
	}

	limits := []struct {
		field string
		max   int
	}{
		{"private_metadata", maxPrivateMetadata},
		{"callback_id", maxCallbackID},
		{"external_id", maxExternalID},
	}
	for _, l := range limits {
		text, _ := v[l.field].(string)
		if utf8.RuneCountInString(text) > l.max {
			problems = append(problems, problem(at+"/"+l.field, "must be less than %d characters", l.max+1))
		}
	}
	return problems
}

func hasInputBlock(blocks []any) bool {
	for _, raw := range blocks {
		if block, ok := raw.(map[string]any); ok && block["type"] == "input" {
			return true
		}
	}
	return false
}

// inputBlockIDs returns the block_id of every input block in a view.
func inputBlockIDs(fields map[string]any) map[string]bool {
	ids := map[string]bool{}
	blocks, _ := fields["blocks"].([]any)
	for _, raw := range blocks {
		block, ok := raw.(map[string]any)
		if !ok || block["type"] != "input" {
			continue
		}
		if id, ok := block["block_id"].(string); ok {
			ids[id] = true
		}
	}
	return ids
}

// newViewLocked stores a view opened on its own (parent nil) or pushed onto
// parent's stack.
func (s *Server) newViewLocked(fields map[string]any, parent *view) (*view, error) {
	externalID, _ := fields["external_id"].(string)
	if externalID != "" {
		if _, inUse := s.web.externalIDs[externalID]; inUse {
			return nil, errorCode("duplicate_external_id")
		}
	}
	s.web.viewSeq++
	v := &view{
		id:         fmt.Sprintf("V%08d", s.web.viewSeq),
		externalID: externalID,
		depth:      1,
		fields:     fields,
	}
	v.rootID = v.id
	if parent != nil {
		if parent.depth >= maxViewStack {
			return nil, errorCode("push_limit_reached")
		}
		v.rootID = parent.rootID
		v.previousID = parent.id
		v.depth = parent.depth + 1
	}
	if externalID != "" {
		s.web.externalIDs[externalID] = v.id
	}
	s.web.views[v.id] = v
	s.web.viewOrder = append(s.web.viewOrder, v.id)
	s.renderViewLocked(v)
	return v, nil
}

// replaceViewLocked gives v new content and a new hash, keeping its id.
func (s *Server) replaceViewLocked(v *view, fields map[string]any) error {
	externalID, _ := fields["external_id"].(string)
	if externalID != "" && externalID != v.externalID {
		if _, inUse := s.web.externalIDs[externalID]; inUse {
			return errorCode("duplicate_external_id")
		}
		delete(s.web.externalIDs, v.externalID)
		s.web.externalIDs[externalID] = v.id
		v.externalID = externalID
	}
	v.fields = fields
	s.renderViewLocked(v)
	return nil
}

// renderViewLocked sets a new hash and rebuilds v.raw as Slack's view
// object.
func (s *Server) renderViewLocked(v *view) {
	s.web.hashSeq++
	v.hash = fmt.Sprintf("%d.%08x", s.cfg.now().Unix(), s.web.hashSeq)

	out := map[string]any{
		"id":                    v.id,
		"team_id":               s.cfg.teamID,
		"type":                  "modal",
		"blocks":                []any{},
		"private_metadata":      "",
		"callback_id":           "",
		"state":                 map[string]any{"values": map[string]any{}},
		"hash":                  v.hash,
		"title":                 nil,
		"clear_on_close":        false,
		"notify_on_close":       false,
		"close":                 nil,
		"submit":                nil,
		"previous_view_id":      nil,
		"root_view_id":          v.rootID,
		"app_id":                s.cfg.appID,
		"external_id":           v.externalID,
		"app_installed_team_id": s.cfg.teamID,
		"bot_id":                s.cfg.botID,
	}
	for _, name := range []string{"type", "blocks", "private_metadata", "callback_id", "title", "clear_on_close", "notify_on_close", "close", "submit"} {
		if value, ok := v.fields[name]; ok {
			out[name] = value
		}
	}
	if v.previousID != "" {
		out["previous_view_id"] = v.previousID
	}
	raw, err := json.Marshal(out)
	if err != nil {
		// The fields came from decoded JSON, so they always encode.
		panic(fmt.Sprintf("fakeslack: encode view %s: %v", v.id, err))
	}
	v.raw = raw
	s.notifyLocked()
}

// closeViewLocked closes v and every view pushed above it.
func (s *Server) closeViewLocked(v *view) {
	for _, id := range s.web.viewOrder {
		other := s.web.views[id]
		if other.closed || other.rootID != v.rootID || other.depth < v.depth {
			continue
		}
		other.closed = true
		delete(s.web.externalIDs, other.externalID)
	}
	s.notifyLocked()
}

func (s *Server) openViewLocked(id string) *view {
	v, ok := s.web.views[id]
	if !ok || v.closed {
		return nil
	}
	return v
}

func (s *Server) viewsOpen(r *apiRequest) (map[string]any, error) {
	fields, err := viewFromRequest(r, !s.cfg.skipViewChecks)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.useTriggerLocked(r.str("trigger_id"))
	if err != nil {
		return nil, err
	}
	v, err := s.newViewLocked(fields, nil)
	if err != nil {
		return nil, err
	}
	t.openedViewID = v.id
	return map[string]any{"view": v.raw}, nil
}

// viewsPush pushes a view onto the stack of the view whose interaction
// carried the trigger id.
//
// NOTE: a trigger from a slash command or a message button has no view to
// push onto. The fake then opens a new stack; Slack's response in that case
// is not documented.
func (s *Server) viewsPush(r *apiRequest) (map[string]any, error) {
	fields, err := viewFromRequest(r, !s.cfg.skipViewChecks)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.useTriggerLocked(r.str("trigger_id"))
	if err != nil {
		return nil, err
	}
	parent := s.openViewLocked(t.viewID)
	if parent != nil {
		// Push onto the top of the stack the interaction's view is in.
		for _, id := range s.web.viewOrder {
			other := s.web.views[id]
			if !other.closed && other.rootID == parent.rootID && other.depth > parent.depth {
				parent = other
			}
		}
	}
	v, err := s.newViewLocked(fields, parent)
	if err != nil {
		return nil, err
	}
	t.openedViewID = v.id
	return map[string]any{"view": v.raw}, nil
}

func (s *Server) viewsUpdate(r *apiRequest) (map[string]any, error) {
	viewID, externalID := r.str("view_id"), r.str("external_id")
	if viewID == "" && externalID == "" {
		return nil, &apiError{
			code:     "invalid_arguments",
			messages: []string{problem("/view_id", "missing required field: view_id or external_id")},
		}
	}
	fields, err := viewFromRequest(r, !s.cfg.skipViewChecks)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if viewID == "" {
		viewID = s.web.externalIDs[externalID]
	}
	v := s.openViewLocked(viewID)
	if v == nil {
		return nil, errorCode("not_found")
	}
	if hash := r.str("hash"); hash != "" && hash != v.hash {
		return nil, errorCode("hash_conflict")
	}
	if err := s.replaceViewLocked(v, fields); err != nil {
		return nil, err
	}
	return map[string]any{"view": v.raw}, nil
}

// View returns an open view as Slack's view object. It reports false for a
// view that is unknown or closed.
func (s *Server) View(id string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.openViewLocked(id)
	if v == nil {
		return nil, false
	}
	return slices.Clone(v.raw), true
}

// ViewByExternalID returns the open view with an external_id.
func (s *Server) ViewByExternalID(externalID string) (json.RawMessage, bool) {
	s.mu.Lock()
	id := s.web.externalIDs[externalID]
	s.mu.Unlock()
	return s.View(id)
}

// Views returns every open view, keyed by view id.
func (s *Server) Views() map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]json.RawMessage{}
	for id, v := range s.web.views {
		if !v.closed {
			out[id] = slices.Clone(v.raw)
		}
	}
	return out
}

// ViewIDs returns the ids of the open views in the order they were opened.
func (s *Server) ViewIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.web.viewOrder {
		if !s.web.views[id].closed {
			out = append(out, id)
		}
	}
	return out
}

// CloseView closes a view and every view pushed above it, as a user who
// closes a modal does. views.update then fails with not_found for them. It
// reports whether the view was open.
func (s *Server) CloseView(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.openViewLocked(id)
	if v == nil {
		return false
	}
	s.closeViewLocked(v)
	return true
}
