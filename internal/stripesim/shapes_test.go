package stripesim_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v76"

	"github.com/stripeshop/stripeshop/internal/stripesim"
)

// removedSince are the fields each object had at 2023-10-16 that Stripe's
// spec (stripe-mock's, at a later version) no longer has: the fields the
// simulator drops at 2025-03-31.basil (versions.go).
var removedSince = map[string][]string{
	"checkout.session": {"shipping_details"},
	"charge":           {"invoice"},
	"payment_intent":   {"invoice"},
}

// TestShapesFollowStripesSpec renders each object the simulator sends at
// each API version and compares its fields with Stripe's OpenAPI spec
// (stripe-mock's): no field the spec does not know, except those removed
// since 2023-10-16, and every field the spec says is always there.
func TestShapesFollowStripesSpec(t *testing.T) {
	t.Parallel()
	schemas := stripeSpecSchemas(t)
	for _, ver := range stripesim.APIVersions {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, allEvents, func(c *stripesim.Config) { c.APIVersion = ver })
			cs := e.createSession(t, "order-shape")
			open := map[string]any{}
			e.rawGet(t, "/v1/checkout/sessions/"+cs.ID, &open)
			e.complete(t, cs.ID, "paid", "")
			paid, _ := e.api.CheckoutSessions.Get(cs.ID, nil)
			if _, err := e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(paid.PaymentIntent.ID), Amount: stripe.Int64(100)}); err != nil {
				t.Fatal(err)
			}
			e.control(t, "POST", "/_sim/disputes", map[string]any{"payment_intent": paid.PaymentIntent.ID}, nil)

			objects := []map[string]any{open}
			seen := map[string]bool{}
			for _, ev := range e.simEvents(t) {
				var env map[string]any
				if err := json.Unmarshal(ev.Payload, &env); err != nil {
					t.Fatal(err)
				}
				if env["api_version"] != ver {
					t.Errorf("%s rendered at %v", ev.Type, env["api_version"])
				}
				env["object"] = "event" // checked against the event schema below
				objects = append(objects, env, env["data"].(map[string]any)["object"].(map[string]any))
			}
			for _, obj := range objects {
				kind, _ := obj["object"].(string)
				schema, ok := schemas[kind]
				if !ok {
					t.Fatalf("no schema %q in the spec", kind)
				}
				seen[kind] = true
				for k := range obj {
					_, known := schema.Properties[k]
					gone := slices.Contains(removedSince[kind], k)
					switch {
					case gone && ver != stripesim.APIVersion:
						t.Errorf("%s at %s has %s, which that version removed", kind, ver, k)
					case !known && !gone:
						t.Errorf("%s at %s has %s, which Stripe's spec does not know", kind, ver, k)
					}
				}
				for _, k := range schema.Required {
					if _, ok := obj[k]; !ok {
						t.Errorf("%s at %s lacks %s, which Stripe always sends", kind, ver, k)
					}
				}
				if ver == stripesim.APIVersion {
					for _, k := range removedSince[kind] {
						if _, ok := obj[k]; !ok {
							t.Errorf("%s at %s lacks %s", kind, ver, k)
						}
					}
				}
			}
			var kinds []string
			for k := range seen {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			if want := []string{"charge", "checkout.session", "dispute", "event", "payment_intent", "refund"}; !slices.Equal(kinds, want) {
				t.Errorf("checked %v, want %v", kinds, want)
			}
		})
	}
}

type specSchema struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
}

// stripeSpecSchemas reads the object schemas of stripe-mock's copy of
// Stripe's OpenAPI spec, from the module go.mod pins.
func stripeSpecSchemas(t *testing.T) map[string]specSchema {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("STRIPESHOP_REQUIRE_STRIPE_MOCK") != "" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/stripe/stripe-mock").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		skip("stripe-mock's module is not downloaded (go mod download github.com/stripe/stripe-mock): %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "embedded", "openapi", "spec3.json"))
	if err != nil {
		skip("stripe-mock's spec: %v", err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]specSchema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	return spec.Components.Schemas
}
