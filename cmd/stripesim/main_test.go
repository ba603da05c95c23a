package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"STRIPESIM_ADDR": addr, "STRIPESIM_PUBLIC_URL": "http://" + addr,
		"STRIPESIM_PROMOTION_CODES": "SAVE10=10%,FIVEOFF=500", "STRIPESIM_TAX_RATE": "8.25"}
	var stdout, stderr buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"stripesim"}, func(k string) string { return env[k] }, &stdout, &stderr)
	}()

	base := "http://" + addr
	deadline := time.Now().Add(time.Minute) // far above an idle start: only a hang reaches it
	for {
		resp, err := http.Get(base + "/_sim/events")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripesim did not answer: %v\n%s", err, stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Post(base+"/v1/checkout/sessions", "application/x-www-form-urlencoded", strings.NewReader("mode=payment"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "invalid_request_error") {
		t.Errorf("request without a key: %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancel", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("run did not return after cancel")
	}
	if !strings.Contains(stdout.String(), "stripesim listening on "+addr) {
		t.Errorf("stdout = %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), DevWebhookSecret) {
		t.Errorf("the fallback to the development secret is not logged: %q", stderr.String())
	}
}

func TestRunRejectsArguments(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"stripesim", "serve"}, func(string) string { return "" }, &out, &out)
	if err == nil {
		t.Fatal("run accepted an unexpected argument")
	}
}

// buffer is a bytes.Buffer safe for the server's goroutines to write to.
type buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunRejectsABadBankDebitDelay(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{"STRIPESIM_ADDR": "127.0.0.1:0", "STRIPESIM_BANK_DEBIT_DELAY": "soon"}
	err := run(context.Background(), []string{"stripesim"}, func(k string) string { return env[k] }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "STRIPESIM_BANK_DEBIT_DELAY") {
		t.Fatalf("run with STRIPESIM_BANK_DEBIT_DELAY=soon: %v", err)
	}
}

func TestRunRejectsBadEventSettings(t *testing.T) {
	for key, value := range map[string]string{
		"STRIPESIM_API_VERSION":     "2031-01-01.future",
		"STRIPESIM_EVENTS":          "checkout.session.completed,customer.created",
		"STRIPESIM_SHUFFLE":         "sometimes",
		"STRIPESIM_PROMOTION_CODES": "SAVE10=ten%",
		"STRIPESIM_TAX_RATE":        "high",
		"STRIPESIM_LATENCY":         "slow",
		"STRIPESIM_LATENCY_JITTER":  "-5ms",
	} {
		var out bytes.Buffer
		env := map[string]string{"STRIPESIM_ADDR": "127.0.0.1:0", key: value}
		err := run(context.Background(), []string{"stripesim"}, func(k string) string { return env[k] }, &out, &out)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("run with %s=%s: %v", key, value, err)
		}
	}
}
