package checkout

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripeshop/stripeshop/internal/images"
	"github.com/stripeshop/stripeshop/internal/payments"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/testdb"
)

// showPicture stores a picture with one variant and shows it on the
// product, first when main.
func showPicture(t *testing.T, db postgres.DBTX, productID, key string, main bool) {
	t.Helper()
	ctx := context.Background()
	store := postgres.NewImages(db)
	if _, err := store.SaveMedia(ctx, images.Picture{Key: key, Width: 800, Height: 600, Ext: "jpg",
		Variants: []images.Variant{{Width: 640, Height: 480, Ext: "jpg", ContentType: "image/jpeg", Data: []byte(key)}}}); err != nil {
		t.Fatal(err)
	}
	img, _, err := store.Add(ctx, productID, key, "")
	if err != nil {
		t.Fatal(err)
	}
	if main {
		if err := store.SetMain(ctx, productID, img.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// A server that stopped after Stripe made the session but before the shop
// recorded it leaves the reconciler to ask again with the same idempotency
// key. An admin who changed the product's main picture and a shipping rate
// in between changes nothing of that request: the order keeps the picture
// and the options it was offered, so Stripe answers with the session it
// made. The customer who paid it has a paid order, not an expired one; the
// one who did not has their session expired, so nobody can pay it later.
func TestReconcilerFindsTheSessionAfterTheAdminChangedPictureAndRates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &movableClock{}
	srv := startSimulator(t, clk)
	pool, _ := testdb.New(t)
	stock := int64(5)
	p, err := postgres.NewProducts(pool).Create(ctx, shop.Product{Name: "Mug", UnitAmount: 1200, Currency: "usd", Stock: &stock, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	showPicture(t, pool, p.ID, strings.Repeat("a", 32), true)
	rates := postgres.NewShippingRates(pool)
	rate, err := rates.Create(ctx, shop.ShippingRate{Name: "Standard", Amount: 500, Currency: "usd", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Pool: pool, AppURL: "https://shop.test", Now: clk.Now,
		Payments: payments.New(payments.Config{SecretKey: "sk_test_sim", APIURL: srv.URL}),
		Sessions: SessionOptions{FreeShippingOver: 2000}})

	paid := svc.mustPlace(t, p.ID, 2)   // 2400: free shipping, then Standard
	unpaid := svc.mustPlace(t, p.ID, 1) // 1200: Standard only
	sessions := map[string]string{}
	for _, o := range []shop.Order{paid, unpaid} {
		sess, err := svc.createSession(ctx, o) // Stripe answered; the server stopped before recording it
		if err != nil {
			t.Fatal(err)
		}
		sessions[o.ID] = sess.ID
	}
	r, err := http.Post(srv.URL+"/_sim/checkout/sessions/"+sessions[paid.ID]+"/complete", "application/json",
		strings.NewReader(`{"outcome": "paid", "email": "buyer@example.com"}`))
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("pay on the simulator: %v %v", r, err)
	}
	r.Body.Close()

	// The admin gives the mug another main picture, reprices the rate and adds one.
	showPicture(t, pool, p.ID, strings.Repeat("b", 32), true)
	rate.Amount = 700
	if _, err := rates.Update(ctx, rate); err != nil {
		t.Fatal(err)
	}
	if _, err := rates.Create(ctx, shop.ShippingRate{Name: "Express", Amount: 1500, Currency: "usd", Active: true}); err != nil {
		t.Fatal(err)
	}

	// And the server restarts with another FREE_SHIPPING_OVER.
	svc.sessions.FreeShippingOver = 0

	clk.Advance(time.Minute + time.Second)
	if res, err := svc.Reconcile(ctx, time.Minute); err != nil || res.Checked != 2 || res.Errors != 0 {
		t.Fatalf("sweep: %+v, %v; want 2 checked, no error", res, err)
	}
	for _, c := range []struct {
		order  shop.Order
		status shop.Status
		stripe string
	}{{paid, shop.StatusPaid, "complete"}, {unpaid, shop.StatusExpired, "expired"}} {
		got, err := postgres.NewOrders(pool).Get(ctx, c.order.ID)
		if err != nil || got.Status != c.status || got.SessionID != sessions[c.order.ID] {
			t.Errorf("order of %d: %s with session %q, %v; want %s with %s", c.order.Quantity, got.Status, got.SessionID, err,
				c.status, sessions[c.order.ID])
		}
		sess, err := svc.pay.GetSession(ctx, sessions[c.order.ID])
		if err != nil || sess.Status != c.stripe {
			t.Errorf("order of %d: its session at Stripe %q, %v; want %s", c.order.Quantity, sess.Status, err, c.stripe)
		}
	}
	// What the sessions were made of is the order's, as placed.
	got, err := postgres.NewOrders(pool).Get(ctx, paid.ID)
	if err != nil {
		t.Fatal(err)
	}
	var offered []string
	for _, r := range got.ShippingOptions {
		offered = append(offered, fmt.Sprintf("%s %d", r.Name, r.Amount))
	}
	if want := "/media/" + strings.Repeat("a", 32) + "/640.jpg"; got.Lines[0].Image != want ||
		fmt.Sprint(offered) != "[Free shipping 0 Standard 500]" {
		t.Errorf("the paid order keeps picture %q and options %v; want %s and [Free shipping 0 Standard 500]",
			got.Lines[0].Image, offered, want)
	}
	if got := svc.stock(t, p.ID); got != 3 {
		t.Errorf("stock %d, want 3: the paid order keeps its 2 units, the expired one gives its unit back", got)
	}
}
