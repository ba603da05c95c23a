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

// laterChanges are fields Stripe changed after 2025-03-31.basil (the spec
// is of a later version): a Discount's and a PromotionCode's coupon
// moved under source and promotion. The simulator renders the fields of
// its versions; the spec is not asked about these.
var laterChanges = map[string][]string{
	"discount":       {"coupon", "source"},
	"promotion_code": {"coupon", "promotion"},
}

// subSchemas name the spec's schema of the objects nested in others
// without an "object" field of their own, by "<schema>.<field>".
var subSchemas = map[string]string{
	"checkout.session.total_details":                                            "payment_pages_checkout_session_total_details",
	"checkout.session.shipping_cost":                                            "payment_pages_checkout_session_shipping_cost",
	"checkout.session.shipping_options":                                         "payment_pages_checkout_session_shipping_option",
	"checkout.session.automatic_tax":                                            "payment_pages_checkout_session_automatic_tax",
	"checkout.session.shipping_address_collection":                              "payment_pages_checkout_session_shipping_address_collection",
	"checkout.session.customer_details":                                         "payment_pages_checkout_session_customer_details",
	"checkout.session.shipping_details":                                         "payment_pages_checkout_session_checkout_address_details",
	"checkout.session.collected_information":                                    "payment_pages_checkout_session_collected_information",
	"checkout.session.discounts":                                                "payment_pages_checkout_session_discount",
	"payment_pages_checkout_session_total_details.breakdown":                    "payment_pages_checkout_session_total_details_resource_breakdown",
	"payment_pages_checkout_session_total_details_resource_breakdown.taxes":     "line_items_tax_amount",
	"payment_pages_checkout_session_total_details_resource_breakdown.discounts": "line_items_discount_amount",
	"payment_pages_checkout_session_collected_information.shipping_details":     "payment_pages_checkout_session_checkout_address_details",
	"payment_pages_checkout_session_checkout_address_details.address":           "address",
	"payment_pages_checkout_session_customer_details.address":                   "address",
	"item.discounts":                          "line_items_discount_amount",
	"item.taxes":                              "line_items_tax_amount",
	"shipping_rate.fixed_amount":              "shipping_rate_fixed_amount",
	"shipping_rate.delivery_estimate":         "shipping_rate_delivery_estimate",
	"shipping_rate_delivery_estimate.minimum": "shipping_rate_delivery_estimate_bound",
	"shipping_rate_delivery_estimate.maximum": "shipping_rate_delivery_estimate_bound",
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
			e := newEnv(t, allEvents, withShop, func(c *stripesim.Config) { c.APIVersion = ver })
			cs, err := e.api.CheckoutSessions.New(cartParams("order-shape", e.clock.Now()))
			if err != nil {
				t.Fatal(err)
			}
			plain := e.createSession(t, "order-shape-plain")
			open, plainOpen, lines, rate := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
			e.rawGet(t, "/v1/checkout/sessions/"+cs.ID, &open)
			e.rawGet(t, "/v1/checkout/sessions/"+plain.ID, &plainOpen)
			e.rawGet(t, "/v1/checkout/sessions/"+cs.ID+"/line_items?expand[0]=data.price.product&expand[1]=data.taxes&expand[2]=data.discounts", &lines)
			e.rawGet(t, "/v1/shipping_rates/"+cs.ShippingOptions[0].ShippingRate.ID, &rate)
			if code := e.control(t, "POST", "/_sim/checkout/sessions/"+cs.ID+"/complete", map[string]any{"outcome": "paid", "promotion_code": "SAVE10"}, nil); code != 200 {
				t.Fatalf("complete: %d", code)
			}
			expanded := map[string]any{}
			e.rawGet(t, "/v1/checkout/sessions/"+cs.ID+"?expand[0]=total_details.breakdown&expand[1]=shipping_cost.shipping_rate&expand[2]=discounts.coupon"+
				"&expand[3]=line_items.data.taxes&expand[4]=line_items.data.discounts&expand[5]=line_items.data.price.product", &expanded)
			paid, _ := e.api.CheckoutSessions.Get(cs.ID, nil)
			if _, err := e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(paid.PaymentIntent.ID), Amount: stripe.Int64(100)}); err != nil {
				t.Fatal(err)
			}
			e.control(t, "POST", "/_sim/disputes", map[string]any{"payment_intent": paid.PaymentIntent.ID}, nil)

			objects := []map[string]any{open, plainOpen, lines, rate, expanded}
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
			var check func(kind string, obj map[string]any)
			check = func(kind string, obj map[string]any) {
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
					case !known && !gone && !slices.Contains(laterChanges[kind], k):
						t.Errorf("%s at %s has %s, which Stripe's spec does not know", kind, ver, k)
					}
				}
				for _, k := range schema.Required {
					if _, ok := obj[k]; !ok && !slices.Contains(laterChanges[kind], k) {
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
				// Nested objects: by their own "object", or by where they are.
				for k, v := range obj {
					var elems []any
					switch v := v.(type) {
					case map[string]any:
						elems = []any{v}
					case []any:
						elems = v
					}
					for _, el := range elems {
						m, ok := el.(map[string]any)
						if !ok {
							continue
						}
						sub, _ := m["object"].(string)
						switch {
						case sub == "list":
							for _, d := range m["data"].([]any) {
								check(d.(map[string]any)["object"].(string), d.(map[string]any))
							}
						case sub != "" && sub != kind:
							check(sub, m)
						case subSchemas[kind+"."+k] != "":
							check(subSchemas[kind+"."+k], m)
						}
					}
				}
			}
			for _, obj := range objects {
				kind, _ := obj["object"].(string)
				if kind == "list" {
					for _, d := range obj["data"].([]any) {
						check("item", d.(map[string]any))
					}
					continue
				}
				check(kind, obj)
			}
			var kinds []string
			for k := range seen {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			want := []string{"address", "charge", "checkout.session", "coupon", "discount", "dispute", "event", "item", "line_items_discount_amount",
				"line_items_tax_amount", "payment_intent", "payment_pages_checkout_session_automatic_tax",
				"payment_pages_checkout_session_checkout_address_details", "payment_pages_checkout_session_customer_details",
				"payment_pages_checkout_session_discount", "payment_pages_checkout_session_shipping_address_collection",
				"payment_pages_checkout_session_shipping_cost", "payment_pages_checkout_session_shipping_option",
				"payment_pages_checkout_session_total_details", "payment_pages_checkout_session_total_details_resource_breakdown",
				"price", "product", "refund", "shipping_rate", "shipping_rate_delivery_estimate", "shipping_rate_delivery_estimate_bound",
				"shipping_rate_fixed_amount", "tax_rate"}
			if ver != stripesim.APIVersion {
				want = append(want, "payment_pages_checkout_session_collected_information")
				sort.Strings(want)
			}
			if !slices.Equal(kinds, want) {
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
