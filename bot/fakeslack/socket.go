package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// socketWriteTimeout bounds every write to a Socket Mode connection, so that
// a client that stops reading blocks Send for at most this long.
const socketWriteTimeout = 5 * time.Second

// socketState is the Socket Mode side of the workspace. Server.mu guards it,
// except idleTimeout, which the read loops load without the lock.
type socketState struct {
	// tickets contains the unused tickets that apps.connections.open
	// handed out.
	tickets   map[string]bool
	ticketSeq int

	conns map[int]*wsConn
	// order lists the open connection ids, oldest first, for round-robin
	// delivery.
	order []int
	next  int
	// connSeq numbers connections, so it is also the number ever opened.
	connSeq int
	// history contains every connection ever opened, indexed by id-1.
	history          []ConnectionSpan
	helloConnections int
	rejectError      string
	idleTimeout      atomic.Int64

	envelopes   map[string]*sentEnvelope
	envelopeSeq int
	acks        []Ack
	// firstAck maps an envelope id to the index in acks of its first ack.
	firstAck      map[string]int
	redeliverStop chan struct{}
}

func (st *socketState) init() {
	st.tickets = map[string]bool{}
	st.conns = map[int]*wsConn{}
	st.envelopes = map[string]*sentEnvelope{}
	st.firstAck = map[string]int{}
}

func (st *socketState) openConns() []*wsConn {
	out := make([]*wsConn, 0, len(st.order))
	for _, id := range st.order {
		out = append(out, st.conns[id])
	}
	return out
}

// wsConn is one open Socket Mode connection.
type wsConn struct {
	id int
	ws *websocket.Conn
	// writeMu serialises data frames, because gorilla/websocket allows one
	// writer at a time. Control frames (ping, pong, close) need no lock.
	writeMu sync.Mutex
	// lastFrame is when the client last sent a data frame or a ping, in
	// Unix nanoseconds.
	lastFrame atomic.Int64
}

func (c *wsConn) write(data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.writeLocked(data)
}

func (c *wsConn) writeLocked(data []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(socketWriteTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

// abort closes the TCP connection without a close frame.
func (c *wsConn) abort() {
	_ = c.ws.NetConn().Close()
}

// closeGracefully sends a close frame and then closes the TCP connection.
func (c *wsConn) closeGracefully() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	c.abort()
}

// setReadDeadline applies the idle timeout, counted from the client's last
// data frame or ping.
func (c *wsConn) setReadDeadline(idle time.Duration) {
	var deadline time.Time
	if idle > 0 {
		deadline = time.Unix(0, c.lastFrame.Load()).Add(idle)
	}
	_ = c.ws.SetReadDeadline(deadline)
}

// goWorker runs f on a goroutine that Close waits for. It reports false,
// and does not run f, once the server is closing.
func (s *Server) goWorker(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed() {
		return false
	}
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		f()
	}()
	return true
}

func (s *Server) appsConnectionsOpen(*apiRequest) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code := s.socket.rejectError; code != "" {
		return nil, errorCode(code)
	}
	s.socket.ticketSeq++
	ticket := strconv.Itoa(s.socket.ticketSeq)
	s.socket.tickets[ticket] = true
	wsURL := "ws://" + strings.TrimPrefix(s.baseURL, "http://") + "/link/?ticket=" + ticket
	return map[string]any{"url": wsURL}, nil
}

// upgrader accepts any Origin: slack-go sends https://api.slack.com.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveSocket serves GET /link/?ticket=N: it upgrades to a WebSocket, sends
// hello, pings the client and reads its acks until the connection ends.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.socket.tickets[ticket]
	delete(s.socket.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket: call apps.connections.open for a new URL", http.StatusUnauthorized)
		return
	}

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has already sent the client an HTTP error.
		return
	}
	c := &wsConn{ws: ws}
	c.lastFrame.Store(time.Now().UnixNano())

	// Hold writeMu until hello is written, so that no envelope goes out
	// before it.
	c.writeMu.Lock()
	hello, ok := s.registerConn(c)
	if !ok {
		c.writeMu.Unlock()
		_ = ws.Close()
		return
	}
	defer s.workers.Done()
	s.cfg.logf("fakeslack: Socket Mode connection %d opened", c.id)
	err = c.writeLocked(hello)
	c.writeMu.Unlock()

	stopPings := make(chan struct{})
	pingsDone := make(chan struct{})
	go s.sendPings(c, stopPings, pingsDone)
	if err == nil {
		err = s.readFrames(c)
	} else {
		err = fmt.Errorf("write hello: %w", err)
	}
	close(stopPings)
	<-pingsDone

	s.unregisterConn(c)
	_ = ws.Close()
	s.cfg.logf("fakeslack: Socket Mode connection %d closed: %v", c.id, err)
}

// registerConn adds c to the open connections and returns its hello
// message. It reports false once the server is closing. On true the caller
// owns one count of s.workers.
func (s *Server) registerConn(c *wsConn) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed() {
		return nil, false
	}
	s.workers.Add(1)
	s.socket.connSeq++
	c.id = s.socket.connSeq
	s.socket.conns[c.id] = c
	s.socket.order = append(s.socket.order, c.id)
	s.socket.history = append(s.socket.history, ConnectionSpan{ID: c.id, Opened: s.cfg.now()})
	s.notifyLocked()

	num := s.socket.helloConnections
	if num <= 0 {
		num = len(s.socket.order)
	}
	hello, err := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": num,
		"debug_info": map[string]any{
			"host":                        "fake-1",
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.cfg.appID},
	})
	if err != nil {
		panic(fmt.Sprintf("fakeslack: encode hello: %v", err))
	}
	return hello, true
}

func (s *Server) unregisterConn(c *wsConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.socket.conns, c.id)
	s.socket.order = slices.DeleteFunc(s.socket.order, func(id int) bool { return id == c.id })
	s.socket.history[c.id-1].Closed = s.cfg.now()
	s.notifyLocked()
}

// sendPings sends a WebSocket ping every ping interval until stop closes.
func (s *Server) sendPings(c *wsConn, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	if s.cfg.pingInterval <= 0 {
		return
	}
	ticker := time.NewTicker(s.cfg.pingInterval)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(socketWriteTimeout)); err != nil {
				s.cfg.logf("fakeslack: stopped pings on connection %d: %v", c.id, err)
				return
			}
		}
	}
}

// readFrames reads the client's frames until the connection fails, closes
// or passes the idle timeout, and returns the read error. Data frames are
// acks, and each ping gets a pong.
func (s *Server) readFrames(c *wsConn) error {
	c.ws.SetPingHandler(func(data string) error {
		c.lastFrame.Store(time.Now().UnixNano())
		c.setReadDeadline(time.Duration(s.socket.idleTimeout.Load()))
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(socketWriteTimeout))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			return err
		}
		return nil
	})
	for {
		c.setReadDeadline(time.Duration(s.socket.idleTimeout.Load()))
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return err
		}
		c.lastFrame.Store(time.Now().UnixNano())
		s.receiveAck(c.id, data)
	}
}

// Connections returns the number of open Socket Mode connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.socket.order)
}

// ConnectionIDs returns the ids of the open connections, oldest first. Ids
// start at 1 and are never reused.
func (s *Server) ConnectionIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.socket.order)
}

// TotalConnections returns the number of Socket Mode connections ever
// opened, closed ones included.
func (s *Server) TotalConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.socket.connSeq
}

// ConnectionSpan is the lifetime of one Socket Mode connection, by the
// server's clock.
type ConnectionSpan struct {
	// ID is the connection id (see ConnectionIDs).
	ID int
	// Opened is when the server accepted the connection, just before it
	// sent hello.
	Opened time.Time
	// Closed is when the server stopped reading the connection, or the zero
	// time while it is open.
	Closed time.Time
}

// ConnectionHistory returns every Socket Mode connection ever opened,
// closed ones included, in the order they opened.
func (s *Server) ConnectionHistory() []ConnectionSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.socket.history)
}

// WaitConnections waits until exactly n Socket Mode connections are open.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	err := s.WaitFor(ctx, func() bool { return s.Connections() == n })
	if err != nil {
		return fmt.Errorf("wait for %d open connections (open: %d): %w", n, s.Connections(), err)
	}
	return nil
}

// SetHelloConnections makes hello messages report n as num_connections. A
// value of 0 or less reports the real number of open connections again.
func (s *Server) SetHelloConnections(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.socket.helloConnections = n
}

// RejectConnections makes apps.connections.open return ok:false with the
// error code, for example "invalid_auth" or "internal_error". An empty code
// accepts connections again.
func (s *Server) RejectConnections(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.socket.rejectError = code
}

// SetIdleTimeout closes any connection whose client sends no data frame and
// no ping for d, as a proxy with an idle timeout does. Pongs that reply to the
// server's pings do not count. A d of 0 turns the timeout off. It applies to
// open connections at once, counting from their last frame.
func (s *Server) SetIdleTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.socket.idleTimeout.Store(int64(d))
	for _, c := range s.socket.openConns() {
		c.setReadDeadline(d)
	}
}

// Disconnect sends {"type":"disconnect","reason":reason} on every open
// connection. For any reason but "warning", the server then closes those
// connections after the disconnect grace period (WithDisconnectGrace), as
// Slack does with clients that do not reconnect on their own.
func (s *Server) Disconnect(reason string) {
	msg, err := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "fake-1"},
	})
	if err != nil {
		panic(fmt.Sprintf("fakeslack: encode disconnect: %v", err))
	}
	s.mu.Lock()
	conns := s.socket.openConns()
	s.mu.Unlock()

	for _, c := range conns {
		if err := c.write(msg); err != nil {
			s.cfg.logf("fakeslack: send disconnect %q on connection %d: %v", reason, c.id, err)
		}
	}
	if reason == "warning" || len(conns) == 0 {
		return
	}
	s.goWorker(func() {
		timer := time.NewTimer(s.cfg.disconnectGrace)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-s.done:
		}
		for _, c := range conns {
			c.closeGracefully()
		}
	})
}

// DropConnections closes the TCP connection under every open Socket Mode
// connection, without a close frame.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.socket.openConns()
	s.mu.Unlock()
	for _, c := range conns {
		c.abort()
	}
}

// truncatedFrame is the start of a text frame that announces 256 bytes of
// payload and carries only 16 of them.
var truncatedFrame = append([]byte{0x81, 126, 0x01, 0x00}, `{"envelope_id":`...)

// DropMidMessage writes the first bytes of a text frame on every open
// connection and then closes the TCP connection, so clients read a
// truncated frame.
func (s *Server) DropMidMessage() {
	s.mu.Lock()
	conns := s.socket.openConns()
	s.mu.Unlock()
	for _, c := range conns {
		c.writeMu.Lock()
		netConn := c.ws.NetConn()
		_ = netConn.SetWriteDeadline(time.Now().Add(socketWriteTimeout))
		_, _ = netConn.Write(truncatedFrame)
		c.abort()
		c.writeMu.Unlock()
	}
}
