package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// Scenarios: what one operation of the closed loop does.
const (
	// scenarioSlash sends "/paperspace create" and waits for its ack and
	// for the bot's views.open.
	scenarioSlash = "slash"
	// scenarioSubmit runs the slash scenario, waits for the bot to fill
	// the form, submits it with valid values and waits for the ack.
	scenarioSubmit = "submit"
	// scenarioSearch sends a block_suggestion from the template menu and
	// waits for the ack, which carries the options.
	scenarioSearch = "search"
)

var scenarios = []string{scenarioSlash, scenarioSubmit, scenarioSearch}

// adminID is the Slack user who runs every command.
const adminID = "U_LOAD_ADMIN"

// channelOf returns the channel in which worker runs its commands. Each
// worker has its own, because the bot paces its posts to one message per
// second per channel, Slack's limit for chat.postMessage, so in a single
// channel all results would queue.
func channelOf(worker int) string {
	return fmt.Sprintf("C_LOAD_%03d", worker)
}

// searchQueries are the texts that search operations type, in turn: empty
// (the whole list), common words, prefixes, an id prefix, a full label and
// text that matches nothing.
var searchQueries = []string{
	"", "ubuntu", "win", "ml-in", "cuda 12", "tg001", "22.04", "desktop",
	"Parsec TensorFlow v40", "no-such-template",
}

// sendRetryDelay is the pause between attempts to send an envelope while
// the fake has no open connection to send it on.
const sendRetryDelay = time.Millisecond

// runner runs the operations of one run against one bot.
type runner struct {
	cfg       config
	slack     *fakeslack.Server
	track     *tracker
	templates []paperspace.Template

	// envelopes counts the measured envelopes sent, to pick every tenth
	// for redelivery.
	envelopes   atomic.Int64
	sendRetries atomic.Int64

	refreshOnce sync.Once
	// refreshAt is when the refresh_requested disconnect went out; written
	// once by refreshOnce and read after the run.
	refreshAt time.Time
}

// newOperations returns n operations. Measured ones are numbered from 0;
// warm-up ones get negative indexes, so they never trigger the refresh.
func (r *runner) newOperations(n int, measured bool, run int) []*operation {
	ops := make([]*operation, n)
	for i := range ops {
		index := i
		if !measured {
			index = -1 - i
		}
		op := newOperation(index, r.cfg.scenario, measured)
		op.machineName = fmt.Sprintf("load-%d-%d", run, index)
		ops[i] = op
	}
	return ops
}

// runPhase runs ops with cfg.inFlight workers, each starting its next
// operation when the last one completed or timed out.
func (r *runner) runPhase(ctx context.Context, ops []*operation) {
	next := make(chan *operation)
	var workers sync.WaitGroup
	for worker := range r.cfg.inFlight {
		workers.Go(func() {
			for op := range next {
				r.runOperation(ctx, op, channelOf(worker))
			}
		})
	}
feed:
	for _, op := range ops {
		select {
		case next <- op:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	workers.Wait()
}

// runOperation runs one operation until it completes, times out after
// cfg.opTimeout, or ctx ends.
func (r *runner) runOperation(ctx context.Context, op *operation, channel string) {
	if op.measured && r.cfg.refresh && op.index == r.cfg.operations/2 {
		r.refreshOnce.Do(func() {
			r.refreshAt = time.Now()
			go r.slack.Disconnect("refresh_requested")
		})
	}
	deadline := time.Now().Add(r.cfg.opTimeout)
	waitCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	switch op.scenario {
	case scenarioSlash:
		r.sendSlashCommand(waitCtx, op, channel)
	case scenarioSubmit:
		r.sendSlashCommand(waitCtx, op, channel)
		if !wait(waitCtx, op.formReady) {
			return
		}
		view := r.track.viewOf(op)
		env := r.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{
			UserID: adminID,
			View:   fakeslack.ViewArgs{ID: view, Values: r.submissionValues(op)},
		})
		r.send(waitCtx, op, env, kindViewSubmission)
	case scenarioSearch:
		env := r.slack.BlockSuggestion(fakeslack.BlockSuggestionArgs{
			UserID:   adminID,
			ActionID: blocks.BlockTemplate,
			BlockID:  blocks.BlockTemplate,
			Value:    searchQueries[abs(op.index)%len(searchQueries)],
			View:     fakeslack.ViewArgs{CallbackID: blocks.CallbackCreate},
		})
		r.send(waitCtx, op, env, kindBlockSuggestion)
	}
	wait(waitCtx, op.done)
}

func (r *runner) sendSlashCommand(ctx context.Context, op *operation, channel string) {
	env := r.slack.SlashCommand(fakeslack.SlashCommandArgs{
		UserID:    adminID,
		ChannelID: channel,
		Text:      "create",
	})
	payload, _ := env.Payload.(map[string]any)
	trigger, _ := payload["trigger_id"].(string)
	r.track.expectTrigger(op, trigger)
	r.send(ctx, op, env, kindSlashCommand)
}

// send sends env, retrying while the fake has no open connection, until
// ctx ends. For every tenth measured envelope with cfg.redeliver set, it
// then sends the envelope again at once with retry_attempt 1, as Slack does
// when it has not seen the ack.
func (r *runner) send(ctx context.Context, op *operation, env fakeslack.Envelope, kind string) {
	rec := r.track.addEnvelope(op, env.EnvelopeID, kind)
	if !r.sendWithRetry(ctx, func() error { return r.slack.Send(env) }) {
		r.track.setSendFailed(rec)
		return
	}
	sentAt, _ := r.slack.SentAt(env.EnvelopeID)
	r.track.setSent(rec, sentAt)

	if !r.cfg.redeliver || !op.measured || r.envelopes.Add(1)%10 != 0 {
		return
	}
	if r.sendWithRetry(ctx, func() error { return r.slack.Redeliver(env.EnvelopeID, 1) }) {
		r.track.setRedelivered(rec)
	}
}

// sendWithRetry calls send until it succeeds or ctx ends, and reports
// whether it succeeded.
func (r *runner) sendWithRetry(ctx context.Context, send func() error) bool {
	for {
		if send() == nil {
			return true
		}
		r.sendRetries.Add(1)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(sendRetryDelay):
		}
	}
}

// submissionValues returns valid form values for op: a machine type
// without an availability check, so that the bot closes the modal within
// the ack, and a template from the generated list.
func (r *runner) submissionValues(op *operation) fakeslack.Values {
	template := r.templates[abs(op.index)%len(r.templates)]
	input := func(id string, value fakeslack.StateValue) map[string]fakeslack.StateValue {
		return map[string]fakeslack.StateValue{id: value}
	}
	return fakeslack.Values{
		blocks.BlockMachineName: input(blocks.BlockMachineName, fakeslack.TextValue(op.machineName)),
		blocks.BlockRegion:      input(blocks.BlockRegion, fakeslack.SelectValue("East Coast (NY2)", "East Coast (NY2)")),
		blocks.BlockMachineType: input(blocks.BlockMachineType, fakeslack.SelectValue("Air", "Air")),
		blocks.BlockTemplate:    input(blocks.BlockTemplate, fakeslack.ExternalSelectValue(template.ID, template.Label)),
		blocks.BlockStorageSize: input(blocks.BlockStorageSize, fakeslack.SelectValue("50", "50 GB")),
		blocks.BlockAssignee:    input(blocks.BlockAssignee, fakeslack.ExternalSelectValue(seedUserID, "Jon Snow")),
	}
}

// seedUserID is the team user that the fake Core API serves by default.
const seedUserID = "u123abc"

// drain waits until every operation completed or the deadline passed, so
// that late acks and calls are counted.
func drain(ctx context.Context, ops []*operation, deadline time.Time) {
	waitCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for _, op := range ops {
		if !wait(waitCtx, op.done) {
			return
		}
	}
}

// countSubmitted counts the operations whose form submission was acked.
// The caller holds the tracker's lock.
func countSubmitted(ops []*operation) int {
	submitted := 0
	for _, op := range ops {
		if len(op.envelopes) > 1 && op.envelopes[1].acks > 0 {
			submitted++
		}
	}
	return submitted
}

// waitForCreates waits until the fake Core API has received submitted
// create calls, or timeout passes.
func waitForCreates(ctx context.Context, core *fakecoreapi.Server, submitted int, timeout time.Duration) {
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The error means the wait timed out; the report counts what is
	// missing.
	_, _ = core.WaitForRequests(waitCtx, fakecoreapi.PathCreateMachine, submitted)
}

// wait waits for ch to close and reports whether it did before ctx ended.
func wait(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
