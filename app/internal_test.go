package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/paperspace-bot/paperspace-bot/bot"
	"github.com/paperspace-bot/paperspace-bot/config"
	"github.com/paperspace-bot/paperspace-bot/store"
)

func TestRedactor(t *testing.T) {
	settings := config.Settings{
		SlackAppToken:    "xapp-1-app-secret",
		SlackBotToken:    "xoxb-bot-secret",
		PaperspaceAPIKey: "key-secret",
		DatabaseURL:      "postgres://bot:p%40ss%2Fword@db.example:5432/bot",
	}
	tests := []struct {
		name string
		text string
		want string
	}{
		{"bot token", "auth.test with xoxb-bot-secret failed", "auth.test with [redacted] failed"},
		{"app token", "token xapp-1-app-secret rejected", "token [redacted] rejected"},
		{"API key twice", "key-secret and key-secret", "[redacted] and [redacted]"},
		{"database password", "password p@ss/word refused", "password [redacted] refused"},
		{"database password escaped", "url postgres://bot:p%40ss%2Fword@db", "url postgres://bot:[redacted]@db"},
		{"nothing secret", "ok  settings", "ok  settings"},
	}
	r := newRedactor(settings)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.redact(tt.text); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestRedactorLongestFirst(t *testing.T) {
	r := &redactor{}
	r.add("abc")
	r.add("abcdef")
	r.add("")
	if got, want := r.redact("x abcdef y abc"), "x [redacted] y [redacted]"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}

// pingStore is a store.Store whose Ping returns err; its other methods
// are not used by the readiness checks.
type pingStore struct {
	store.Store
	err error
}

func (s pingStore) Ping(context.Context) error { return s.err }

func TestReadinessChecks(t *testing.T) {
	notConnected := bot.New(bot.Config{Log: zerolog.Nop()})
	tests := []struct {
		name       string
		socket     *bot.Bot
		db         store.Store
		wantSocket string
		wantStore  string
	}{
		{
			name:       "nothing set yet",
			wantSocket: "not started: the bot is still checking its tokens, the API key and the store",
			wantStore:  "not open yet",
		},
		{
			name:       "socket not connected, store fails",
			socket:     notConnected,
			db:         pingStore{err: errors.New("ping postgres: connection refused")},
			wantSocket: "not connected to Slack",
			wantStore:  "ping postgres: connection refused",
		},
		{
			name:       "store answers",
			socket:     notConnected,
			db:         pingStore{},
			wantSocket: "not connected to Slack",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &readiness{}
			if tt.socket != nil {
				r.setSocket(tt.socket)
			}
			if tt.db != nil {
				r.setStore(tt.db)
			}
			checks := r.checks()
			if len(checks) != 2 || checks[0].Name != "socket mode" || checks[1].Name != "store" {
				t.Fatalf("checks = %+v, want socket mode and store", checks)
			}
			if got := errText(checks[0].Check(context.Background())); got != tt.wantSocket {
				t.Errorf("socket mode check = %q, want %q", got, tt.wantSocket)
			}
			if got := errText(checks[1].Check(context.Background())); got != tt.wantStore {
				t.Errorf("store check = %q, want %q", got, tt.wantStore)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// syncBuffer is a bytes.Buffer safe for the listener's goroutine and the
// test to use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStartHTTPServes(t *testing.T) {
	logs := &syncBuffer{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served "+r.URL.Path) })
	stop := startHTTP("127.0.0.1:0", handler, zerolog.New(logs))

	addr := listenAddr(t, logs.String())
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "served /healthz" {
		t.Errorf("body = %q, want %q", body, "served /healthz")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stop(ctx)
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("GET after stop succeeded, want a refused connection")
	}
	if !strings.Contains(logs.String(), "HTTP listener stopped") {
		t.Errorf("logs have no stop line:\n%s", logs.String())
	}
}

func TestStartHTTPPortTaken(t *testing.T) {
	occupied, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer occupied.Close()

	logs := &syncBuffer{}
	stop := startHTTP(occupied.Addr().String(), http.NotFoundHandler(), zerolog.New(logs))
	stop(context.Background())

	text := logs.String()
	for _, want := range []string{`"level":"error"`, "cannot listen for /healthz, /readyz and /metrics", occupied.Addr().String(), "set HTTP_ADDR"} {
		if !strings.Contains(text, want) {
			t.Errorf("logs do not contain %q:\n%s", want, text)
		}
	}
}

// listenAddr returns the address from the listener's start line.
func listenAddr(t *testing.T, logs string) string {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, "serving /healthz, /readyz and /metrics") {
			continue
		}
		_, rest, ok := strings.Cut(line, `"http_addr":"`)
		if !ok {
			break
		}
		addr, _, _ := strings.Cut(rest, `"`)
		return addr
	}
	t.Fatalf("no listener start line in the logs:\n%s", logs)
	return ""
}
