package websocket

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	gorilla "github.com/gorilla/websocket"
)

// closeGracePeriod is how long the writer waits, after it sent a close
// frame, for the client's close frame before it closes the TCP connection.
// Closing at once could reset the connection while the client still has
// unread data, and the client would then never see the close code.
const closeGracePeriod = time.Second

// connection is one client's WebSocket connection. It implements
// actors.Conn for the session actor: Send appends to a bounded queue, and a
// writer goroutine (writeQueued) drains it. The writer runs only while
// there is something to write, so an idle connection has one goroutine, its
// reader (Handler.serve).
type connection struct {
	ws      *gorilla.Conn
	socket  *batchConn
	options Options
	logger  *slog.Logger

	// mu guards queue, writing and pingDue.
	mu sync.Mutex

	// queue contains the messages that wait for the writer, oldest first.
	// It is nil while the connection is idle, so an idle connection holds
	// no queue memory.
	queue [][]byte

	// writing is set while a writer goroutine runs. It stays set after the
	// last writer closed the connection, so that no writer starts again.
	writing bool

	// pingDue is set by pingTimer when the writer should send a ping.
	pingDue   bool
	pingTimer *time.Timer

	// done is closed, once, when the connection starts to close.
	done      chan struct{}
	closeOnce sync.Once

	// closeCode and closeReason are the close frame the writer sends when
	// done is closed. closeCode 0 means no close frame. Both are written
	// only inside closeOnce, before done is closed.
	closeCode   int
	closeReason string

	// lastMessage, when not nil, is written before the close frame, in
	// place of the messages still queued. It is set with closeCode.
	lastMessage []byte

	// closedBySession is set when the session actor called Close, which it
	// does only when it stops.
	closedBySession atomic.Bool

	// readerDone is closed when the read loop has ended, and writerDone
	// when the writer has closed the connection.
	readerDone chan struct{}
	writerDone chan struct{}
}

func newConnection(ws *gorilla.Conn, socket *batchConn, options Options, logger *slog.Logger) *connection {
	c := &connection{
		ws:         ws,
		socket:     socket,
		options:    options,
		logger:     logger,
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	c.pingTimer = time.AfterFunc(options.PingPeriod, c.schedulePing)
	return c
}

// Send queues payload for the writer without blocking and returns false when
// SendQueueSize messages are already waiting. After the connection started
// to close, Send drops the payload and returns true: the client is gone
// either way, and the session actor is stopping already or will be stopped
// by the read loop.
func (c *connection) Send(payload []byte) bool {
	if c.closing() {
		return true
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	if len(c.queue) >= c.options.SendQueueSize {
		return false
	}
	c.queue = append(c.queue, payload)
	c.startWriterLocked()
	return true
}

// startWriterLocked starts a writer goroutine unless one runs. The caller
// holds c.mu.
func (c *connection) startWriterLocked() {
	if c.writing {
		return
	}
	c.writing = true
	go c.writeQueued()
}

// schedulePing runs on pingTimer every PingPeriod and has the writer send a
// ping.
func (c *connection) schedulePing() {
	if c.closing() {
		return
	}

	c.mu.Lock()
	c.pingDue = true
	c.startWriterLocked()
	c.mu.Unlock()

	c.pingTimer.Reset(c.options.PingPeriod)
}

// Close makes the writer send a close frame with code and reason and then
// close the connection. Messages still queued are dropped. Only the first
// call of Close or abort has an effect.
func (c *connection) Close(code int, reason string) {
	c.closedBySession.Store(true)
	c.closeWith(code, reason)
}

// closing reports whether the connection has started to close.
func (c *connection) closing() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// abort makes the writer close the connection without a close frame. The
// read loop and the writer call it when the connection has already ended
// or failed.
func (c *connection) abort() {
	c.closeWith(0, "")
}

func (c *connection) closeWith(code int, reason string) {
	c.closeAfter(nil, code, reason)
}

// closeAfter is closeWith that first writes message, which is dropped when
// the connection already started to close.
func (c *connection) closeAfter(message []byte, code int, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode = code
		c.closeReason = reason
		c.lastMessage = message
		close(c.done)
		c.pingTimer.Stop()

		c.mu.Lock()
		c.startWriterLocked()
		c.mu.Unlock()
	})
}

// writeQueued writes queued messages and a due ping, and returns when there
// is nothing left to write. When the connection is closing, it sends the
// close frame instead and closes the connection. At most one writeQueued
// runs at a time, so it is the only caller of gorilla's write methods other
// than WriteControl, which gorilla allows to run concurrently (the read
// loop's pong replies use it).
//
// The messages go into socket's batch, which is sent with one write system
// call when the queue is empty or the batch is full. A burst of messages to
// one client then costs one system call rather than one per message.
func (c *connection) writeQueued() {
	c.socket.startBatch()

	for {
		// Check done first so that a slow consumer is cut off at once
		// rather than after the rest of its queue.
		if c.closing() {
			c.finish()
			return
		}

		payload, ping, idle := c.next()
		switch {
		case idle:
			if err := c.socket.flush(time.Now().Add(c.options.WriteTimeout)); err != nil {
				c.logger.Debug("write to WebSocket client failed", slog.Any("error", err))
				c.abort()
				continue
			}
			if c.stopIfIdle() {
				return
			}
			c.socket.startBatch()

		case ping:
			if err := c.ws.WriteControl(gorilla.PingMessage, nil, time.Now().Add(c.options.WriteTimeout)); err != nil {
				c.logger.Debug("ping to WebSocket client failed", slog.Any("error", err))
				c.abort()
			}

		default:
			if err := c.ws.SetWriteDeadline(time.Now().Add(c.options.WriteTimeout)); err != nil {
				c.logger.Debug("set WebSocket write deadline failed", slog.Any("error", err))
				c.abort()
				continue
			}
			if err := c.ws.WriteMessage(gorilla.TextMessage, payload); err != nil {
				c.logger.Debug("write to WebSocket client failed", slog.Any("error", err))
				c.abort()
				continue
			}

			// A full batch is sent at a message boundary, so that a
			// batch dropped on close never holds part of a frame.
			if c.socket.buffered() >= maxBatchBytes {
				if err := c.socket.flush(time.Now().Add(c.options.WriteTimeout)); err != nil {
					c.logger.Debug("write to WebSocket client failed", slog.Any("error", err))
					c.abort()
					continue
				}
				c.socket.startBatch()
			}
		}
	}
}

// next takes the oldest queued message, or reports a due ping, or idle when
// neither is left.
func (c *connection) next() (payload []byte, ping, idle bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.pingDue {
		c.pingDue = false
		return nil, true, false
	}
	if len(c.queue) == 0 {
		return nil, false, true
	}

	payload = c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	return payload, false, false
}

// stopIfIdle ends the writer's run when nothing was queued meanwhile, and
// releases the queue's memory. It returns false when the writer must go on.
func (c *connection) stopIfIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()

	if len(c.queue) > 0 || c.pingDue || c.closing() {
		return false
	}
	c.queue = nil
	c.writing = false
	return true
}

// finish sends the close frame recorded by Close, if any, and closes the
// connection. The writing flag stays set, so no writer starts again.
func (c *connection) finish() {
	defer close(c.writerDone)
	defer c.ws.Close()

	c.socket.endBatch()
	c.mu.Lock()
	c.queue = nil
	c.mu.Unlock()

	c.writeClose()
}

// writeClose sends the last message and the close frame recorded by Close or
// closeAfter, if any, and waits up to closeGracePeriod for the client's
// reply, which ends the read loop.
func (c *connection) writeClose() {
	if c.closeCode == 0 {
		return
	}

	if c.lastMessage != nil {
		if err := c.ws.SetWriteDeadline(time.Now().Add(c.options.WriteTimeout)); err != nil {
			c.logger.Debug("set WebSocket write deadline failed", slog.Any("error", err))
			return
		}
		if err := c.ws.WriteMessage(gorilla.TextMessage, c.lastMessage); err != nil {
			c.logger.Debug("write last message before the close frame failed", slog.Any("error", err))
			return
		}
	}

	message := gorilla.FormatCloseMessage(c.closeCode, c.closeReason)
	if err := c.ws.WriteControl(gorilla.CloseMessage, message, time.Now().Add(c.options.WriteTimeout)); err != nil {
		c.logger.Debug("write WebSocket close frame failed", slog.Int("code", c.closeCode), slog.Any("error", err))
		return
	}

	grace := time.NewTimer(closeGracePeriod)
	defer grace.Stop()
	select {
	case <-c.readerDone:
	case <-grace.C:
	}
}
