// Package stripemock runs Stripe's stripe-mock (pinned as a tool in go.mod)
// for tests, so every request stripe-go sends is checked against Stripe's
// OpenAPI spec.
package stripemock

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Start builds (once, cached by Go) and starts stripe-mock on a free
// loopback port and returns its base URL and a function that stops it.
// STRIPE_MOCK_URL, when set, names a running stripe-mock to use instead.
func Start(ctx context.Context) (string, func(), error) {
	if u := os.Getenv("STRIPE_MOCK_URL"); u != "" {
		return strings.TrimRight(u, "/"), func() {}, nil
	}
	// The path is on stdout; stderr carries go's own news ("go: downloading
	// …" on a fresh module cache), which must not be taken for the path.
	var out, errs bytes.Buffer
	find := exec.CommandContext(ctx, "go", "tool", "-n", "stripe-mock")
	find.Stdout, find.Stderr = &out, &errs
	if err := find.Run(); err != nil {
		return "", nil, fmt.Errorf("build stripe-mock (go tool -n stripe-mock): %v: %s", err, errs.String())
	}
	bin := strings.TrimSpace(out.String())
	// stripe-mock binds ports the system chooses and says which: a port
	// picked here and freed before stripe-mock bound it could be taken
	// meanwhile by another test binary's server, which would then answer
	// for stripe-mock (one way for a fuzz worker to die in its setup while
	// two make test run side by side, as one did).
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	// Die with the test binary even when it is killed (a fuzz worker
	// stopped by the coordinator, a timeout): an orphan keeps the fuzz
	// worker's pipes open, and `go test -fuzz` then waits for ever.
	dieWithParent(cmd)
	// Its output, stdout and stderr, in one pipe: the address it listens
	// on, and what it said if it never did.
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return "", nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	found := make(chan string, 1)
	var said strings.Builder // the reader's until done is closed
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "Listening for HTTP at address: "); ok {
				found <- strings.TrimSpace(addr)
			}
			if said.Len() < 64<<10 {
				said.WriteString(sc.Text() + "\n")
			}
		}
	}()
	select {
	case addr := <-found:
		return "http://" + addr, stop, nil
	case <-done:
	case <-time.After(2 * time.Minute):
	}
	stop()
	<-done
	return "", nil, fmt.Errorf("stripe-mock did not say where it listens: %s", said.String())
}
