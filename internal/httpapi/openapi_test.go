package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/stripeshop/stripeshop/internal/shop"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// chiMethods are the methods chi registers for a route added with Handle
// (any method); Walk reports each of them.
var chiMethods = []string{"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}

// chiParam matches a chi path parameter, with an optional regexp.
var chiParam = regexp.MustCompile(`\{([^}:]+)(:[^}]*)?\}`)

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Info       struct{ Title, Version string }       `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Enum []any `json:"enum"`
		} `json:"schemas"`
	} `json:"components"`
}

func fetchOpenAPI(t *testing.T, e *env) (openAPIDoc, []byte) {
	t.Helper()
	r := e.client().MustDo("GET", "/api/openapi.json", nil, http.StatusOK, nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !json.Valid(r.Body) {
		t.Fatalf("/api/openapi.json is not valid JSON")
	}
	var doc openAPIDoc
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("decode /api/openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("info.title and info.version are required")
	}
	if len(doc.Paths) == 0 {
		t.Fatalf("the document has no paths")
	}
	return doc, r.Body
}

// routerRoutes walks the chi router: path → set of methods. A path that
// answers every method (Handle) is reported with "*".
func routerRoutes(t *testing.T, h http.Handler) map[string]map[string]bool {
	t.Helper()
	routes, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("the server's handler is %T, not a chi router", h)
	}
	out := map[string]map[string]bool{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = chiParam.ReplaceAllString(route, "{$1}")
		if len(route) > 1 {
			route = strings.TrimSuffix(route, "/")
		}
		if route == "/*" { // the React app's catch-all, if it is ever a route
			return nil
		}
		if out[route] == nil {
			out[route] = map[string]bool{}
		}
		out[route][method] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for route, methods := range out {
		all := true
		for _, m := range chiMethods {
			all = all && methods[m]
		}
		if all {
			out[route] = map[string]bool{"*": true}
		}
	}
	return out
}

// TestOpenAPIDocumentsEveryRoute keeps /api/openapi.json in step with the
// router: a route without an operation, or an operation without a route,
// fails.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t)
	doc, _ := fetchOpenAPI(t, e)

	documented := map[string]map[string]bool{}
	for path, item := range doc.Paths {
		documented[path] = map[string]bool{}
		for key := range item {
			if slices.Contains(openAPIMethods, key) {
				documented[path][strings.ToUpper(key)] = true
			}
		}
		if len(documented[path]) == 0 {
			t.Errorf("path %s documents no operation", path)
		}
	}

	routed := routerRoutes(t, e.Handler)
	if len(routed) == 0 {
		t.Fatal("chi.Walk found no routes")
	}

	for _, path := range sortedKeys(routed) {
		methods := routed[path]
		docs, ok := documented[path]
		if !ok {
			t.Errorf("route %s is not documented in openapi.json", path)
			continue
		}
		if methods["*"] {
			// Registered for any method (e.g. /metrics): one documented
			// operation is enough.
			continue
		}
		for _, m := range sortedKeys(methods) {
			if !docs[m] {
				t.Errorf("route %s %s is not documented in openapi.json", m, path)
			}
		}
	}
	for _, path := range sortedKeys(documented) {
		methods, ok := routed[path]
		if !ok {
			t.Errorf("openapi.json documents %s, which the router does not have", path)
			continue
		}
		if methods["*"] {
			continue
		}
		for _, m := range sortedKeys(documented[path]) {
			if !methods[m] {
				t.Errorf("openapi.json documents %s %s, which the router does not have", m, path)
			}
		}
	}
}

// TestOpenAPIReferencesAndParameters checks the document hangs together:
// every $ref resolves and every {param} of a path is declared.
func TestOpenAPIReferencesAndParameters(t *testing.T) {
	e := newEnv(t)
	_, body := fetchOpenAPI(t, e)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}

	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if resolve(raw, ref) == nil {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, c := range v {
				walk(c, at+"/"+k)
			}
		case []any:
			for _, c := range v {
				walk(c, at+"/[]")
			}
		}
	}
	walk(raw, "#")

	paths, _ := raw["paths"].(map[string]any)
	for path, item := range paths {
		item, _ := item.(map[string]any)
		declared := func(params any) map[string]bool {
			out := map[string]bool{}
			list, _ := params.([]any)
			for _, p := range list {
				pm, _ := p.(map[string]any)
				if ref, ok := pm["$ref"].(string); ok {
					pm, _ = resolve(raw, ref).(map[string]any)
				}
				if pm["in"] == "path" {
					name, _ := pm["name"].(string)
					out[name] = true
				}
			}
			return out
		}
		shared := declared(item["parameters"])
		for _, m := range openAPIMethods {
			opItem, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			if _, ok := opItem["responses"].(map[string]any); !ok {
				t.Errorf("%s %s has no responses", strings.ToUpper(m), path)
			}
			own := declared(opItem["parameters"])
			for _, match := range chiParam.FindAllStringSubmatch(path, -1) {
				if !shared[match[1]] && !own[match[1]] {
					t.Errorf("%s %s does not declare path parameter %q", strings.ToUpper(m), path, match[1])
				}
			}
		}
	}
}

// TestOpenAPIEnumsMatchDomain ties the document's enums to the code.
func TestOpenAPIEnumsMatchDomain(t *testing.T) {
	e := newEnv(t)
	doc, _ := fetchOpenAPI(t, e)
	schemas := doc.Components.Schemas

	sameSet := func(name string, enum []any, want []string) {
		t.Helper()
		var g []string
		for _, v := range enum {
			s, ok := v.(string)
			if !ok {
				t.Errorf("%s enum holds %v, not a string", name, v)
			}
			g = append(g, s)
		}
		w := slices.Clone(want)
		sort.Strings(g)
		sort.Strings(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s enum = %v, want %v", name, g, w)
		}
	}
	sameSet("Currency", schemas["Currency"].Enum, shop.Currencies())
	var statuses []string
	for _, s := range shop.Statuses {
		statuses = append(statuses, string(s))
	}
	sameSet("OrderStatus", schemas["OrderStatus"].Enum, statuses)
	sameSet("ErrorCode", schemas["ErrorCode"].Enum, []string{
		shop.ErrInvalid, shop.ErrUnauthorized, shop.ErrForbidden, shop.ErrNotFound, "method_not_allowed",
		shop.ErrConflict, "too_large", "unsupported_media_type", shop.ErrRateLimited, shop.ErrPaymentProvider, shop.ErrUnavailable,
		shop.ErrInternal,
	})
}

// resolve follows a local JSON pointer ("#/components/schemas/Product").
func resolve(doc map[string]any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestOpenAPIMethodNotAllowed checks the 405 the document adds to API.md's
// error codes: a method an /api route does not take.
func TestOpenAPIMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, x := range [][2]string{{"PUT", "/api/products"}, {"DELETE", "/api/checkout"}, {"PUT", "/api/admin/products"}} {
		r := c.Do(x[0], x[1], nil)
		if r.Status != http.StatusMethodNotAllowed || r.ErrorCode() != "method_not_allowed" {
			t.Errorf("%s %s: %d %s, want 405 method_not_allowed", x[0], x[1], r.Status, r.Body)
		}
	}
}
