package websocket

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxBatchBytes is the size at which the writer sends a batch before the
// queue is empty. It bounds the memory of one connection's batch.
const maxBatchBytes = 64 * 1024

// batchBuffers recycles batch buffers between connections, so that only the
// connections that are writing hold one.
var batchBuffers = sync.Pool{New: func() any {
	buffer := make([]byte, 0, maxBatchBytes+8*1024)
	return &buffer
}}

// batchConn is the hijacked TCP connection under gorilla's Conn. Between
// startBatch and flush it collects what gorilla writes in a buffer instead
// of writing it, so that the frames of several messages leave in one write
// system call. gorilla writes each frame with one or two Write calls while
// it holds its own write lock, so a batch contains whole frames, and a
// pong that the read loop writes meanwhile joins the batch.
type batchConn struct {
	net.Conn

	mu       sync.Mutex
	batching bool
	buffer   *[]byte
	err      error
}

// Write appends p to the batch while one is open and writes it through
// otherwise.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	if b.err != nil {
		return 0, b.err
	}
	if !b.batching {
		return b.Conn.Write(p)
	}

	if b.buffer == nil {
		b.buffer = batchBuffers.Get().(*[]byte)
	}
	*b.buffer = append(*b.buffer, p...)
	return len(p), nil
}

// SetWriteDeadline is ignored while a batch is open, because writes to the
// batch do not block and flush sets the deadline of the real write.
func (b *batchConn) SetWriteDeadline(deadline time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()

	if b.batching {
		return nil
	}
	return b.Conn.SetWriteDeadline(deadline)
}

func (b *batchConn) startBatch() {
	b.mu.Lock()
	defer b.mu.Unlock()

	b.batching = true
}

// buffered returns the number of bytes in the open batch.
func (b *batchConn) buffered() int {
	b.mu.Lock()
	defer b.mu.Unlock()

	if b.buffer == nil {
		return 0
	}
	return len(*b.buffer)
}

// flush writes the batch with one Write call, bounded by deadline, and
// closes the batch. After a failed write every later Write fails too.
func (b *batchConn) flush(deadline time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()

	b.batching = false
	if b.err != nil {
		return b.err
	}
	if b.buffer == nil {
		return nil
	}
	defer b.releaseBufferLocked()

	if err := b.Conn.SetWriteDeadline(deadline); err != nil {
		b.err = err
		return err
	}
	if _, err := b.Conn.Write(*b.buffer); err != nil {
		b.err = err
		return err
	}
	return nil
}

// endBatch closes the batch and drops what it contains. The writer calls it
// when the connection closes, so queued messages are dropped as before.
func (b *batchConn) endBatch() {
	b.mu.Lock()
	defer b.mu.Unlock()

	b.batching = false
	if b.buffer != nil {
		b.releaseBufferLocked()
	}
}

func (b *batchConn) releaseBufferLocked() {
	buffer := b.buffer
	b.buffer = nil
	if cap(*buffer) > 4*maxBatchBytes {
		// A message larger than the batch grew the buffer. It is not
		// kept, so the pool holds no outsized buffers.
		return
	}
	*buffer = (*buffer)[:0]
	batchBuffers.Put(buffer)
}

// batchingResponseWriter hands gorilla's Upgrader a batchConn when it
// hijacks the connection.
type batchingResponseWriter struct {
	http.ResponseWriter
	socket *batchConn
}

func (w *batchingResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, readWriter, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.socket = &batchConn{Conn: conn}
	return w.socket, readWriter, nil
}
