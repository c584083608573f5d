package bot

import (
	"context"
	"runtime/debug"
	"time"
)

// Interaction payload types whose acknowledgement carries the response.
const (
	interactionViewSubmission  = "view_submission"
	interactionBlockSuggestion = "block_suggestion"
)

// receive handles one envelope from connection c: it drops a redelivery,
// acknowledges at once unless the handler must compute the response, and
// starts the handler on its own goroutine.
func (b *Bot) receive(ctx context.Context, c *conn, env *Envelope) {
	received := time.Now()
	if b.stopping.Load() {
		b.log.Debug().Str("envelope_id", env.EnvelopeID).Str("envelope_type", env.Type).
			Msg("envelope read while stopping; not acknowledged, so Slack delivers it again")
		return
	}
	if env.EnvelopeID == "" {
		b.log.Warn().Int("connection", c.id).Str("envelope_type", env.Type).Msg("envelope without envelope_id ignored")
		return
	}
	isNew, previousAck := b.seen.add(env.EnvelopeID, received)
	if b.cfg.Observer != nil {
		b.cfg.Observer.EnvelopeReceived(env.Type, !isNew)
	}
	if !isNew {
		// Slack sends an envelope again when it missed the ack. Acknowledge
		// it again, with the same payload, and do not act on it twice. When
		// the first ack is still being computed, it serves both deliveries.
		if previousAck != nil {
			b.writeFrame(c, previousAck, env.EnvelopeID)
		}
		b.log.Info().Str("envelope_id", env.EnvelopeID).Int("retry_attempt", env.RetryAttempt).
			Str("retry_reason", env.RetryReason).Msg("redelivered envelope acknowledged again, not handled twice")
		return
	}

	interaction := env.InteractionType()
	needsResponse := interaction == interactionViewSubmission || interaction == interactionBlockSuggestion
	if !needsResponse {
		b.sendAck(c, env, nil, received)
	}

	b.work.Add(1)
	go func() {
		defer b.work.Done()
		defer func() {
			if p := recover(); p != nil {
				b.log.Error().Str("envelope_id", env.EnvelopeID).Str("envelope_type", env.Type).
					Interface("panic", p).Bytes("stack", debug.Stack()).Msg("handler panicked")
			}
		}()
		if !needsResponse {
			// Slash commands are not claimed across processes: a duplicate
			// delivery finds its trigger id used already, and the handler
			// stays silent on exchanged_trigger_id. That keeps a store write
			// off the path to views.open.
			if env.Type != TypeInteractive || b.claim(ctx, env) {
				b.cfg.Handler.Handle(ctx, env, nil)
			}
			return
		}
		acked := false
		ack := func(payload any) bool {
			if acked {
				return false
			}
			acked = true
			b.sendAck(c, env, payload, received)
			if interaction == interactionBlockSuggestion {
				return true
			}
			return b.claim(ctx, env)
		}
		// Deferred, so that a handler that panics before it acknowledges
		// still gets an empty ack, and Slack stops waiting for it.
		defer func() {
			if !acked {
				b.sendAck(c, env, nil, received)
			}
		}()
		b.cfg.Handler.Handle(ctx, env, ack)
	}()
}

// claim checks with the Claim function whether this process may act on an
// interactive envelope. When the claim cannot be checked, the bot acts:
// the store refuses a second request for one submission anyway.
func (b *Bot) claim(ctx context.Context, env *Envelope) bool {
	if b.cfg.Claim == nil {
		return true
	}
	claimCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ok, err := b.cfg.Claim(claimCtx, claimKey(env))
	if err != nil {
		b.log.Warn().Err(err).Str("envelope_id", env.EnvelopeID).Msg("envelope claim failed; handling it anyway")
		return true
	}
	if !ok {
		b.log.Info().Str("envelope_id", env.EnvelopeID).Int("retry_attempt", env.RetryAttempt).
			Msg("envelope claimed by another instance; not handled here")
	}
	return ok
}

// maxStoredAckBytes bounds the ack frames kept for redeliveries.
const maxStoredAckBytes = 2048

// sendAck acknowledges env on connection c, or on the active connection
// when c has closed.
func (b *Bot) sendAck(c *conn, env *Envelope, payload any, received time.Time) {
	frame, err := encodeAck(env.EnvelopeID, payload)
	if err == nil && len(frame) > MaxAckPayloadBytes {
		b.log.Error().Str("envelope_id", env.EnvelopeID).Int("bytes", len(frame)).
			Msg("acknowledgement payload too large for Slack; sending an empty acknowledgement")
		frame, err = encodeAck(env.EnvelopeID, nil)
	}
	if err != nil {
		b.log.Error().Err(err).Str("envelope_id", env.EnvelopeID).Msg("encode acknowledgement")
		return
	}
	stored := frame
	if len(frame) > maxStoredAckBytes {
		// A redelivery of this envelope gets an empty ack instead. Slack
		// delivers again only when it missed the first ack, and keeping
		// every large options list for the dedupe window would cost
		// megabytes.
		stored, _ = encodeAck(env.EnvelopeID, nil)
	}
	b.seen.setAck(env.EnvelopeID, stored)
	if b.writeFrame(c, frame, env.EnvelopeID) && b.cfg.Observer != nil {
		b.cfg.Observer.Acked(env.Type, time.Since(received))
	}
}

// writeFrame writes frame on c, falling back to the active connection. It
// reports whether a write succeeded. When none does, Slack delivers the
// envelope again and the redelivery is acknowledged from the cache.
func (b *Bot) writeFrame(c *conn, frame []byte, envelopeID string) bool {
	if c.alive() {
		if err := c.write(frame); err == nil {
			return true
		}
	}
	b.mu.Lock()
	active := b.active
	b.mu.Unlock()
	if active != nil && active != c && active.alive() {
		if err := active.write(frame); err == nil {
			return true
		}
	}
	b.log.Warn().Str("envelope_id", envelopeID).Msg("acknowledgement not sent: no open connection; Slack will deliver the envelope again")
	return false
}
