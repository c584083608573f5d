package main

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// Envelope kinds the driver sends.
const (
	kindSlashCommand    = "slash_command"
	kindViewSubmission  = "view_submission"
	kindBlockSuggestion = "block_suggestion"
)

// operation is one unit of closed-loop work: a slash command, a slash
// command followed by a form submission, or a template search. The
// tracker's mutex guards every field below done.
type operation struct {
	index    int
	scenario string
	// measured is false for warm-up operations, which the report leaves out.
	measured bool
	// machineName names the machine of a submit operation.
	machineName string
	triggerID   string

	// formReady is closed once the bot has filled the form (submit only).
	formReady chan struct{}
	// done is closed once the operation is complete: see tracker.check.
	done chan struct{}

	viewID string
	// envelopes are the envelopes sent, first deliveries only, in order.
	envelopes []*envelopeRecord
	// viewOpens counts views.open calls with the operation's trigger id,
	// failed ones included.
	viewOpens      int
	viewOpenAt     time.Time
	viewOpenError  string
	formFilledAt   time.Time
	formReadyShut  bool
	completedAt    time.Time
	completeClosed bool
}

// envelopeRecord is one envelope the driver sent and what came back for it.
type envelopeRecord struct {
	id   string
	kind string
	op   *operation
	// sentAt is when the fake first sent the envelope, by its clock.
	sentAt      time.Time
	sendFailed  bool
	redelivered bool
	firstAckAt  time.Time
	// acks counts every ack frame for the envelope, re-acks of a
	// redelivery included.
	acks       int
	ackError   string
	ackPayload json.RawMessage
}

// tracker follows the fake Slack's records (acks and Web API calls) as they
// happen and matches them to operations, so that workers wait on channels
// instead of polling the fake.
type tracker struct {
	slack *fakeslack.Server

	mu        sync.Mutex
	envelopes map[string]*envelopeRecord
	byTrigger map[string]*operation
	byView    map[string]*operation
}

func newTracker() *tracker {
	return &tracker{
		envelopes: map[string]*envelopeRecord{},
		byTrigger: map[string]*operation{},
		byView:    map[string]*operation{},
	}
}

func newOperation(index int, scenario string, measured bool) *operation {
	return &operation{
		index:     index,
		scenario:  scenario,
		measured:  measured,
		formReady: make(chan struct{}),
		done:      make(chan struct{}),
	}
}

// expectTrigger registers the trigger id that op's slash command carries,
// before it is sent.
func (t *tracker) expectTrigger(op *operation, triggerID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	op.triggerID = triggerID
	t.byTrigger[triggerID] = op
}

// addEnvelope registers an envelope of op before it is sent, so that an
// ack that comes back at once is matched.
func (t *tracker) addEnvelope(op *operation, id, kind string) *envelopeRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	rec := &envelopeRecord{id: id, kind: kind, op: op}
	t.envelopes[id] = rec
	op.envelopes = append(op.envelopes, rec)
	return rec
}

func (t *tracker) setSent(rec *envelopeRecord, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rec.sentAt = at
}

func (t *tracker) setSendFailed(rec *envelopeRecord) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rec.sendFailed = true
}

func (t *tracker) setRedelivered(rec *envelopeRecord) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rec.redelivered = true
}

// locked runs f with the tracker's lock held, so that f can read the
// operations' records while observers may still run.
func (t *tracker) locked(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f()
}

// viewOf returns the id of the view that op's views.open opened, or "".
func (t *tracker) viewOf(op *operation) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return op.viewID
}

// observeAck is the fake Slack's ack observer.
func (t *tracker) observeAck(ack fakeslack.Ack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rec, ok := t.envelopes[ack.EnvelopeID]
	if !ok {
		return
	}
	rec.acks++
	if rec.acks == 1 {
		rec.firstAckAt = ack.At
		rec.ackError = ack.Error
		rec.ackPayload = ack.Payload
	}
	t.checkLocked(rec.op)
}

// observeCall is the fake Slack's Web API call observer.
func (t *tracker) observeCall(call fakeslack.Call) {
	switch call.Method {
	case "views.open":
		t.observeViewsOpen(call)
	case "views.update":
		t.observeViewsUpdate(call)
	}
}

func (t *tracker) observeViewsOpen(call fakeslack.Call) {
	trigger := call.Params.Get("trigger_id")
	// The fake calls observers without holding its own lock, so asking it
	// here, before taking the tracker's lock, cannot deadlock.
	viewID, _ := t.slack.TriggerView(trigger)

	t.mu.Lock()
	defer t.mu.Unlock()
	op, ok := t.byTrigger[trigger]
	if !ok {
		return
	}
	op.viewOpens++
	if op.viewOpens > 1 {
		return
	}
	op.viewOpenAt = call.At
	op.viewOpenError = call.Error
	if viewID != "" {
		op.viewID = viewID
		t.byView[viewID] = op
	}
	t.checkLocked(op)
}

func (t *tracker) observeViewsUpdate(call fakeslack.Call) {
	if call.Error != "" {
		return
	}
	view, _ := call.JSON["view"].(map[string]any)
	callback, _ := view["callback_id"].(string)
	if callback != blocks.CallbackCreate && callback != blocks.CallbackRequest {
		return
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	op, ok := t.byView[call.Params.Get("view_id")]
	if !ok || !op.formFilledAt.IsZero() {
		return
	}
	op.formFilledAt = call.At
	t.checkLocked(op)
}

// checkLocked closes op's channels once their condition holds:
//   - slash: the command is acked and views.open was called;
//   - submit: formReady once the form is filled, done once the
//     submission is acked;
//   - search: the suggestion is acked.
//
// The caller holds t.mu.
func (t *tracker) checkLocked(op *operation) {
	if op.completeClosed || len(op.envelopes) == 0 {
		return
	}
	first := op.envelopes[0]
	var complete bool
	var at time.Time
	switch op.scenario {
	case scenarioSlash:
		complete = first.acks > 0 && op.viewOpens > 0
		at = maxTime(first.firstAckAt, op.viewOpenAt)
	case scenarioSubmit:
		if !op.formReadyShut && first.acks > 0 && !op.formFilledAt.IsZero() {
			op.formReadyShut = true
			close(op.formReady)
		}
		if len(op.envelopes) > 1 && op.envelopes[1].acks > 0 {
			complete = true
			at = op.envelopes[1].firstAckAt
		}
	case scenarioSearch:
		complete = first.acks > 0
		at = first.firstAckAt
	}
	if complete {
		op.completeClosed = true
		op.completedAt = at
		close(op.done)
	}
}
