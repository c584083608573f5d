package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// DefaultCheckTimeout bounds all readiness checks of one /readyz request
// when HandlerOptions.CheckTimeout is zero. It stays below the 3-second
// probe timeout of the Kubernetes manifests in deploy/kubernetes.
const DefaultCheckTimeout = 2 * time.Second

// ReadinessCheck is one condition of /readyz. Check returns nil when the
// condition holds, or an error that describes why not. The error text is
// shown in the /readyz body, so it must not contain a secret.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// HandlerOptions configure Handler.
type HandlerOptions struct {
	// Checks are the conditions of /readyz. They run concurrently on
	// every request.
	Checks []ReadinessCheck
	// CheckTimeout bounds the checks of one request; DefaultCheckTimeout
	// when zero. A check still running then fails with "timed out".
	CheckTimeout time.Duration
	// Log receives a line each time readiness changes, with the reasons,
	// and the errors of serving /metrics.
	Log zerolog.Logger
}

// Handler returns the HTTP handler of the bot's listener:
//
//   - GET /healthz returns 200 "ok" while the process serves HTTP.
//   - GET /readyz returns 200 "ok" when every check passes, and otherwise
//     503 with one line per failed check, "<name>: <reason>".
//   - GET /metrics returns the registry's metrics in the Prometheus text
//     format (or another format the scraper negotiates).
//
// Other paths get 404 and other methods than GET and HEAD get 405.
func (m *Metrics) Handler(opts HandlerOptions) http.Handler {
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = DefaultCheckTimeout
	}
	ready := &readiness{checks: opts.Checks, timeout: opts.CheckTimeout, log: opts.Log}
	metricsHandler := promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:            promLogger{opts.Log},
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", getOnly(func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	}))
	mux.HandleFunc("/readyz", getOnly(ready.serveHTTP))
	mux.Handle("/metrics", getOnly(metricsHandler.ServeHTTP))
	return mux
}

// getOnly responds with 405 to any method but GET and HEAD.
func getOnly(serve http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeText(w, http.StatusMethodNotAllowed, "method not allowed: use GET\n")
			return
		}
		serve(w, r)
	}
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// readiness serves /readyz and logs when the response changes.
type readiness struct {
	checks  []ReadinessCheck
	timeout time.Duration
	log     zerolog.Logger

	mu sync.Mutex
	// lastProblems is the body of the previous response, "" when it was
	// ready. seen is false before the first response.
	lastProblems string
	seen         bool
}

func (r *readiness) serveHTTP(w http.ResponseWriter, req *http.Request) {
	problems := r.run(req.Context())
	r.logChange(problems)
	if len(problems) == 0 {
		writeText(w, http.StatusOK, "ok\n")
		return
	}
	writeText(w, http.StatusServiceUnavailable, strings.Join(problems, "\n")+"\n")
}

// run runs every check concurrently under one deadline and returns a line
// for each failed check, in the order of the checks. A check that ignores
// its context does not hold up the response: it counts as timed out, and its
// goroutine ends whenever the check returns.
func (r *readiness) run(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	type result struct {
		index int
		err   error
	}
	finished := make(chan result, len(r.checks))
	for i, check := range r.checks {
		go func() { finished <- result{i, check.Check(ctx)} }()
	}
	timedOut := fmt.Errorf("timed out after %s", r.timeout)
	errs := make([]error, len(r.checks))
	for i := range errs {
		errs[i] = timedOut
	}
wait:
	for pending := len(r.checks); pending > 0; pending-- {
		select {
		case res := <-finished:
			errs[res.index] = res.err
		case <-ctx.Done():
			break wait
		}
	}
	// Keep the results that arrived together with the deadline.
	for drained := false; !drained; {
		select {
		case res := <-finished:
			errs[res.index] = res.err
		default:
			drained = true
		}
	}

	var problems []string
	for i, err := range errs {
		if err == nil {
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = timedOut
		}
		problems = append(problems, r.checks[i].Name+": "+oneLine(err.Error()))
	}
	return problems
}

// logChange logs the first response and every change between ready and not
// ready, or between two different sets of reasons.
func (r *readiness) logChange(problems []string) {
	body := strings.Join(problems, "; ")
	r.mu.Lock()
	changed := !r.seen || body != r.lastProblems
	r.seen, r.lastProblems = true, body
	r.mu.Unlock()
	if !changed {
		return
	}
	if body == "" {
		r.log.Info().Msg("ready: every readiness check passes")
	} else {
		r.log.Warn().Str("reasons", body).Msg("not ready")
	}
}

// oneLine replaces line breaks, so that each failed check stays one line
// of the /readyz body.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// promLogger passes promhttp's errors to zerolog.
type promLogger struct{ log zerolog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Error().Msg("serve /metrics: " + strings.TrimSpace(fmt.Sprintln(v...)))
}
