package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/paperspace-bot/paperspace-bot/bot"
	"github.com/paperspace-bot/paperspace-bot/config"
	"github.com/paperspace-bot/paperspace-bot/metrics"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// readiness holds what /readyz checks. Run starts the listener before the
// tokens are checked, so that /healthz responds during a slow start, and
// sets the store and the Socket Mode client once they exist.
type readiness struct {
	mu     sync.Mutex
	socket *bot.Bot
	db     store.Store
}

func (r *readiness) setSocket(socket *bot.Bot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.socket = socket
}

func (r *readiness) setStore(db store.Store) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.db = db
}

// checks returns the readiness checks of the metrics handler.
func (r *readiness) checks() []metrics.ReadinessCheck {
	return []metrics.ReadinessCheck{
		{Name: "socket mode", Check: r.checkSocket},
		{Name: "store", Check: r.checkStore},
	}
}

func (r *readiness) checkSocket(context.Context) error {
	r.mu.Lock()
	socket := r.socket
	r.mu.Unlock()
	switch {
	case socket == nil:
		return errors.New("not started: the bot is still checking its tokens, the API key and the store")
	case !socket.Connected():
		return errors.New("not connected to Slack")
	}
	return nil
}

func (r *readiness) checkStore(ctx context.Context) error {
	r.mu.Lock()
	db := r.db
	r.mu.Unlock()
	if db == nil {
		return errors.New("not open yet")
	}
	return db.Ping(ctx)
}

// startListener serves the health, readiness and metrics endpoints on
// s.HTTPAddr unless it is off, and returns a function that stops the
// listener, waiting up to 5 seconds for requests in flight.
func startListener(s config.Settings, measure *metrics.Metrics, ready *readiness, log zerolog.Logger) (stop func()) {
	if !s.HTTPEnabled() {
		log.Info().Msg("HTTP_ADDR is off: /healthz, /readyz and /metrics are not served")
		return func() {}
	}
	handler := measure.Handler(metrics.HandlerOptions{Checks: ready.checks(), Log: log})
	stopHTTP := startHTTP(s.HTTPAddr, handler, log)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopHTTP(ctx)
	}
}

// startHTTP serves handler on addr until the returned stop function is
// called. When addr cannot be bound, it logs the error and returns a stop
// function that does nothing: the bot's work does not depend on the
// listener, and one bot must not stop another that holds the port.
func startHTTP(addr string, handler http.Handler, log zerolog.Logger) (stop func(context.Context)) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error().Err(err).Str("http_addr", addr).
			Msg("cannot listen for /healthz, /readyz and /metrics; the bot runs without them: set HTTP_ADDR to a free address, or to off")
		return func(context.Context) {}
	}
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Str("http_addr", listener.Addr().String()).
				Msg("the HTTP listener stopped; /healthz, /readyz and /metrics are unavailable")
		}
	}()
	log.Info().Str("http_addr", listener.Addr().String()).Msg("serving /healthz, /readyz and /metrics")

	return func(ctx context.Context) {
		if err := server.Shutdown(ctx); err != nil {
			log.Warn().Err(err).Msg("stop the HTTP listener")
			_ = server.Close()
		}
		<-done
		log.Info().Msg("HTTP listener stopped")
	}
}
