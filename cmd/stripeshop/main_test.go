package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/stripesim"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

func envOf(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestBadConfigurationStopsStartUpWithOneLine(t *testing.T) {
	cases := map[string]map[string]string{
		"STRIPE_SECRET_KEY":     {},
		"STRIPE_WEBHOOK_SECRET": {"STRIPE_SECRET_KEY": "sk_test_1"},
		"APP_URL":               {"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1", "APP_URL": "nope"},
	}
	for name, kv := range cases {
		err := run(context.Background(), []string{"serve"}, envOf(kv), nil, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("missing or bad %s: %v", name, err)
		}
	}
}

func TestAdminCreateAndMigrate(t *testing.T) {
	env := envOf(map[string]string{"DATABASE_URL": testdb.Empty(t)})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"admin", "create", "--email", "Ops@Example.com"}, env,
		strings.NewReader("a long enough password\n"), &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ops@example.com") {
		t.Fatalf("output %q", out.String())
	}
	err := run(context.Background(), []string{"admin", "create", "--email", "ops@example.com"}, env,
		strings.NewReader("another long password\n"), &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second admin with the same email: %v", err)
	}
	err = run(context.Background(), []string{"admin", "create", "--email", "x@example.com"}, env,
		strings.NewReader("short\n"), &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("a short password: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate", "version"}, env, nil, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "schema version ") || strings.Contains(out.String(), "version 0 ") {
		t.Fatalf("migrate version: %q", out.String())
	}
	if err := run(context.Background(), []string{"migrate", "sideways"}, env, nil, &out, &bytes.Buffer{}); err == nil {
		t.Fatal("an unknown migrate command was accepted")
	}
}

// serve comes up on a fresh database with the simulator, answers, and stops
// cleanly when its context ends (SIGINT/SIGTERM in main).
func TestServeStartsAndShutsDown(t *testing.T) {
	sim := stripesim.New(stripesim.Config{WebhookSecret: "whsec_1"})
	simSrv := httptest.NewServer(sim)
	defer func() { simSrv.Close(); sim.Close() }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := envOf(map[string]string{
		"DATABASE_URL": testdb.Empty(t), "HTTP_ADDR": addr, "STRIPE_SECRET_KEY": "sk_test_1",
		"STRIPE_API_URL": simSrv.URL, "STRIPE_WEBHOOK_SECRET": "whsec_1",
		"ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": "a long enough password",
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logged bytes.Buffer // read only once serve has returned
	go func() { done <- run(ctx, []string{"serve", "--seed-demo"}, env, nil, &bytes.Buffer{}, &logged) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never became ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/api/products")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), "Enamel mug") {
		t.Fatalf("no demo products: %s", body.String())
	}
	// Each demo product shows its picture, served by the shop.
	var catalog struct {
		Products []struct {
			Images []struct {
				Src string `json:"src"`
			} `json:"images"`
		} `json:"products"`
	}
	if err := json.Unmarshal(body.Bytes(), &catalog); err != nil || len(catalog.Products) != 4 {
		t.Fatalf("catalog %s: %v", body.String(), err)
	}
	for _, p := range catalog.Products {
		if len(p.Images) != 1 {
			t.Fatalf("a demo product without its picture: %s", body.String())
		}
		resp, err := http.Get("http://" + addr + p.Images[0].Src)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("GET %s: %v %v", p.Images[0].Src, resp, err)
		}
		resp.Body.Close()
	}
	// The access log is written in batches: a graceful shutdown loses no
	// line of it, however recent.
	const more = 50
	for range more {
		resp, err := http.Get("http://" + addr + "/api/products")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
	lines := strings.Split(logged.String(), "\n")
	n := 0
	for _, l := range lines {
		if strings.Contains(l, "http request") && strings.Contains(l, "path=/api/products") {
			n++
		}
	}
	if n != more+1 {
		t.Errorf("%d access-log lines for GET /api/products, want %d", n, more+1)
	}
	if last := lines[max(0, len(lines)-2)]; !strings.Contains(last, "stopped") {
		t.Errorf("the log's last line is %q, want the shutdown's", last)
	}
}
