package payments

import (
	"context"
	"strings"

	"github.com/stripe/stripe-go/v76"
)

// CheckKey proves the secret key works by the cheapest authenticated read the
// shop needs anyway: listing one Checkout Session. So a restricted key passes
// only when it may read Checkout Sessions (the shop also needs to write them
// and Refunds, which this does not try).
//
// livemode is what Stripe says of the session it listed; an account with no
// session yet is judged by the key's prefix (sk_live_, rk_live_).
func (c *Client) CheckKey(ctx context.Context) (livemode bool, err error) {
	params := &stripe.CheckoutSessionListParams{}
	params.Limit = stripe.Int64(1)
	params.Single = true // one page: this is a probe, not a listing
	params.Context = ctx
	it := c.api.CheckoutSessions.List(params)
	if it.Next() {
		return it.CheckoutSession().Livemode, nil
	}
	if err := it.Err(); err != nil {
		return false, wrap("list checkout sessions", err)
	}
	return strings.Contains(c.api.CheckoutSessions.Key, "_live_"), nil
}
