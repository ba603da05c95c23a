package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A configuration that lets anyone fake a payment, or sends live payments
// astray, stops `serve` before it touches the database, with one line
// naming the setting; doctor alone used to refuse these.
func TestDangerousConfigurationStopsServe(t *testing.T) {
	cases := []struct {
		name, setting string
		env           map[string]string
	}{
		{"live key with the simulator's URL", "STRIPE_API_URL", map[string]string{
			"STRIPE_SECRET_KEY": "sk_live_1", "STRIPE_WEBHOOK_SECRET": "whsec_1",
			"STRIPE_API_URL": "http://localhost:12111", "APP_URL": "https://shop.example.com"}},
		{"the simulator's public secret with Stripe itself", "STRIPE_WEBHOOK_SECRET", map[string]string{
			"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_new,whsec_stripesim_dev_secret"}},
		{"live key with an http APP_URL", "APP_URL", map[string]string{
			"STRIPE_SECRET_KEY": "sk_live_1", "STRIPE_WEBHOOK_SECRET": "whsec_1", "APP_URL": "http://shop.example.com"}},
	}
	for _, tc := range cases {
		tc.env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
		err := run(context.Background(), []string{"serve"}, envOf(tc.env), nil, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.HasPrefix(err.Error(), "config: "+tc.setting+" ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line naming %s", tc.name, err, tc.setting)
		}
	}
	// The simulator's secret is fine with the simulator, as `make run` uses it.
	ok := map[string]string{"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_stripesim_dev_secret",
		"STRIPE_API_URL": "http://localhost:12111", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"}
	err := run(context.Background(), []string{"serve"}, envOf(ok), nil, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || strings.HasPrefix(err.Error(), "config:") {
		t.Errorf("the simulator's own setup: %v, want it to get as far as the database", err)
	}
}
