package stripesim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Shipping: the address a session collects, the rates it offers
// (shipping_options with shipping_rate_data; each becomes a ShippingRate
// that GET /v1/shipping_rates/{id} returns) and the one the customer
// picks.

// shippingRate is a ShippingRate made from shipping_rate_data.
type shippingRate struct {
	ID          string
	Created     time.Time
	DisplayName string
	Amount      int64
	Currency    string
	TaxBehavior string // exclusive, inclusive or unspecified
	TaxCode     string
	Minimum     *deliveryBound `json:",omitempty"`
	Maximum     *deliveryBound `json:",omitempty"`
	Metadata    map[string]string
}

type deliveryBound struct {
	Unit  string
	Value int64
}

// address is a postal address as the hosted page collects it.
type address struct {
	Line1, Line2, City, State, PostalCode, Country string
}

// shippingDetails are the name and address goods are sent to.
type shippingDetails struct {
	Name    string
	Address address
}

// deliveryUnits are Stripe's units of a delivery estimate, with the words
// the page says them in.
var deliveryUnits = map[string][2]string{
	"business_day": {"business day", "business days"},
	"day":          {"day", "days"},
	"hour":         {"hour", "hours"},
	"week":         {"week", "weeks"},
	"month":        {"month", "months"},
}

// allowedCountries are the codes Stripe takes in
// shipping_address_collection[allowed_countries] (its spec's enum).
var allowedCountries = strings.Fields(`AC AD AE AF AG AI AL AM AO AQ AR AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL
BM BN BO BQ BR BS BT BV BW BY BZ CA CD CF CG CH CI CK CL CM CN CO CR CV CW CY CZ DE DJ DK DM DO DZ EC EE EG EH
ER ES ET FI FJ FK FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HN HR HT HU ID IE IL IM IN
IO IQ IS IT JE JM JO JP KE KG KH KI KM KN KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MK ML
MM MN MO MQ MR MS MT MU MV MW MX MY MZ NA NC NE NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT
PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SZ TA TC TD TF TG TH TJ TK TL TM
TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VN VU WF WS XK YE YT ZA ZM ZW ZZ`)

func shippingOptionsParam() *param {
	bound := object(map[string]*param{
		"unit":  enum("business_day", "day", "hour", "month", "week"),
		"value": integer(),
	}, "unit", "value")
	return listOf(object(map[string]*param{
		"shipping_rate": strMax(5000),
		"shipping_rate_data": object(map[string]*param{
			"delivery_estimate": object(map[string]*param{"maximum": bound, "minimum": bound}),
			"display_name":      strMax(100),
			"fixed_amount": object(map[string]*param{
				"amount":           integer(),
				"currency":         str(),
				"currency_options": anything(),
			}, "amount", "currency"),
			"metadata":     hash(),
			"tax_behavior": enum("exclusive", "inclusive", "unspecified"),
			"tax_code":     str(),
			"type":         enum("fixed_amount"),
		}, "display_name"),
	}))
}

// parseShippingOptions checks shipping_options as Stripe does and makes
// a ShippingRate of each shipping_rate_data. The simulator keeps no
// ShippingRate made through the API (POST /v1/shipping_rates is not
// simulated), so an id in shipping_rate is unknown unless it names a rate
// an earlier session made.
func (s *Server) parseShippingOptions(list []any, currency string, now time.Time) ([]shippingRate, error) {
	if len(list) > 5 {
		return nil, invalidRequest("shipping_options", "", "You can specify up to 5 shipping options; you passed %d.", len(list))
	}
	var out []shippingRate
	for i, v := range list {
		opt, _ := v.(map[string]any)
		name := fmt.Sprintf("shipping_options[%d]", i)
		id, data := getString(opt, "shipping_rate"), getObject(opt, "shipping_rate_data")
		switch {
		case id != "" && data != nil:
			return nil, invalidRequest(name+"[shipping_rate_data]", "", "You may only specify one of these parameters: shipping_rate, shipping_rate_data.")
		case id != "":
			s.mu.Lock()
			known := s.shippingRates[id]
			s.mu.Unlock()
			if known == nil {
				return nil, noSuch(http.StatusBadRequest, "shipping rate", name+"[shipping_rate]", id)
			}
			if known.Currency != currency {
				return nil, invalidRequest(name+"[shipping_rate]", "", "The shipping rate's currency (%s) must match the currency of the Checkout Session (%s).", known.Currency, currency)
			}
			out = append(out, *known)
			continue
		case data == nil:
			return nil, invalidRequest(name, "parameter_missing", "You must specify either `shipping_rate` or `shipping_rate_data` in `%s`.", name)
		}
		dataName := name + "[shipping_rate_data]"
		fixed := getObject(data, "fixed_amount")
		if fixed == nil {
			return nil, invalidRequest(dataName+"[fixed_amount]", "parameter_missing", "`fixed_amount` is required when `type` is `fixed_amount`.")
		}
		amount, _ := getInt(fixed, "amount")
		if amount < 0 || amount > maximumAmount {
			return nil, invalidRequest(dataName+"[fixed_amount][amount]", "", "This value must be greater than or equal to 0 and less than or equal to %d.", maximumAmount)
		}
		cur := getString(fixed, "currency")
		if !isSupportedCurrency(cur) {
			return nil, invalidRequest(dataName+"[fixed_amount][currency]", "", "Invalid currency: %s. Stripe currently supports these currencies: %s", cur, strings.Join(supportedCurrencies, ", "))
		}
		if cur != currency {
			return nil, invalidRequest(dataName+"[fixed_amount][currency]", "", "The shipping rate's currency (%s) must match the currency of the Checkout Session (%s).", cur, currency)
		}
		md := getHash(data, "metadata")
		if e := checkMetadata(dataName+"[metadata]", md); e != nil {
			return nil, e
		}
		taxCode := getString(data, "tax_code")
		if e := checkTaxCode(dataName+"[tax_code]", taxCode); e != nil {
			return nil, e
		}
		rate := shippingRate{ID: newID("shr_1", 24), Created: now, DisplayName: getString(data, "display_name"),
			Amount: amount, Currency: cur, TaxBehavior: orDefault(getString(data, "tax_behavior"), "unspecified"),
			TaxCode: taxCode, Metadata: md}
		est := getObject(data, "delivery_estimate")
		for _, b := range []struct {
			key string
			to  **deliveryBound
		}{{"minimum", &rate.Minimum}, {"maximum", &rate.Maximum}} {
			if o := getObject(est, b.key); o != nil {
				value, _ := getInt(o, "value")
				if value < 1 {
					return nil, invalidRequest(dataName+"[delivery_estimate]["+b.key+"][value]", "", "This value must be greater than or equal to 1.")
				}
				*b.to = &deliveryBound{Unit: getString(o, "unit"), Value: value}
			}
		}
		if rate.Minimum != nil && rate.Maximum != nil && rate.Minimum.Unit == rate.Maximum.Unit && rate.Minimum.Value > rate.Maximum.Value {
			return nil, invalidRequest(dataName+"[delivery_estimate][minimum][value]", "", "The minimum delivery estimate must not be greater than the maximum.")
		}
		out = append(out, rate)
	}
	return out, nil
}

// checkTaxCode accepts Stripe's product tax codes by their form
// (txcd_ and eight digits); the simulator does not know which exist.
func checkTaxCode(name, code string) *apiError {
	if code == "" {
		return nil
	}
	digits, ok := strings.CutPrefix(code, "txcd_")
	if !ok || len(digits) != 8 || strings.Trim(digits, "0123456789") != "" {
		return noSuch(http.StatusBadRequest, "tax code", name, code)
	}
	return nil
}

// parseAllowedCountries reads shipping_address_collection.
func parseAllowedCountries(sac map[string]any) ([]string, error) {
	if sac == nil {
		return nil, nil
	}
	list := getStrings(sac, "allowed_countries")
	if len(list) == 0 {
		return nil, missingParam("shipping_address_collection[allowed_countries]")
	}
	var out []string
	for _, c := range list {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// estimateText says a delivery estimate as the page shows it: "3–5
// business days", "1 week", "At least 2 days".
func (r *shippingRate) estimateText() string {
	word := func(b *deliveryBound) string {
		w := deliveryUnits[b.Unit]
		if b.Value == 1 {
			return w[0]
		}
		return w[1]
	}
	switch lo, hi := r.Minimum, r.Maximum; {
	case lo != nil && hi != nil && lo.Unit == hi.Unit && lo.Value == hi.Value:
		return fmt.Sprintf("%d %s", hi.Value, word(hi))
	case lo != nil && hi != nil && lo.Unit == hi.Unit:
		return fmt.Sprintf("%d–%d %s", lo.Value, hi.Value, word(hi))
	case lo != nil && hi != nil:
		return fmt.Sprintf("%d %s to %d %s", lo.Value, word(lo), hi.Value, word(hi))
	case lo != nil:
		return fmt.Sprintf("At least %d %s", lo.Value, word(lo))
	case hi != nil:
		return fmt.Sprintf("Up to %d %s", hi.Value, word(hi))
	}
	return ""
}

func boundJSON(b *deliveryBound) any {
	if b == nil {
		return nil
	}
	return map[string]any{"unit": b.Unit, "value": b.Value}
}

func shippingRateJSON(r *shippingRate) map[string]any {
	var est any
	if r.Minimum != nil || r.Maximum != nil {
		est = map[string]any{"minimum": boundJSON(r.Minimum), "maximum": boundJSON(r.Maximum)}
	}
	return map[string]any{
		"id": r.ID, "object": "shipping_rate", "active": true, "created": unix(r.Created),
		"delivery_estimate": est, "display_name": r.DisplayName,
		"fixed_amount": map[string]any{"amount": r.Amount, "currency": r.Currency},
		"livemode":     false, "metadata": metadataJSON(r.Metadata),
		"tax_behavior": r.TaxBehavior, "tax_code": orNil(r.TaxCode), "type": "fixed_amount",
	}
}

func addressJSON(a address) map[string]any {
	return map[string]any{"city": orNil(a.City), "country": orNil(a.Country), "line1": orNil(a.Line1),
		"line2": orNil(a.Line2), "postal_code": orNil(a.PostalCode), "state": orNil(a.State)}
}

func (s *Server) getShippingRate(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.shippingRates[c.r.PathValue("id")]
	if r == nil {
		return nil, noSuch(http.StatusNotFound, "shipping rate", "id", c.r.PathValue("id"))
	}
	return shippingRateJSON(r), nil
}

// msgIncomplete is what the page says of a required field left empty.
const msgIncomplete = "This field is incomplete."

// checkShipping validates the shipping address form; the errors are keyed
// by form field.
func checkShipping(in shipInput, allowed []country) fieldErrors {
	errs := fieldErrors{}
	for _, f := range []struct{ name, value string }{
		{"shipping_name", in.Name}, {"shipping_line1", in.Line1}, {"shipping_city", in.City},
	} {
		if f.value == "" {
			errs[f.name] = msgIncomplete
		}
	}
	if !slices.ContainsFunc(allowed, func(c country) bool { return c.Code == in.Country }) {
		errs["shipping_country"] = "We do not ship to this country or region."
		return errs
	}
	if in.Country == "US" && in.State == "" {
		errs["shipping_state"] = msgIncomplete
	}
	if msg := checkPostal(in.Country, in.Postal); msg != "" {
		errs["shipping_postal"] = msg
	}
	return errs
}
