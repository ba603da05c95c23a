// Package stripemock runs Stripe's stripe-mock (pinned as a tool in go.mod)
// for tests, so every request stripe-go sends is checked against Stripe's
// OpenAPI spec.
package stripemock

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
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
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	// stripe-mock also serves HTTPS, on 12112 unless told otherwise: give it
	// a free port too, so concurrent test binaries do not collide.
	tlsAddr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", tlsAddr)
	// Die with the test binary even when it is killed (a fuzz worker
	// stopped by the coordinator, a timeout): an orphan keeps the fuzz
	// worker's pipes open, and `go test -fuzz` then waits for ever.
	dieWithParent(cmd)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/v1/charges")
		if err == nil {
			resp.Body.Close()
			return url, stop, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("stripe-mock did not answer at %s: %s", url, logs.String())
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
