package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/stripeshop/stripeshop/internal/shoptest"
)

func TestShopIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		opts          shoptest.Options
		wantName, tag string
	}{
		{"defaults", shoptest.Options{}, "stripeshop", ""},
		{"configured", shoptest.Options{ShopName: "Kettle & <Co>", ShopTagline: "Tea, slowly."}, "Kettle & <Co>", "Tea, slowly."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			r := e.client().MustDo("GET", "/api/shop", nil, 200, nil)
			var got map[string]any
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got["name"] != tc.wantName || got["tagline"] != tc.tag {
				t.Fatalf("GET /api/shop = %s", r.Body)
			}
			// Browsers keep it a while (it changes only with a restart) and
			// revalidate it cheaply after.
			etag := r.Header.Get("ETag")
			if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=300" || etag == "" {
				t.Fatalf("Cache-Control %q, ETag %q", cc, etag)
			}
			if r := e.client().Do("GET", "/api/shop", nil, "If-None-Match", etag); r.Status != 304 {
				t.Fatalf("If-None-Match with its ETag: %d, want 304", r.Status)
			}
		})
	}
}
