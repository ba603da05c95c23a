package app

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// logFlushInterval is how long a log line may wait in memory before it is
// written; logBufferLimit is how much may wait before the line that
// reaches it is written at once (a slow output slows the writers down
// rather than growing the buffer).
const (
	logFlushInterval = 100 * time.Millisecond
	logBufferLimit   = 256 << 10
)

// bufferedLog gathers log lines in memory and writes them to out in one
// write every logFlushInterval, instead of one write (a syscall) per line:
// the access log's line per request was a tenth of a cached catalog
// request's CPU. Lines of level warn and above are written at once (with
// those waiting before them), so problems are seen when they happen. What
// is lost in a crash is at most the last interval's info lines; Close
// writes everything, and serve calls it after the HTTP server's Shutdown.
type bufferedLog struct {
	out io.Writer

	mu  sync.Mutex
	buf []byte

	// outMu keeps the writes to out in order, one at a time; spare is the
	// buffer not in use, swapped with buf at each flush (under outMu).
	outMu sync.Mutex
	spare []byte

	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
	closed atomic.Bool // by Close: each line is written at once
}

func newBufferedLog(out io.Writer) *bufferedLog {
	w := &bufferedLog{out: out, quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// Write keeps a copy of p (slog reuses its buffer) for the next flush.
func (w *bufferedLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= logBufferLimit || w.closed.Load()
	w.mu.Unlock()
	if full {
		return len(p), w.Flush()
	}
	return len(p), nil
}

// Flush writes every line written so far.
func (w *bufferedLog) Flush() error {
	w.outMu.Lock()
	defer w.outMu.Unlock()
	w.mu.Lock()
	b := w.buf
	w.buf = w.spare[:0]
	w.mu.Unlock()
	if len(b) == 0 {
		w.spare = b
		return nil
	}
	_, err := w.out.Write(b)
	if cap(b) > 4*logBufferLimit {
		b = nil // once, a burst: do not keep its buffer for ever
	}
	w.spare = b[:0]
	return err
}

func (w *bufferedLog) loop() {
	defer close(w.done)
	t := time.NewTicker(logFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = w.Flush()
		case <-w.quit:
			return
		}
	}
}

// Close stops the periodic flush and writes what is left. Lines logged
// after it are written at once.
func (w *bufferedLog) Close() error {
	w.once.Do(func() {
		w.closed.Store(true)
		close(w.quit)
		<-w.done
	})
	return w.Flush()
}

// flushingHandler writes the buffer out after each record of level warn
// and above.
type flushingHandler struct {
	slog.Handler
	w *bufferedLog
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		_ = h.w.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.w}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.w}
}
