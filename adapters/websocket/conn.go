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
// actors.Conn for the session actor: Send queues on a bounded channel that
// one writer goroutine (writeLoop) drains, and the HTTP handler goroutine
// is the only reader.
type connection struct {
	ws      *gorilla.Conn
	options Options
	logger  *slog.Logger

	queue chan []byte

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
	// when the write loop has.
	readerDone chan struct{}
	writerDone chan struct{}
}

func newConnection(ws *gorilla.Conn, options Options, logger *slog.Logger) *connection {
	return &connection{
		ws:         ws,
		options:    options,
		logger:     logger,
		queue:      make(chan []byte, options.SendQueueSize),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
}

// Send queues payload for the writer without blocking and returns false when
// the queue is full. After the connection started to close, Send drops the
// payload and returns true: the client is gone either way, and the session
// actor is stopping already or will be stopped by the read loop.
func (c *connection) Send(payload []byte) bool {
	select {
	case <-c.done:
		return true
	default:
	}

	select {
	case c.queue <- payload:
		return true
	default:
		return false
	}
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
// read and write loops call it when the connection has already ended or
// failed.
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
	})
}

// writeLoop writes queued messages and pings until the connection closes.
// It is the only goroutine that calls gorilla's write methods other than
// WriteControl, which gorilla allows to run concurrently.
func (c *connection) writeLoop() {
	defer close(c.writerDone)
	pings := time.NewTicker(c.options.PingPeriod)
	defer pings.Stop()
	defer c.ws.Close()

	for {
		// Check done first so that a slow consumer is cut off at once
		// rather than after the rest of its queue.
		select {
		case <-c.done:
			c.writeClose()
			return
		default:
		}

		select {
		case <-c.done:
			c.writeClose()
			return

		case payload := <-c.queue:
			if err := c.ws.SetWriteDeadline(time.Now().Add(c.options.WriteTimeout)); err != nil {
				c.logger.Debug("set WebSocket write deadline failed", slog.Any("error", err))
				c.abort()
				return
			}
			if err := c.ws.WriteMessage(gorilla.TextMessage, payload); err != nil {
				c.logger.Debug("write to WebSocket client failed", slog.Any("error", err))
				c.abort()
				return
			}

		case <-pings.C:
			if err := c.ws.WriteControl(gorilla.PingMessage, nil, time.Now().Add(c.options.WriteTimeout)); err != nil {
				c.logger.Debug("ping to WebSocket client failed", slog.Any("error", err))
				c.abort()
				return
			}
		}
	}
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
