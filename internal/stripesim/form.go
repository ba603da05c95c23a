package stripesim

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// apiError is an error in Stripe's shape:
// {"error": {"type": …, "code": …, "param": …, "message": …}}.
type apiError struct {
	Status  int
	Type    string
	Code    string
	Param   string
	Message string
}

func (e *apiError) Error() string { return e.Message }

func (e *apiError) body() map[string]any {
	b := map[string]any{"type": e.Type, "message": e.Message}
	if e.Code != "" {
		b["code"] = e.Code
		b["doc_url"] = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(e.Code, "_", "-")
	}
	if e.Param != "" {
		b["param"] = e.Param
	}
	return map[string]any{"error": b}
}

func invalidRequest(param, code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

func missingParam(param string) *apiError {
	return invalidRequest(param, "parameter_missing", "Missing required param: %s.", param)
}

func noSuch(status int, object, param, id string) *apiError {
	return &apiError{Status: status, Type: "invalid_request_error", Code: "resource_missing", Param: param,
		Message: fmt.Sprintf("No such %s: '%s'", object, id)}
}

// decodeForm turns Stripe's bracketed form keys into nested maps:
// line_items[0][price_data][currency]=usd becomes
// {"line_items": {"0": {"price_data": {"currency": "usd"}}}}.
// Lists stay maps keyed by their index here; the parameter schema knows
// which maps are lists and orders them. "a[]" appends the next index,
// once for each of its values.
func decodeForm(vals url.Values) (map[string]any, error) {
	root := map[string]any{}
	for key, vs := range vals {
		if len(vs) == 0 {
			continue
		}
		path, err := splitKey(key)
		if err != nil {
			return nil, err
		}
		m := root
		for i, seg := range path {
			last := i == len(path)-1
			if seg == "" && last {
				// "a[]=x&a[]=y", as curl users write a list: each value
				// is the next element.
				for _, v := range vs {
					m[strconv.Itoa(len(m))] = v
				}
				break
			}
			if seg == "" {
				seg = strconv.Itoa(len(m))
			}
			if last {
				if _, isMap := m[seg].(map[string]any); isMap {
					return nil, invalidRequest(key, "", "Invalid %s: cannot be both a value and a hash", key)
				}
				m[seg] = vs[len(vs)-1]
				break
			}
			switch next := m[seg].(type) {
			case nil:
				child := map[string]any{}
				m[seg] = child
				m = child
			case map[string]any:
				m = next
			default:
				return nil, invalidRequest(key, "", "Invalid %s: cannot be both a value and a hash", key)
			}
		}
	}
	return root, nil
}

// splitKey splits "a[b][0]" into ["a", "b", "0"].
func splitKey(key string) ([]string, error) {
	bad := invalidRequest(key, "", "Invalid parameter name: %s", key)
	open := strings.IndexByte(key, '[')
	if open < 0 {
		if key == "" || strings.ContainsRune(key, ']') {
			return nil, bad
		}
		return []string{key}, nil
	}
	if open == 0 {
		return nil, bad
	}
	path := []string{key[:open]}
	rest := key[open:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, bad
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, bad
		}
		seg := rest[1:end]
		if strings.ContainsRune(seg, '[') {
			return nil, bad
		}
		path = append(path, seg)
		rest = rest[end+1:]
	}
	return path, nil
}

// readForm reads the parameters of an API request: the query string of a
// GET, the form body of a POST.
func readForm(r *http.Request) (url.Values, error) {
	if r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return r.URL.Query(), nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err != nil {
		return nil, invalidRequest("", "", "Could not read the request body: %v", err)
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("", "", "Invalid request body: %v", err)
	}
	// Stripe also reads query parameters on a POST.
	for k, vs := range r.URL.Query() {
		vals[k] = append(vals[k], vs...)
	}
	return vals, nil
}
