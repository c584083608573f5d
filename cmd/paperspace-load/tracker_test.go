package main

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// newTrackedServer returns a fake Slack whose observers feed a tracker, and
// a Web API client of it.
func newTrackedServer(t *testing.T) (*fakeslack.Server, *tracker, *slack.Client) {
	t.Helper()
	track := newTracker()
	s := fakeslack.New(fakeslack.WithCallObserver(track.observeCall), fakeslack.WithAckObserver(track.observeAck))
	t.Cleanup(s.Close)
	track.slack = s
	return s, track, slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func modal(callbackID string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Create machine", false, false),
		CallbackID: callbackID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Loading…", false, false), nil, nil),
		}},
	}
}

func TestTrackerSlashOperation(t *testing.T) {
	s, track, api := newTrackedServer(t)
	ctx := context.Background()
	op := newOperation(0, scenarioSlash, true)
	trigger := s.NewTriggerID()
	track.expectTrigger(op, trigger)
	rec := track.addEnvelope(op, "env-1", kindSlashCommand)

	track.observeAck(fakeslack.Ack{EnvelopeID: "env-1", At: time.Now()})
	if isClosed(op.done) {
		t.Fatalf("slash operation complete after the ack alone, want it to wait for views.open")
	}
	opened, err := api.OpenViewContext(ctx, trigger, modal(blocks.CallbackLoading))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if !isClosed(op.done) {
		t.Fatalf("slash operation not complete after the ack and views.open")
	}
	if rec.acks != 1 || op.viewOpens != 1 || op.viewID != opened.View.ID {
		t.Errorf("acks %d, views.open %d, view %q; want 1, 1, %q", rec.acks, op.viewOpens, op.viewID, opened.View.ID)
	}

	// A second views.open with the same trigger is a duplicate the bot
	// acted on, even though Slack rejects it.
	if _, err := api.OpenViewContext(ctx, trigger, modal(blocks.CallbackLoading)); err == nil {
		t.Errorf("second views.open with one trigger succeeded, want exchanged_trigger_id")
	}
	if op.viewOpens != 2 {
		t.Errorf("views.open count = %d, want 2", op.viewOpens)
	}

	if _, err := api.UpdateViewContext(ctx, modal(blocks.CallbackCreate), "", "", opened.View.ID); err != nil {
		t.Fatalf("views.update: %v", err)
	}
	if op.formFilledAt.IsZero() {
		t.Errorf("form not marked filled after views.update with callback %s", blocks.CallbackCreate)
	}
}

func TestTrackerSubmitOperation(t *testing.T) {
	s, track, api := newTrackedServer(t)
	ctx := context.Background()
	op := newOperation(0, scenarioSubmit, true)
	trigger := s.NewTriggerID()
	track.expectTrigger(op, trigger)
	track.addEnvelope(op, "env-1", kindSlashCommand)
	track.observeAck(fakeslack.Ack{EnvelopeID: "env-1", At: time.Now()})

	opened, err := api.OpenViewContext(ctx, trigger, modal(blocks.CallbackLoading))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if isClosed(op.formReady) {
		t.Fatalf("form ready after the loading view, want it to wait for the form")
	}
	if _, err := api.UpdateViewContext(ctx, modal(blocks.CallbackNotice), "", "", opened.View.ID); err != nil {
		t.Fatalf("views.update: %v", err)
	}
	if isClosed(op.formReady) {
		t.Fatalf("form ready after a notice view, want it to wait for the form")
	}
	if _, err := api.UpdateViewContext(ctx, modal(blocks.CallbackCreate), "", "", opened.View.ID); err != nil {
		t.Fatalf("views.update: %v", err)
	}
	if !isClosed(op.formReady) {
		t.Fatalf("form not ready after views.update with the form")
	}
	if got := track.viewOf(op); got != opened.View.ID {
		t.Errorf("viewOf = %q, want %q", got, opened.View.ID)
	}
	if isClosed(op.done) {
		t.Fatalf("submit operation complete before the submission")
	}

	track.addEnvelope(op, "env-2", kindViewSubmission)
	track.observeAck(fakeslack.Ack{EnvelopeID: "env-2", At: time.Now()})
	if !isClosed(op.done) {
		t.Errorf("submit operation not complete after the submission's ack")
	}
}

func TestTrackerSearchOperation(t *testing.T) {
	_, track, _ := newTrackedServer(t)
	op := newOperation(0, scenarioSearch, true)
	rec := track.addEnvelope(op, "env-1", kindBlockSuggestion)
	track.observeAck(fakeslack.Ack{EnvelopeID: "other", At: time.Now()})
	if isClosed(op.done) {
		t.Fatalf("search complete after another envelope's ack")
	}
	track.observeAck(fakeslack.Ack{EnvelopeID: "env-1", At: time.Now(), Payload: []byte(`{"options":[]}`)})
	track.observeAck(fakeslack.Ack{EnvelopeID: "env-1", At: time.Now()})
	if !isClosed(op.done) {
		t.Fatalf("search not complete after its ack")
	}
	if rec.acks != 2 || string(rec.ackPayload) != `{"options":[]}` {
		t.Errorf("acks %d, payload %s; want 2 and the first ack's payload", rec.acks, rec.ackPayload)
	}
}
