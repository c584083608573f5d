// Package bot runs the Socket Mode connection: it opens and keeps the
// WebSocket to Slack, acknowledges every envelope at once, drops
// redeliveries, hands each envelope to a Handler on its own goroutine, and
// reconnects (without a gap when Slack asks for a refresh).
//
// The bot speaks the Socket Mode protocol itself, on gorilla/websocket,
// rather than through slack-go's socketmode client, because it needs what
// that client does not give: its own keepalive pings for proxies with idle
// timeouts, the disconnect reason, and a second connection opened before
// the first is closed on refresh_requested.
package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
)

// Handler processes envelopes. The bot calls Handle on a new goroutine for
// every envelope that is new to this process.
//
// For envelopes whose acknowledgement carries a response (view_submission
// and block_suggestion payloads), ack is non-nil: Handle must call it once,
// quickly, with the response payload (nil for an empty ack), and may go on
// working only if ack returns true. For all other envelopes the bot has
// acknowledged already, and ack is nil.
type Handler interface {
	Handle(ctx context.Context, env *Envelope, ack AckFunc)
}

// AckFunc acknowledges an envelope with an optional payload. It returns
// false when the envelope must not be acted on, because another process
// claimed it first.
type AckFunc func(payload any) (proceed bool)

// ClaimFunc records, across processes, that this process acts on an
// envelope. It returns false when another process claimed it first.
type ClaimFunc func(ctx context.Context, envelopeID string) (bool, error)

// Observer receives the bot's measurements; metrics implement it. All
// methods must be fast and safe for concurrent use.
type Observer interface {
	EnvelopeReceived(envelopeType string, redelivered bool)
	Acked(envelopeType string, latency time.Duration)
	Connected(reconnect bool)
	Disconnected(reason string)
}

// Config configures a Bot.
type Config struct {
	// API opens connections with apps.connections.open; it must carry the
	// app-level token.
	API     *slack.Client
	Handler Handler
	// Claim, when set, is asked before acting on an envelope, so that two
	// replicas never act on one envelope. Block suggestions are not claimed:
	// answering one twice is harmless.
	Claim ClaimFunc
	Log   zerolog.Logger
	// Observer, when set, receives measurements.
	Observer Observer
	// PingInterval is how often the bot pings Slack to keep the connection
	// alive through proxies; 5s when zero. A connection that sends nothing
	// (not even a pong) for three intervals is treated as dead.
	PingInterval time.Duration
	// ExpectedConnections is how many connections this deployment opens in
	// all; hello reporting more means another instance shares the token.
	ExpectedConnections int
	// Dialer opens the WebSocket; a default dialer when nil.
	Dialer *websocket.Dialer
}

// FatalError is returned by Run when Slack rejects the app-level token:
// retrying cannot help.
type FatalError struct {
	Reason string
	Err    error
}

func (e *FatalError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Bot is a Socket Mode client. Create it with New and start it with Run.
type Bot struct {
	cfg    Config
	log    zerolog.Logger
	dialer *websocket.Dialer
	seen   *seenEnvelopes

	events chan connEvent
	// stopped is closed when Run returns, so goroutines stop reporting.
	stopped chan struct{}
	// work tracks handler goroutines, so a stopping bot can wait for them.
	work sync.WaitGroup
	// readers tracks the read loops. Run waits for them before it returns,
	// so that no handler starts after Run has returned and Wait has begun.
	readers sync.WaitGroup
	// stopping is set when Run stops. Envelopes read after that are neither
	// acknowledged nor handled, so Slack delivers them again elsewhere.
	stopping atomic.Bool

	mu     sync.Mutex
	active *conn
	conns  map[int]*conn

	connected   atomic.Bool
	nextConnID  atomic.Int64
	repeats     repeatCounter
	warnedHello atomic.Int64
	// policy sets the waits between connection attempts. Tests shorten it.
	policy backoffPolicy
}

// New returns a Bot; Run starts it.
func New(cfg Config) *Bot {
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 5 * time.Second
	}
	if cfg.ExpectedConnections <= 0 {
		cfg.ExpectedConnections = 1
	}
	dialer := cfg.Dialer
	if dialer == nil {
		dialer = &websocket.Dialer{
			Proxy:            http.ProxyFromEnvironment,
			HandshakeTimeout: 10 * time.Second,
			WriteBufferSize:  32 * 1024,
		}
	}
	return &Bot{
		cfg:     cfg,
		log:     cfg.Log,
		dialer:  dialer,
		seen:    newSeenEnvelopes(15*time.Minute, 100_000),
		events:  make(chan connEvent, 64),
		stopped: make(chan struct{}),
		conns:   make(map[int]*conn),
		policy:  defaultBackoff,
	}
}

// Connected reports whether a Socket Mode connection is open and Slack
// has sent hello on it.
func (b *Bot) Connected() bool { return b.connected.Load() }

// Wait blocks until every handler goroutine has returned or ctx is done.
func (b *Bot) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		b.work.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type eventKind int

const (
	evDialed eventKind = iota
	evDialFailed
	evHello
	evDisconnect
	evClosed
	evRetry
	// evStable reports a connection that stayed open for
	// backoffPolicy.stableAfter after its hello.
	evStable
)

type connEvent struct {
	kind   eventKind
	conn   *conn
	err    error
	reason string
	count  int
}

// Run connects and serves envelopes until ctx is done, then closes the
// connections and returns nil once their read loops have stopped. Handlers
// started before that keep running; use Wait for them. Run returns a
// *FatalError when Slack rejects the app-level token.
func (b *Bot) Run(ctx context.Context, handlerCtx context.Context) error {
	s := supervisor{bot: b, handlerCtx: handlerCtx}
	defer func() {
		b.stopping.Store(true)
		s.closeAll()
		close(b.stopped)
		b.readers.Wait()
	}()
	s.dial(ctx, 0)
	for {
		select {
		case <-ctx.Done():
			b.log.Info().Msg("socket mode stopping: no new envelopes are taken")
			return nil
		case ev := <-b.events:
			if err := s.handle(ctx, ev); err != nil {
				return err
			}
		}
	}
}

// report sends ev to Run's loop, or drops it once Run has returned.
func (b *Bot) report(ev connEvent) {
	select {
	case b.events <- ev:
	case <-b.stopped:
	}
}

// supervisor is the state of Run's event loop; only that loop touches it.
type supervisor struct {
	bot        *Bot
	handlerCtx context.Context
	dialing    bool
	retryTimer *time.Timer
	// failures counts failed connection attempts and connections that
	// closed before they were stable, since the last stable connection.
	// A hello alone does not reset it, so that a proxy or Slack closing
	// every new connection soon after hello still meets a growing wait.
	failures int
	// tooMany is set while Slack refuses connections for too many
	// websockets, which calls for longer waits.
	tooMany bool
}

func (s *supervisor) handle(ctx context.Context, ev connEvent) error {
	b := s.bot
	switch ev.kind {
	case evDialed:
		s.dialing = false
		b.mu.Lock()
		b.conns[ev.conn.id] = ev.conn
		b.mu.Unlock()
		b.readers.Add(1)
		go func() {
			defer b.readers.Done()
			b.readLoop(ev.conn, s.handlerCtx)
		}()
		go b.pingLoop(ev.conn)

	case evDialFailed:
		s.dialing = false
		var fatal *FatalError
		if errors.As(ev.err, &fatal) {
			return fatal
		}
		s.failures++
		delay := s.backoff()
		if log, count := b.repeats.observe("connect: " + ev.err.Error()); log {
			b.log.Warn().Err(ev.err).Int("attempts", count).Dur("retry_in", delay).
				Msg("socket mode connection failed; retrying")
		}
		s.scheduleDial(ctx, delay)

	case evHello:
		s.onHello(ev)

	case evDisconnect:
		s.onDisconnect(ctx, ev)

	case evClosed:
		s.onClosed(ctx, ev)

	case evRetry:
		s.retryTimer = nil
		if !s.hasLiveConn() {
			s.dial(ctx, 0)
		}

	case evStable:
		s.onStable(ev)
	}
	return nil
}

func (s *supervisor) onHello(ev connEvent) {
	b := s.bot
	reconnect := b.nextConnID.Load() > 1
	b.mu.Lock()
	b.active = ev.conn
	var retiring []*conn
	for _, c := range b.conns {
		if c != ev.conn && c.retiring.Load() {
			retiring = append(retiring, c)
		}
	}
	b.mu.Unlock()
	b.connected.Store(true)
	c := ev.conn
	c.stableTimer = time.AfterFunc(b.policy.stableAfter, func() {
		b.report(connEvent{kind: evStable, conn: c})
	})

	event := b.log.Debug()
	if log, count := b.repeats.observe("connected"); log {
		event = b.log.Info().Int("times", count)
	}
	event.Int("connection", ev.conn.id).Int("num_connections", ev.count).Bool("reconnect", reconnect).
		Msg("socket mode connected")
	// During a refresh this process holds the old connection and the new
	// one, and Slack counts both.
	// NOTE: replicas refreshing at the same moment can still exceed the
	// count for a moment and cause a false warning.
	expected := b.cfg.ExpectedConnections + len(retiring)
	if ev.count > expected && int64(ev.count) != b.warnedHello.Load() {
		b.warnedHello.Store(int64(ev.count))
		b.log.Warn().Int("num_connections", ev.count).Int("expected_connections", b.cfg.ExpectedConnections).
			Msgf("Slack reports %d Socket Mode connections for this app, but this deployment runs %d: another instance shares SLACK_APP_TOKEN and receives a share of the events",
				ev.count, b.cfg.ExpectedConnections)
	}
	if b.cfg.Observer != nil {
		b.cfg.Observer.Connected(reconnect)
	}
	// The new connection is live, so connections Slack asked to replace
	// can close. Slack may have written envelopes to them that are not read
	// yet, so each gets the closing handshake: its read loop goes on until
	// Slack's close frame, and acks go out on the new connection.
	for _, c := range retiring {
		c.retire(retireGrace)
	}
}

// onStable resets the failure count and the log counters once a connection
// has stayed open for stableAfter, so the next failure is retried at once
// and logged again.
func (s *supervisor) onStable(ev connEvent) {
	b := s.bot
	b.mu.Lock()
	active := b.active == ev.conn
	b.mu.Unlock()
	if !active || !ev.conn.alive() {
		return
	}
	if s.failures > 0 {
		b.log.Info().Int("connection", ev.conn.id).Int("failures", s.failures).
			Msg("socket mode connection stable again")
	}
	s.failures = 0
	s.tooMany = false
	b.repeats.reset()
}

func (s *supervisor) onDisconnect(ctx context.Context, ev connEvent) {
	b := s.bot
	ev.conn.retiring.Store(true)
	if b.cfg.Observer != nil {
		b.cfg.Observer.Disconnected(ev.reason)
	}
	switch ev.reason {
	case ReasonTooManyWebsockets:
		s.tooMany = true
		s.failures++
		delay := s.backoff()
		// The cause is logged once until a connection is stable again.
		// Repeats go to debug, so a long episode writes one line.
		if _, count := b.repeats.observe(ReasonTooManyWebsockets); count == 1 {
			b.log.Error().Int("connection", ev.conn.id).Dur("retry_in", delay).
				Msg("Slack closed the connection: too many Socket Mode connections (more than 10) share SLACK_APP_TOKEN; stop the extra instances or lower the replica count")
		} else {
			b.log.Debug().Int("connection", ev.conn.id).Int("times", count).Dur("retry_in", delay).
				Msg("Slack closed the connection again: too many Socket Mode connections share SLACK_APP_TOKEN")
		}
		ev.conn.close()
		s.scheduleDial(ctx, delay)
	case ReasonLinkDisabled:
		s.failures++
		delay := max(s.backoff(), b.policy.linkDisabledMin)
		event := b.log.Debug()
		if log, count := b.repeats.observe(ReasonLinkDisabled); log {
			event = b.log.Error().Int("times", count)
		}
		event.Int("connection", ev.conn.id).Dur("retry_in", delay).
			Msg("Slack closed the connection: Socket Mode is turned off for this app; turn it on under Socket Mode in the app settings")
		ev.conn.close()
		s.scheduleDial(ctx, delay)
	default:
		// refresh_requested, warning or a reason new to this code: open the
		// replacement now and close the old connection once it is live.
		b.log.Info().Int("connection", ev.conn.id).Str("reason", ev.reason).
			Msg("Slack asked for a new connection; opening it before closing this one")
		if !s.dialing {
			s.dial(ctx, 0)
		}
	}
}

func (s *supervisor) onClosed(ctx context.Context, ev connEvent) {
	b := s.bot
	b.mu.Lock()
	delete(b.conns, ev.conn.id)
	if b.active == ev.conn {
		b.active = nil
	}
	b.mu.Unlock()
	if ev.conn.stableTimer != nil {
		ev.conn.stableTimer.Stop()
	}

	expected := ev.conn.closing.Load()
	if !expected {
		// A connection that closes before it is stable counts as a
		// failure, so a reconnect loop slows down.
		s.failures++
	}
	if ctx.Err() != nil {
		return
	}
	live := s.hasLiveConn()
	waiting := s.dialing || s.retryTimer != nil
	// The first reconnect goes out at once; backoff starts with repeated
	// failures.
	delay := time.Duration(0)
	if !live && !waiting {
		delay = s.backoff()
	}

	if !expected {
		event := b.log.Debug()
		if log, count := b.repeats.observe("closed by peer"); log {
			event = b.log.Warn().Int("times", count)
		}
		event.Int("connection", ev.conn.id).Err(ev.err).Dur("retry_in", delay).
			Msg("socket mode connection closed by the peer")
	} else {
		b.log.Debug().Int("connection", ev.conn.id).Msg("socket mode connection closed")
	}
	if live {
		return
	}
	b.connected.Store(false)
	if waiting {
		return
	}
	s.dial(ctx, delay)
}

func (s *supervisor) hasLiveConn() bool {
	b := s.bot
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		if c.alive() && !c.retiring.Load() {
			return true
		}
	}
	return false
}

// backoff returns the wait before the next connection attempt. The first
// failure waits nothing, and later ones double from the policy's base to
// its limit: 250ms to 30s by default, and 30s to 5 minutes while Slack
// reports too many websockets. Jitter moves each wait by up to 10%.
func (s *supervisor) backoff() time.Duration {
	if s.failures <= 1 && !s.tooMany {
		return 0
	}
	p := s.bot.policy
	base, limit := p.base, p.limit
	if s.tooMany {
		base, limit = p.tooManyBase, p.tooManyLimit
	}
	// The second failure in a row waits base, and the first too_many_websockets
	// already waits tooManyBase.
	steps := s.failures - 2
	if s.tooMany {
		steps = s.failures - 1
	}
	delay := base << min(max(steps, 0), 16)
	if delay > limit || delay <= 0 {
		delay = limit
	}
	jitter := time.Duration(rand.Int64N(int64(delay)/5 + 1))
	return delay - delay/10 + jitter
}

func (s *supervisor) scheduleDial(ctx context.Context, delay time.Duration) {
	if s.retryTimer != nil {
		s.retryTimer.Stop()
	}
	s.retryTimer = time.AfterFunc(delay, func() {
		s.bot.report(connEvent{kind: evRetry})
	})
}

// dial opens a connection on a new goroutine after delay and reports the
// result as an event.
func (s *supervisor) dial(ctx context.Context, delay time.Duration) {
	if delay > 0 {
		s.scheduleDial(ctx, delay)
		return
	}
	s.dialing = true
	b := s.bot
	go func() {
		c, err := b.connect(ctx)
		ev := connEvent{kind: evDialed, conn: c}
		if err != nil {
			ev = connEvent{kind: evDialFailed, err: err}
		}
		if ctx.Err() != nil && c != nil {
			c.close()
			return
		}
		select {
		case b.events <- ev:
		case <-b.stopped:
			// Run has returned, so no read loop would serve this connection.
			if c != nil {
				c.close()
			}
		}
	}()
}

func (s *supervisor) closeAll() {
	if s.retryTimer != nil {
		s.retryTimer.Stop()
	}
	b := s.bot
	b.mu.Lock()
	conns := make([]*conn, 0, len(b.conns))
	for _, c := range b.conns {
		conns = append(conns, c)
	}
	b.active = nil
	b.mu.Unlock()
	b.connected.Store(false)
	for _, c := range conns {
		c.close()
	}
}

// fatalConnectErrors are apps.connections.open errors that no retry can
// fix: the app-level token is missing, wrong or revoked.
var fatalConnectErrors = map[string]string{
	"invalid_auth":           "SLACK_APP_TOKEN was rejected by Slack: set it to the app's current app-level token (xapp-…) from Basic Information > App-Level Tokens",
	"not_authed":             "SLACK_APP_TOKEN was not sent",
	"missing_args":           "SLACK_APP_TOKEN was not sent",
	"account_inactive":       "the app behind SLACK_APP_TOKEN is deactivated",
	"token_revoked":          "SLACK_APP_TOKEN was revoked: create a new app-level token",
	"token_expired":          "SLACK_APP_TOKEN has expired: create a new app-level token",
	"not_allowed_token_type": "SLACK_APP_TOKEN is not an app-level token (xapp-…) with the connections:write scope",
	"invalid_token":          "SLACK_APP_TOKEN is not a valid token: set it to the app-level token (xapp-…) from Basic Information > App-Level Tokens",
}

// connect gets a WebSocket URL from apps.connections.open and dials it.
func (b *Bot) connect(ctx context.Context) (*conn, error) {
	openCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, url, err := b.cfg.API.StartSocketModeContext(openCtx)
	if err != nil {
		var slackErr slack.SlackErrorResponse
		if errors.As(err, &slackErr) {
			if reason, ok := fatalConnectErrors[slackErr.Err]; ok {
				return nil, &FatalError{Reason: reason, Err: err}
			}
		}
		var statusErr slack.StatusCodeError
		if errors.As(err, &statusErr) && statusErr.Code == http.StatusNotFound {
			return nil, &FatalError{Reason: "apps.connections.open was not found: check SLACK_API_URL", Err: err}
		}
		var rateErr *slack.RateLimitedError
		if errors.As(err, &rateErr) {
			return nil, fmt.Errorf("apps.connections.open: rate limited for %s: %w", rateErr.RetryAfter, err)
		}
		return nil, fmt.Errorf("apps.connections.open: %w", err)
	}
	if url == "" {
		return nil, errors.New("apps.connections.open returned no URL")
	}

	ws, resp, err := b.dialer.DialContext(openCtx, url, http.Header{})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial socket mode URL: %w", err)
	}
	c := &conn{
		id:       int(b.nextConnID.Add(1)),
		ws:       ws,
		openedAt: time.Now(),
		done:     make(chan struct{}),
	}
	deadline := 3 * b.cfg.PingInterval
	_ = ws.SetReadDeadline(time.Now().Add(deadline))
	ws.SetReadLimit(MaxFrameBytes)
	ws.SetPongHandler(func(string) error {
		return c.extendDeadline(deadline)
	})
	ws.SetPingHandler(func(data string) error {
		_ = c.extendDeadline(deadline)
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	return c, nil
}

// pingLoop pings Slack every PingInterval until the connection closes, so
// that a proxy with an idle timeout keeps it open and a dead peer is found.
func (b *Bot) pingLoop(c *conn) {
	ticker := time.NewTicker(b.cfg.PingInterval)
	defer ticker.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ticker.C:
			if err := c.ping(); err != nil {
				b.log.Debug().Int("connection", c.id).Err(err).Msg("socket mode ping failed")
				return
			}
		}
	}
}

// readLoop reads frames until the connection fails, acknowledging and
// dispatching envelopes and reporting control messages to Run.
func (b *Bot) readLoop(c *conn, handlerCtx context.Context) {
	var closeErr error
	defer func() {
		_ = c.ws.Close()
		close(c.done)
		b.report(connEvent{kind: evClosed, conn: c, err: closeErr})
	}()
	deadline := 3 * b.cfg.PingInterval
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			closeErr = err
			return
		}
		_ = c.extendDeadline(deadline)

		env, err := decodeEnvelope(data)
		if err != nil {
			if log, count := b.repeats.observe("bad frame"); log {
				b.log.Warn().Err(err).Int("connection", c.id).Int("times", count).Int("bytes", len(data)).
					Msg("socket mode frame is not an envelope; ignored")
			}
			continue
		}
		switch env.Type {
		case TypeHello:
			b.report(connEvent{kind: evHello, conn: c, count: env.NumConnections})
		case TypeDisconnect:
			b.report(connEvent{kind: evDisconnect, conn: c, reason: env.Reason})
		default:
			b.receive(handlerCtx, c, env)
		}
	}
}
