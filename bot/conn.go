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

func (c *conn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return !c.closing.Load()
	}
}
