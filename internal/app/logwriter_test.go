package app

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is an output that may be written while the test reads it
// (shoptest.LogBuffer, which imports this package, cannot serve here).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every line written from many goroutines comes out whole, each writer's
// in its order, by Close at the latest.
func TestBufferedLogLosesNoLine(t *testing.T) {
	var out syncBuffer
	w := newBufferedLog(&out)
	log := slog.New(slog.NewJSONHandler(w, nil))
	var wg sync.WaitGroup
	const writers, each = 8, 2000
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				log.Info("http request", "writer", g, "seq", i)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, writers)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for _, l := range lines {
		var g, i int
		if _, err := fmt.Sscanf(l[strings.Index(l, `"writer"`):], `"writer":%d,"seq":%d}`, &g, &i); err != nil {
			t.Fatalf("a broken line %q: %v", l, err)
		}
		if i != next[g] {
			t.Fatalf("writer %d: line %d came after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	if len(lines) != writers*each {
		t.Fatalf("%d lines, want %d", len(lines), writers*each)
	}
	// After Close, a line is written at once.
	log.Info("late")
	if !strings.Contains(out.String(), "late") {
		t.Error("a line logged after Close was not written")
	}
}

// A warning (and the lines before it) is written at once, not at the next
// flush.
func TestBufferedLogWritesWarningsAtOnce(t *testing.T) {
	var out syncBuffer
	w := newBufferedLog(&out)
	defer w.Close()
	log := slog.New(flushingHandler{slog.NewTextHandler(w, nil), w}).With("request_id", "r1")
	log.Info("before")
	log.Warn("trouble")
	got := out.String()
	if !strings.Contains(got, "msg=before") || !strings.Contains(got, "msg=trouble") || !strings.Contains(got, "request_id=r1") {
		t.Fatalf("after a warning the output holds %q", got)
	}
}
