package stripesim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzForm sends any form body to the simulator's Stripe API the way
// stripe-go does (and any query to its list endpoint). Nothing panics, and
// every answer is Stripe's: a 200 with an object, or a 4xx with Stripe's
// error shape; never a 500.
func FuzzForm(f *testing.F) {
	for _, seed := range []string{
		"mode=payment&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=1250&line_items[0][price_data][product_data][name]=Mug&line_items[0][quantity]=2&success_url=https://shop.test/ok&expires_at=9999999999&metadata[order_id]=o1&client_reference_id=o1",
		"mode=payment&line_items[0][price]=price_1&success_url=https://x.test",
		"line_items[]=a&line_items[0][quantity]=1",
		"line_items[99999999999999999999][quantity]=1",
		"line_items[-1][quantity]=1",
		"metadata[a]=b&metadata=c",
		"a[b][c][d][e][f][g]=1",
		"expand[]=payment_intent&expand[]=line_items&expand[0][x]=1",
		"a[b=1", "[a]=1", "a]=1", "%zz", "=&&==", "",
		"mode=payment&line_items[0][price_data][unit_amount_decimal]=1.5",
		"mode=payment&line_items[0][price_data][unit_amount]=-1&line_items[0][quantity]=1e3",
	} {
		f.Add(seed)
	}
	sim := New(Config{PublicURL: "http://sim.test"})
	f.Cleanup(sim.Close)
	f.Fuzz(func(t *testing.T, form string) {
		// The decoder and the schema on their own.
		if vals, err := url.ParseQuery(form); err == nil {
			if raw, err := decodeForm(vals); err == nil {
				_, _, _ = checkoutSessionCreateParams().validate("", raw)
				_, _, _ = refundCreateParams().validate("", raw)
			}
		}
		for _, req := range []*http.Request{
			httptest.NewRequest("POST", "/v1/checkout/sessions", strings.NewReader(form)),
			httptest.NewRequest("POST", "/v1/refunds", strings.NewReader(form)),
			httptest.NewRequest("GET", "/v1/checkout/sessions?"+url.PathEscape(form), nil),
		} {
			req.Header.Set("Authorization", "Bearer sk_test_fuzz")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, rec.Code, rec.Body)
			}
			if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error"`) {
				t.Fatalf("%s %s: %d without Stripe's error shape: %s", req.Method, req.URL.Path, rec.Code, rec.Body)
			}
		}
	})
}
