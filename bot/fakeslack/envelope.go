package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Envelope types that Slack sends over Socket Mode.
const (
	TypeSlashCommands = "slash_commands"
	TypeInteractive   = "interactive"
	TypeEventsAPI     = "events_api"
)

// maxRetryAttempts is how often RedeliverUnacked sends an envelope again.
// Slack's Events API retries a delivery up to 3 times.
const maxRetryAttempts = 3

// Envelope is one Socket Mode message to the app. It encodes as Slack's
// envelope JSON: {"envelope_id", "payload", "type",
// "accepts_response_payload"}, plus "retry_attempt" and "retry_reason",
// which Slack sends with events_api envelopes and with redeliveries.
type Envelope struct {
	// Type is TypeSlashCommands, TypeInteractive or TypeEventsAPI.
	Type string
	// EnvelopeID identifies the envelope in acks. Send makes one if empty.
	EnvelopeID string
	// Payload is encoded as JSON, so it may be a map, a struct or a
	// json.RawMessage.
	Payload any
	// AcceptsResponsePayload is true when the app's ack may carry a
	// response payload.
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
}

// MarshalJSON encodes the envelope as Slack sends it.
func (e Envelope) MarshalJSON() ([]byte, error) {
	type wire struct {
		EnvelopeID             string  `json:"envelope_id"`
		Payload                any     `json:"payload"`
		Type                   string  `json:"type"`
		AcceptsResponsePayload bool    `json:"accepts_response_payload"`
		RetryAttempt           *int    `json:"retry_attempt,omitempty"`
		RetryReason            *string `json:"retry_reason,omitempty"`
	}
	out := wire{
		EnvelopeID:             e.EnvelopeID,
		Payload:                e.Payload,
		Type:                   e.Type,
		AcceptsResponsePayload: e.AcceptsResponsePayload,
	}
	if e.Type == TypeEventsAPI || e.RetryAttempt > 0 || e.RetryReason != "" {
		out.RetryAttempt = &e.RetryAttempt
		out.RetryReason = &e.RetryReason
	}
	return json.Marshal(out)
}

// Ack is one frame that the app sent on a Socket Mode connection, normally
// an ack {"envelope_id", "payload"}.
type Ack struct {
	EnvelopeID string
	// Payload is the ack's payload, or nil.
	Payload json.RawMessage
	// At is when the server read the frame.
	At time.Time
	// Conn is the id of the connection that carried the frame.
	Conn int
	// Error is the reason Slack would reject or ignore the frame: an unknown
	// envelope id, a payload of 20 KiB or more, a response view that breaks
	// the modal limits, an errors key that names no input block, and
	// similar. It is "" for a good ack.
	Error string
}

// sentEnvelope is an envelope the server sent, with what the server needs
// to apply its ack.
type sentEnvelope struct {
	env     Envelope
	payload payloadSummary
	// firstSent is when the envelope was first sent, by the server's clock.
	firstSent time.Time
	// lastSent is when it was last sent, by time.Now, for redelivery.
	lastSent time.Time
	// sentClock is when it was last sent, by the server's clock.
	sentClock time.Time
	acked     bool
}

// AckDeadline is how long Slack waits for an acknowledgement: an ack that
// comes later is recorded with an Error and has no effect.
const AckDeadline = 3 * time.Second

// lastSentAt returns when the envelope was last sent, by the server's
// clock where it has one.
func (e *sentEnvelope) lastSentAt() time.Time {
	if e.sentClock.IsZero() {
		return e.firstSent
	}
	return e.sentClock
}

// payloadSummary contains the payload fields that decide what an ack does.
type payloadSummary struct {
	InteractionType string `json:"type"`
	TriggerID       string `json:"trigger_id"`
	UserID          string `json:"user_id"`
	ChannelID       string `json:"channel_id"`
	User            struct {
		ID string `json:"id"`
	} `json:"user"`
	View struct {
		ID string `json:"id"`
	} `json:"view"`
}

// Send delivers env on one open connection, taking the connections in turn.
// It returns an error when no connection is open or the write fails.
func (s *Server) Send(env Envelope) error {
	s.mu.Lock()
	s.ensureEnvelopeIDLocked(&env)
	var c *wsConn
	if n := len(s.socket.order); n > 0 {
		s.socket.next %= n
		c = s.socket.conns[s.socket.order[s.socket.next]]
		s.socket.next++
	}
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("send envelope %s: no open Socket Mode connection", env.EnvelopeID)
	}
	return s.sendOn(c, env)
}

// SendTo delivers env on the connection with id conn (see ConnectionIDs).
func (s *Server) SendTo(conn int, env Envelope) error {
	s.mu.Lock()
	s.ensureEnvelopeIDLocked(&env)
	c := s.socket.conns[conn]
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("send envelope %s: connection %d is not open", env.EnvelopeID, conn)
	}
	return s.sendOn(c, env)
}

// Broadcast delivers the same envelope, with the same envelope id, on every
// open connection, as Slack may when two app instances share one app.
func (s *Server) Broadcast(env Envelope) error {
	s.mu.Lock()
	s.ensureEnvelopeIDLocked(&env)
	conns := s.socket.openConns()
	s.mu.Unlock()
	if len(conns) == 0 {
		return fmt.Errorf("broadcast envelope %s: no open Socket Mode connection", env.EnvelopeID)
	}
	var errs []error
	for _, c := range conns {
		errs = append(errs, s.sendOn(c, env))
	}
	return errors.Join(errs...)
}

func (s *Server) ensureEnvelopeIDLocked(env *Envelope) {
	if env.EnvelopeID == "" {
		env.EnvelopeID = s.newEnvelopeIDLocked()
	}
}

func (s *Server) newEnvelopeIDLocked() string {
	s.socket.envelopeSeq++
	return fmt.Sprintf("env-%08d", s.socket.envelopeSeq)
}

// sendOn records env as sent and writes it on c. The record comes first, so
// that an ack cannot arrive before it.
func (s *Server) sendOn(c *wsConn, env Envelope) error {
	payload, err := json.Marshal(env.Payload)
	if err != nil {
		return fmt.Errorf("encode payload of envelope %s: %w", env.EnvelopeID, err)
	}
	wire := env
	wire.Payload = json.RawMessage(payload)
	data, err := json.Marshal(wire)
	if err != nil {
		return fmt.Errorf("encode envelope %s: %w", env.EnvelopeID, err)
	}
	var summary payloadSummary
	// Payloads that are not objects have no summary, and need none.
	_ = json.Unmarshal(payload, &summary)

	s.mu.Lock()
	rec, ok := s.socket.envelopes[env.EnvelopeID]
	if !ok {
		rec = &sentEnvelope{firstSent: s.cfg.now()}
		s.socket.envelopes[env.EnvelopeID] = rec
	}
	rec.env = env
	rec.payload = summary
	rec.lastSent = time.Now()
	rec.sentClock = s.cfg.now()
	rec.acked = false
	if summary.TriggerID != "" {
		s.markTriggerSentLocked(summary.TriggerID)
	}
	s.notifyLocked()
	s.mu.Unlock()

	if err := c.write(data); err != nil {
		return fmt.Errorf("send envelope %s on connection %d: %w", env.EnvelopeID, c.id, err)
	}
	return nil
}

// SentAt returns when the envelope was first sent, by the server's clock.
func (s *Server) SentAt(envelopeID string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.socket.envelopes[envelopeID]
	if !ok {
		return time.Time{}, false
	}
	return rec.firstSent, true
}

// Redeliver sends a sent envelope again, with retry_attempt set to
// retryAttempt and retry_reason "timeout" unless the envelope has a reason.
func (s *Server) Redeliver(envelopeID string, retryAttempt int) error {
	s.mu.Lock()
	rec, ok := s.socket.envelopes[envelopeID]
	var env Envelope
	if ok {
		env = rec.env
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("redeliver envelope %s: the server never sent it", envelopeID)
	}
	env.RetryAttempt = retryAttempt
	if env.RetryReason == "" {
		env.RetryReason = "timeout"
	}
	return s.Send(env)
}

// RedeliverUnacked turns on redelivery, as Slack does after a lost ack:
// while a connection is open, any envelope that has no ack d after it was
// last sent is sent again with retry_attempt one higher, up to 3 retries. A
// d of 0 turns redelivery off.
func (s *Server) RedeliverUnacked(d time.Duration) {
	s.mu.Lock()
	if s.socket.redeliverStop != nil {
		close(s.socket.redeliverStop)
		s.socket.redeliverStop = nil
	}
	if d <= 0 {
		s.mu.Unlock()
		return
	}
	stop := make(chan struct{})
	s.socket.redeliverStop = stop
	s.mu.Unlock()

	s.goWorker(func() {
		ticker := time.NewTicker(max(d/4, time.Millisecond))
		defer ticker.Stop()
		for {
			select {
			case <-stop:
				return
			case <-s.done:
				return
			case <-ticker.C:
				s.redeliverDue(d)
			}
		}
	})
}

// redeliverDue sends again every envelope that has waited d for its ack.
func (s *Server) redeliverDue(d time.Duration) {
	s.mu.Lock()
	if len(s.socket.order) == 0 {
		s.mu.Unlock()
		return
	}
	var due []Envelope
	for _, rec := range s.socket.envelopes {
		if rec.acked || rec.env.RetryAttempt >= maxRetryAttempts || time.Since(rec.lastSent) < d {
			continue
		}
		env := rec.env
		env.RetryAttempt++
		env.RetryReason = "timeout"
		rec.lastSent = time.Now()
		rec.sentClock = s.cfg.now()
		due = append(due, env)
	}
	s.mu.Unlock()

	for _, env := range due {
		// A failed send is tried again on a later tick, because the
		// envelope stays unacked.
		if err := s.Send(env); err != nil {
			s.cfg.logf("fakeslack: redeliver: %v", err)
		}
	}
}

// receiveAck records one data frame from a client and applies the first ack
// of each envelope.
func (s *Server) receiveAck(conn int, frame []byte) {
	ack := Ack{At: s.cfg.now(), Conn: conn}
	var wire struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(frame, &wire); err != nil {
		ack.Error = fmt.Sprintf("malformed frame: %v", err)
	} else {
		ack.EnvelopeID = wire.EnvelopeID
		ack.Payload = nullToNil(wire.Payload)
	}

	s.mu.Lock()
	if ack.Error == "" {
		rec, sent := s.socket.envelopes[ack.EnvelopeID]
		_, ackedBefore := s.socket.firstAck[ack.EnvelopeID]
		switch {
		case ack.EnvelopeID == "":
			ack.Error = "missing envelope_id"
		case !sent:
			ack.Error = "unknown envelope_id " + ack.EnvelopeID
		case !ackedBefore && ack.At.Sub(rec.lastSentAt()) > AckDeadline:
			// Slack has shown its user an error by now and ignores the ack.
			rec.acked = true
			s.socket.firstAck[ack.EnvelopeID] = len(s.socket.acks)
			ack.Error = fmt.Sprintf("late ack: %s after the envelope, past Slack's %s", ack.At.Sub(rec.lastSentAt()).Round(time.Millisecond), AckDeadline)
		case !ackedBefore:
			rec.acked = true
			s.socket.firstAck[ack.EnvelopeID] = len(s.socket.acks)
			ack.Error = s.applyAckLocked(rec, ack.Payload, len(frame))
		default:
			rec.acked = true
		}
	}
	s.socket.acks = append(s.socket.acks, ack)
	s.notifyLocked()
	s.mu.Unlock()

	if ack.Error != "" {
		s.cfg.logf("fakeslack: ack on connection %d for envelope %q: %s", conn, ack.EnvelopeID, ack.Error)
	}
	if s.cfg.ackObserver != nil {
		s.cfg.ackObserver(ack)
	}
}

// Acks returns every frame the app sent, in the order the server read them.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.socket.acks...)
}

// WaitAck waits for the first ack of an envelope and returns it.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var found Ack
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		i, ok := s.socket.firstAck[envelopeID]
		if ok {
			found = s.socket.acks[i]
		}
		return ok
	})
	if err != nil {
		return Ack{}, fmt.Errorf("wait for ack of envelope %s: %w", envelopeID, err)
	}
	return found, nil
}
