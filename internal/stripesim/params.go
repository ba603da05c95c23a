package stripesim

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// param describes one request parameter, after Stripe's OpenAPI spec at
// API version 2023-10-16. Only the parameters the simulator acts on are
// described in depth; the others are accepted as they come (kindAny) so a
// request that Stripe takes is not refused here for a detail.
type param struct {
	kind     kind
	enum     []string          // kindEnum
	fields   map[string]*param // kindObject
	required []string          // kindObject
	elem     *param            // kindList
	maxLen   int               // kindString
}

type kind int

const (
	kindAny kind = iota
	kindString
	kindInt
	kindBool
	kindEnum
	kindObject
	kindList
	kindHash // metadata: string keys to string values
)

func str() *param             { return &param{kind: kindString} }
func strMax(n int) *param     { return &param{kind: kindString, maxLen: n} }
func integer() *param         { return &param{kind: kindInt} }
func boolean() *param         { return &param{kind: kindBool} }
func anything() *param        { return &param{kind: kindAny} }
func hash() *param            { return &param{kind: kindHash} }
func listOf(e *param) *param  { return &param{kind: kindList, elem: e} }
func enum(v ...string) *param { return &param{kind: kindEnum, enum: v} }
func object(f map[string]*param, required ...string) *param {
	return &param{kind: kindObject, fields: f, required: required}
}

// validate checks v against p and returns it typed: string, int64, bool,
// map[string]any (objects), []any (lists) or map[string]string (hashes).
// An empty string means "not given", as Stripe reads it for optional
// parameters; present reports whether anything was given at all.
func (p *param) validate(name string, v any) (typed any, present bool, err *apiError) {
	if s, ok := v.(string); ok && s == "" && p.kind != kindString {
		return nil, false, nil
	}
	switch p.kind {
	case kindAny:
		return v, true, nil
	case kindString:
		s, ok := v.(string)
		if !ok {
			return nil, false, invalidRequest(name, "", "Invalid string: %s", describe(v))
		}
		if s == "" {
			return nil, false, nil
		}
		if p.maxLen > 0 && len(s) > p.maxLen {
			return nil, false, invalidRequest(name, "", "Invalid string: %s...; must be at most %d characters", s[:min(len(s), 10)], p.maxLen)
		}
		return s, true, nil
	case kindInt:
		s, ok := v.(string)
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil {
			return nil, false, invalidRequest(name, "parameter_invalid_integer", "Invalid integer: %s", describe(v))
		}
		return n, true, nil
	case kindBool:
		s, _ := v.(string)
		switch s {
		case "true":
			return true, true, nil
		case "false":
			return false, true, nil
		}
		return nil, false, invalidRequest(name, "", "Invalid boolean: %s", describe(v))
	case kindEnum:
		s, ok := v.(string)
		if !ok || !slices.Contains(p.enum, s) {
			return nil, false, invalidRequest(name, "", "Invalid %s: must be one of %s", lastSegment(name), oneOf(p.enum))
		}
		return s, true, nil
	case kindHash:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false, invalidRequest(name, "", "Invalid hash")
		}
		out := make(map[string]string, len(m))
		for k, val := range m {
			s, ok := val.(string)
			if !ok {
				return nil, false, invalidRequest(name+"["+k+"]", "", "Invalid string: %s", describe(val))
			}
			out[k] = s
		}
		return out, true, nil
	case kindList:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false, invalidRequest(name, "", "Invalid array")
		}
		idx := make([]int, 0, len(m))
		for k := range m {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 {
				return nil, false, invalidRequest(name, "", "Invalid array")
			}
			idx = append(idx, i)
		}
		sort.Ints(idx)
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			k := strconv.Itoa(i)
			t, present, err := p.elem.validate(name+"["+k+"]", m[k])
			if err != nil {
				return nil, false, err
			}
			if present {
				out = append(out, t)
			}
		}
		return out, true, nil
	case kindObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false, invalidRequest(name, "", "Invalid object")
		}
		// Stripe names unknown parameters first, in a stable order.
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p.fields[k] == nil {
				full := join(name, k)
				return nil, false, invalidRequest(full, "parameter_unknown", "Received unknown parameter: %s", full)
			}
		}
		out := make(map[string]any, len(m))
		for _, k := range keys {
			t, present, err := p.fields[k].validate(join(name, k), m[k])
			if err != nil {
				return nil, false, err
			}
			if present {
				out[k] = t
			}
		}
		for _, k := range p.required {
			if _, ok := out[k]; ok {
				continue
			}
			if s, ok := m[k].(string); ok && s == "" {
				full := join(name, k)
				return nil, false, invalidRequest(full, "parameter_invalid_empty",
					"You passed an empty string for '%s'. We assume empty values are an attempt to unset a parameter; however '%s' cannot be unset. You should remove '%s' from your request or supply a non-empty value.", full, full, full)
			}
			return nil, false, missingParam(join(name, k))
		}
		return out, true, nil
	}
	panic(fmt.Sprintf("stripesim: unknown param kind %d", p.kind))
}

func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "[" + child + "]"
}

func lastSegment(name string) string {
	if i := strings.LastIndexByte(name, '['); i >= 0 {
		return strings.TrimSuffix(name[i+1:], "]")
	}
	return name
}

func oneOf(v []string) string {
	switch len(v) {
	case 1:
		return v[0]
	case 2:
		return v[0] + " or " + v[1]
	}
	return strings.Join(v[:len(v)-1], ", ") + ", or " + v[len(v)-1]
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return "a hash"
}

// Typed getters over a validated parameter tree.

func getString(m map[string]any, k string) string { s, _ := m[k].(string); return s }
func getInt(m map[string]any, k string) (int64, bool) {
	n, ok := m[k].(int64)
	return n, ok
}
func getObject(m map[string]any, k string) map[string]any { o, _ := m[k].(map[string]any); return o }
func getList(m map[string]any, k string) []any            { l, _ := m[k].([]any); return l }
func getHash(m map[string]any, k string) map[string]string {
	h, _ := m[k].(map[string]string)
	return h
}
func getStrings(m map[string]any, k string) []string {
	var out []string
	for _, v := range getList(m, k) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// The schemas of the endpoints, as of API version 2023-10-16.

var expandParam = listOf(strMax(5000))

func checkoutSessionCreateParams() *param {
	productData := object(map[string]*param{
		"description": strMax(40000),
		"images":      listOf(str()),
		"metadata":    hash(),
		"name":        strMax(5000),
		"tax_code":    strMax(5000),
	}, "name")
	priceData := object(map[string]*param{
		"currency":            str(),
		"product":             strMax(5000),
		"product_data":        productData,
		"recurring":           anything(),
		"tax_behavior":        enum("exclusive", "inclusive", "unspecified"),
		"unit_amount":         integer(),
		"unit_amount_decimal": str(),
	}, "currency")
	lineItem := object(map[string]*param{
		"adjustable_quantity": anything(),
		"dynamic_tax_rates":   listOf(strMax(5000)),
		"price":               strMax(5000),
		"price_data":          priceData,
		"quantity":            integer(),
		"tax_rates":           listOf(strMax(5000)),
	})
	return object(map[string]*param{
		"after_expiration":             anything(),
		"allow_promotion_codes":        boolean(),
		"automatic_tax":                object(map[string]*param{"enabled": boolean(), "liability": anything()}, "enabled"),
		"billing_address_collection":   enum("auto", "required"),
		"cancel_url":                   strMax(5000),
		"client_reference_id":          strMax(200),
		"consent_collection":           anything(),
		"currency":                     str(),
		"custom_fields":                anything(),
		"custom_text":                  anything(),
		"customer":                     strMax(5000),
		"customer_creation":            enum("always", "if_required"),
		"customer_email":               str(),
		"customer_update":              anything(),
		"discounts":                    listOf(object(map[string]*param{"coupon": strMax(5000), "promotion_code": strMax(5000)})),
		"expand":                       expandParam,
		"expires_at":                   integer(),
		"invoice_creation":             anything(),
		"line_items":                   listOf(lineItem),
		"locale":                       str(),
		"metadata":                     hash(),
		"mode":                         enum("payment", "setup", "subscription"),
		"payment_intent_data":          anything(),
		"payment_method_collection":    enum("always", "if_required"),
		"payment_method_configuration": strMax(100),
		"payment_method_options":       anything(),
		"payment_method_types":         listOf(str()),
		"phone_number_collection":      anything(),
		"redirect_on_completion":       enum("always", "if_required", "never"),
		"return_url":                   strMax(5000),
		"setup_intent_data":            anything(),
		"shipping_address_collection":  object(map[string]*param{"allowed_countries": listOf(enum(allowedCountries...))}, "allowed_countries"),
		"shipping_options":             shippingOptionsParam(),
		"submit_type":                  enum("auto", "book", "donate", "pay"),
		"subscription_data":            anything(),
		"success_url":                  strMax(5000),
		"tax_id_collection":            anything(),
		"ui_mode":                      enum("embedded", "hosted"),
	}, "mode")
}

func checkoutSessionListParams() *param {
	return object(map[string]*param{
		"created":          anything(),
		"customer":         strMax(5000),
		"customer_details": object(map[string]*param{"email": str()}, "email"),
		"ending_before":    strMax(5000),
		"expand":           expandParam,
		"limit":            integer(),
		"payment_intent":   strMax(5000),
		"payment_link":     strMax(5000),
		"starting_after":   strMax(5000),
		"status":           enum("complete", "expired", "open"),
		"subscription":     strMax(5000),
	})
}

func lineItemListParams() *param {
	return object(map[string]*param{
		"ending_before":  strMax(5000),
		"expand":         expandParam,
		"limit":          integer(),
		"starting_after": strMax(5000),
	})
}

func expandOnlyParams() *param {
	return object(map[string]*param{"expand": expandParam})
}

func refundCreateParams() *param {
	return object(map[string]*param{
		"amount":                 integer(),
		"charge":                 strMax(5000),
		"currency":               str(),
		"customer":               strMax(5000),
		"expand":                 expandParam,
		"instructions_email":     str(),
		"metadata":               hash(),
		"origin":                 enum("customer_balance"),
		"payment_intent":         strMax(5000),
		"reason":                 enum("duplicate", "fraudulent", "requested_by_customer"),
		"refund_application_fee": boolean(),
		"reverse_transfer":       boolean(),
	})
}

// checkMetadata applies Stripe's limits on metadata.
func checkMetadata(name string, md map[string]string) *apiError {
	if len(md) > 50 {
		return invalidRequest(name, "", "You can specify up to 50 keys in %s.", name)
	}
	for k, v := range md {
		if len(k) > 40 {
			return invalidRequest(name+"["+k+"]", "", "Metadata keys can have up to 40 characters; %q has %d.", k, len(k))
		}
		if len(v) > 500 {
			return invalidRequest(name+"["+k+"]", "", "Metadata values can have up to 500 characters, but you passed in a value that is %d characters.", len(v))
		}
	}
	return nil
}
