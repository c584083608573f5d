package bot

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one Socket Mode WebSocket connection. Reads happen on one
// goroutine; writes of data frames are serialised by writeMu, and control
// frames may be written at any time (gorilla/websocket allows WriteControl
// concurrently with other calls).
type conn struct {
	id       int
	ws       *websocket.Conn
	openedAt time.Time

	writeMu sync.Mutex
	// retiring is set once Slack asked to replace this connection.
	retiring atomic.Bool
	// closing is set once the bot itself started closing the connection.
	closing atomic.Bool
	done    chan struct{}
	// stableTimer reports the connection as stable. Only Run's loop
	// touches it.
	stableTimer *time.Timer
}

const writeTimeout = 5 * time.Second

func (c *conn) write(data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

func (c *conn) ping() error {
	return c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout))
}

// close sends a close frame and then closes the socket, which ends the read
// loop. It is safe to call more than once.
func (c *conn) close() {
	if !c.closing.CompareAndSwap(false, true) {
		return
	}
	_ = c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

// retireGrace bounds how long a retiring connection waits for the peer's
// close frame.
const retireGrace = 2 * time.Second

// retire starts the WebSocket closing handshake: it sends a close frame and
// lets the read loop go on until the peer's close frame, so that envelopes
// the peer sent before it saw ours are still read. The read loop ends after
// grace at the latest. A retiring connection is not alive, so its acks go
// out on another connection.
func (c *conn) retire(grace time.Duration) {
	if !c.closing.CompareAndSwap(false, true) {
		return
	}
	_ = c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = c.ws.SetReadDeadline(time.Now().Add(grace))
}

// extendDeadline moves the read deadline d ahead, unless the connection is
// closing, whose deadline stays fixed.
func (c *conn) extendDeadline(d time.Duration) error {
	if c.closing.Load() {
		return nil
	}
	return c.ws.SetReadDeadline(time.Now().Add(d))
}

func (c *conn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return !c.closing.Load()
	}
}
