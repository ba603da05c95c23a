package stripesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ConfigFromEnv reads the simulator's behaviour from its STRIPESIM_*
// variables (docs/api.md): the merchant's name, the bank debit delay, the
// API version, the events sent, shuffled delivery, the state file, the
// promotion codes, the tax rate and the API latency. Where it listens, its public URL and
// where its webhooks go are the caller's. Unset variables keep New's
// defaults.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	c.MerchantName = strings.TrimSpace(getenv("STRIPESIM_MERCHANT_NAME"))
	if v := getenv("STRIPESIM_BANK_DEBIT_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("STRIPESIM_BANK_DEBIT_DELAY=%q: want a positive duration such as 30s", v)
		}
		c.BankDebitDelay = d
	}
	c.APIVersion = APIVersion
	if v := getenv("STRIPESIM_API_VERSION"); v != "" {
		if !slices.Contains(APIVersions, v) {
			return c, fmt.Errorf("STRIPESIM_API_VERSION=%q: want one of %s", v, strings.Join(APIVersions, ", "))
		}
		c.APIVersion = v
	}
	var err error
	if c.EnabledEvents, err = ParseEventTypes(getenv("STRIPESIM_EVENTS")); err != nil {
		return c, fmt.Errorf("STRIPESIM_EVENTS: %w", err)
	}
	if v := getenv("STRIPESIM_SHUFFLE"); v != "" {
		if c.ShuffleDelivery, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("STRIPESIM_SHUFFLE=%q: want 1 or 0", v)
		}
	}
	c.StateFile = getenv("STRIPESIM_STATE_FILE")
	if c.PromotionCodes, err = ParsePromotionCodes(getenv("STRIPESIM_PROMOTION_CODES")); err != nil {
		return c, fmt.Errorf("STRIPESIM_PROMOTION_CODES: %w", err)
	}
	if c.TaxRate, err = ParseTaxRate(getenv("STRIPESIM_TAX_RATE")); err != nil {
		return c, fmt.Errorf("STRIPESIM_TAX_RATE: %w", err)
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"STRIPESIM_LATENCY", &c.Latency}, {"STRIPESIM_LATENCY_JITTER", &c.LatencyJitter}} {
		if v := getenv(d.name); v != "" {
			n, err := time.ParseDuration(v)
			if err != nil || n < 0 {
				return c, fmt.Errorf("%s=%q: want a duration such as 300ms (0 for none)", d.name, v)
			}
			*d.to = n
		}
	}
	return c, nil
}
