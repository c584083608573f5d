package fakeslack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Defaults for the options of New.
const (
	DefaultBotToken        = "xoxb-test-bot-token"
	DefaultAppToken        = "xapp-1-test-app-token"
	DefaultPingInterval    = 5 * time.Second
	DefaultDisconnectGrace = time.Second
	DefaultTeamID          = "T_FAKE"
	DefaultTeamDomain      = "fake"
	DefaultBotUserID       = "U_BOT"
	DefaultBotUserName     = "paperspace-bot"
	DefaultBotID           = "B_FAKE"
	DefaultAppID           = "A_FAKE"
)

// Server is a fake Slack workspace with one installed app. It serves the Web
// API under /api/, Socket Mode WebSockets under /link/ and response URLs
// under /response/, all on one 127.0.0.1 port.
type Server struct {
	cfg      config
	baseURL  string
	listener net.Listener
	http     *http.Server

	// done is closed by Close. Handlers that wait (fault delays, disconnect
	// grace periods, redelivery) stop waiting when it closes.
	done      chan struct{}
	closeOnce sync.Once
	// workers counts the goroutines that Close must wait for: WebSocket
	// connections, disconnect grace timers and the redelivery loop.
	workers sync.WaitGroup

	mu sync.Mutex
	// changed is closed and replaced whenever recorded state changes, which
	// wakes the Wait methods.
	changed chan struct{}

	web    webState
	socket socketState
}

type config struct {
	botToken        string
	appToken        string
	pingInterval    time.Duration
	disconnectGrace time.Duration
	teamID          string
	teamDomain      string
	botUserID       string
	botUserName     string
	botID           string
	appID           string
	triggerTTL      time.Duration
	now             func() time.Time
	logf            func(format string, args ...any)
	callObserver    func(Call)
	ackObserver     func(Ack)
	// skipViewChecks turns off the Block Kit checks of views.
	skipViewChecks bool
}

// Option configures a Server in New.
type Option func(*config)

// WithoutViewChecks turns off the checks of views against Slack's Block Kit
// limits, for a load driver that measures the bot rather than the fake.
// Tests should keep them.
func WithoutViewChecks() Option {
	return func(c *config) { c.skipViewChecks = true }
}

// WithBotToken sets the bot token (xoxb-) that every Web API method except
// apps.connections.open accepts. The default is DefaultBotToken.
func WithBotToken(token string) Option {
	return func(c *config) { c.botToken = token }
}

// WithAppToken sets the app-level token (xapp-) that apps.connections.open
// accepts. The default is DefaultAppToken.
func WithAppToken(token string) Option {
	return func(c *config) { c.appToken = token }
}

// WithPingInterval sets how often the server sends a WebSocket ping on each
// Socket Mode connection. The default is DefaultPingInterval. A value of 0
// or less turns pings off.
func WithPingInterval(d time.Duration) Option {
	return func(c *config) { c.pingInterval = d }
}

// WithDisconnectGrace sets how long the server keeps a connection open after
// it sent a disconnect message other than "warning". The default is
// DefaultDisconnectGrace.
func WithDisconnectGrace(d time.Duration) Option {
	return func(c *config) { c.disconnectGrace = d }
}

// WithTeam sets the workspace id and domain. The defaults are DefaultTeamID
// and DefaultTeamDomain.
func WithTeam(id, domain string) Option {
	return func(c *config) {
		c.teamID = id
		c.teamDomain = domain
	}
}

// WithBotUser sets the bot's user id, which auth.test returns and which
// posted messages carry. The default is DefaultBotUserID.
func WithBotUser(id string) Option {
	return func(c *config) { c.botUserID = id }
}

// WithBotID sets the bot id (B...). The default is DefaultBotID.
func WithBotID(id string) Option {
	return func(c *config) { c.botID = id }
}

// WithAppID sets the app id (A...) that hello messages and payloads carry.
// The default is DefaultAppID.
func WithAppID(id string) Option {
	return func(c *config) { c.appID = id }
}

// WithTriggerTTL makes trigger ids expire d after the envelope that carried
// them was sent (or after they were made, if never sent), so that views.open
// and views.push fail with expired_trigger_id. Slack's own limit is 3 seconds.
// The default, 0, never expires trigger ids, so that slow test machines do
// not fail tests by chance.
func WithTriggerTTL(d time.Duration) Option {
	return func(c *config) { c.triggerTTL = d }
}

// WithClock sets the clock that timestamps records (Call.At, Ack.At, ...)
// and decides trigger expiry. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithLogf sets the function that logs connections opened and closed,
// failed writes and acks that Slack would reject, for example t.Logf. Logs
// never contain tokens. The default discards them.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(c *config) { c.logf = logf }
}

// WithCallObserver sets a function that the server calls with each Web API
// request once it is recorded, on the goroutine serving the request and
// before the response is written. It lets a load driver follow the bot's
// calls without polling Calls. The server does not hold its lock during the
// call, so observe may call the server's methods. observe must be safe for
// concurrent use, must return quickly and must not change the Call's Params
// or JSON.
func WithCallObserver(observe func(Call)) Option {
	return func(c *config) { c.callObserver = observe }
}

// WithAckObserver sets a function that the server calls with each frame
// that the app sends on a Socket Mode connection, once it is recorded (see
// Acks), on the connection's read goroutine. The server does not hold its
// lock during the call, so observe may call the server's methods. observe
// must be safe for concurrent use, must return quickly and must not change
// the Ack's Payload.
func WithAckObserver(observe func(Ack)) Option {
	return func(c *config) { c.ackObserver = observe }
}

// New starts a fake Slack server on 127.0.0.1 on a free port. It panics if
// it cannot listen, as httptest.NewServer does. Call Close when done.
func New(opts ...Option) *Server {
	cfg := config{
		botToken:        DefaultBotToken,
		appToken:        DefaultAppToken,
		pingInterval:    DefaultPingInterval,
		disconnectGrace: DefaultDisconnectGrace,
		teamID:          DefaultTeamID,
		teamDomain:      DefaultTeamDomain,
		botUserID:       DefaultBotUserID,
		botUserName:     DefaultBotUserName,
		botID:           DefaultBotID,
		appID:           DefaultAppID,
		now:             time.Now,
		logf:            func(string, ...any) {},
	}
	for _, opt := range opts {
		opt(&cfg)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("fakeslack: listen on 127.0.0.1: %v", err))
	}

	s := &Server{
		cfg:      cfg,
		baseURL:  "http://" + listener.Addr().String(),
		listener: listener,
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
	}
	s.web.init()
	s.socket.init()
	s.web.users[cfg.botUserID] = slack.User{
		ID:       cfg.botUserID,
		TeamID:   cfg.teamID,
		Name:     cfg.botUserName,
		RealName: cfg.botUserName,
		IsBot:    true,
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/response/", s.serveResponseURL)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	go func() {
		// Serve returns http.ErrServerClosed after Close; any other error
		// means the listener broke, and requests then fail on their own.
		_ = s.http.Serve(listener)
	}()
	return s
}

// APIURL returns the Web API base URL, "http://127.0.0.1:PORT/api/". It ends
// with a slash because slack-go appends method names to it directly.
func (s *Server) APIURL() string {
	return s.baseURL + "/api/"
}

// BotToken returns the bot token that the server accepts.
func (s *Server) BotToken() string { return s.cfg.botToken }

// AppToken returns the app-level token that the server accepts.
func (s *Server) AppToken() string { return s.cfg.appToken }

// TeamID returns the workspace id.
func (s *Server) TeamID() string { return s.cfg.teamID }

// BotUserID returns the bot's user id.
func (s *Server) BotUserID() string { return s.cfg.botUserID }

// AppID returns the app id.
func (s *Server) AppID() string { return s.cfg.appID }

// Close closes every WebSocket connection, stops the HTTP server and waits
// for the server's goroutines to end. Requests waiting on an injected delay
// return at once. Close is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)

		s.mu.Lock()
		conns := s.socket.openConns()
		s.mu.Unlock()
		for _, c := range conns {
			c.abort()
		}

		// Shutdown waits for in-flight Web API requests. Hijacked WebSocket
		// connections are not its concern, and workers covers them.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			_ = s.http.Close()
		}
		s.workers.Wait()
	})
}

func (s *Server) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// notifyLocked wakes every Wait method. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitFor calls cond each time the server's recorded state changes until
// cond returns true, and returns nil then. It returns an error when ctx ends
// or the server closes first. cond may call any method of s.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()

		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for condition: %w", ctx.Err())
		case <-s.done:
			return errors.New("wait for condition: fake slack server closed")
		}
	}
}
