package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stripeshop/stripeshop/internal/images/imagestest"
	"github.com/stripeshop/stripeshop/internal/shop"
	"github.com/stripeshop/stripeshop/internal/shoptest"
	"github.com/stripeshop/stripeshop/internal/stripesim"
)

type imageJSON = shop.Image

type productWithImages struct {
	ID       string      `json:"id"`
	ImageURL string      `json:"image_url"`
	Images   []imageJSON `json:"images"`
}

// multipartBody is a form with a "file" part (and "alt" when not empty).
func multipartBody(t *testing.T, name string, data []byte, alt string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if alt != "" {
		_ = w.WriteField("alt", alt)
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func upload(t *testing.T, c *client, productID, name string, data []byte, alt string) response {
	t.Helper()
	body, ct := multipartBody(t, name, data, alt)
	return c.Do("POST", "/api/admin/products/"+productID+"/images", body, "Content-Type", ct)
}

// mustUpload uploads data as a.png and answers the picture it became.
func mustUpload(t *testing.T, c *client, productID string, data []byte) imageJSON {
	t.Helper()
	r := upload(t, c, productID, "a.png", data, "")
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var img imageJSON
	if err := json.Unmarshal(r.Body, &img); err != nil {
		t.Fatal(err)
	}
	return img
}

func gpsPNG() []byte {
	return imagestest.PNGWithExif(imagestest.PNG(imagestest.Halves(700, 350)), imagestest.Exif(0))
}

func TestImageUploadServeAndCatalog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.createProduct(1250, 5)
	admin := e.admin()

	r := upload(t, admin, p.ID, "photo.png", gpsPNG(), "A red and blue card")
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var img imageJSON
	json.Unmarshal(r.Body, &img)
	if img.Width != 700 || img.Height != 350 || img.Alt != "A red and blue card" ||
		!strings.HasSuffix(img.Src, "/640.jpg") || strings.Count(img.Srcset, "w,") != 2 {
		t.Fatalf("image %+v", img)
	}

	// Served by anyone, immutable, with a strong ETag, and no metadata.
	anon := e.client()
	for _, part := range strings.Split(img.Srcset, ", ") {
		path := strings.Fields(part)[0]
		got := anon.Do("GET", path, nil)
		if got.Status != 200 || got.Header.Get("Content-Type") != "image/jpeg" ||
			got.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Fatalf("GET %s: %d %v", path, got.Status, got.Header)
		}
		if bytes.Contains(got.Body, []byte(imagestest.GPSMarker)) || bytes.Contains(got.Body, []byte("Exif")) {
			t.Fatalf("%s carries the upload's metadata", path)
		}
		etag := got.Header.Get("ETag")
		if !strings.HasPrefix(etag, `"`) {
			t.Fatalf("ETag %q is not strong", etag)
		}
		if again := anon.Do("GET", path, nil, "If-None-Match", etag); again.Status != 304 || len(again.Body) != 0 {
			t.Fatalf("If-None-Match: %d, %d bytes", again.Status, len(again.Body))
		}
	}
	if got := anon.Do("GET", "/media/"+strings.Repeat("a", 32)+"/640.jpg", nil); got.Status != 404 || got.ErrorCode() != "not_found" {
		t.Fatalf("unknown media: %d %s", got.Status, got.Body)
	}

	// The public catalog answers the picture, and image_url points at its
	// largest variant on APP_URL.
	var pub productWithImages
	anon.MustDo("GET", "/api/products/"+p.ID, nil, 200, &pub)
	if len(pub.Images) != 1 || pub.Images[0].ID != img.ID || pub.ImageURL != "http://shop.test"+strings.Replace(img.Src, "640", "700", 1) {
		t.Fatalf("public product %+v", pub)
	}

	// A second picture, then reorder, main, delete: the catalog follows.
	second := upload(t, admin, p.ID, "card.gif", imagestest.TwoFrameGIF(), "")
	if second.Status != 201 {
		t.Fatalf("second upload: %d %s", second.Status, second.Body)
	}
	var img2 imageJSON
	json.Unmarshal(second.Body, &img2)
	var list struct {
		Images []imageJSON `json:"images"`
	}
	admin.MustDo("POST", "/api/admin/products/"+p.ID+"/images/reorder", map[string]any{"ids": []string{img2.ID, img.ID}}, 200, &list)
	if list.Images[0].ID != img2.ID {
		t.Fatalf("after reorder %+v", list.Images)
	}
	anon.MustDo("GET", "/api/products/"+p.ID, nil, 200, &pub)
	if pub.Images[0].ID != img2.ID {
		t.Fatalf("catalog did not follow the reorder: %+v", pub.Images)
	}
	admin.MustDo("PATCH", "/api/admin/products/"+p.ID+"/images/"+img.ID, map[string]any{"main": true, "alt": "Front"}, 200, &list)
	if list.Images[0].ID != img.ID || list.Images[0].Alt != "Front" {
		t.Fatalf("after main %+v", list.Images)
	}
	if r := admin.Do("POST", "/api/admin/products/"+p.ID+"/images/reorder", map[string]any{"ids": []string{img.ID}}); r.Status != 400 || r.Fields()["ids"] == "" {
		t.Fatalf("partial reorder: %d %s", r.Status, r.Body)
	}
	admin.MustDo("DELETE", "/api/admin/products/"+p.ID+"/images/"+img.ID, nil, 204, nil)
	anon.MustDo("GET", "/api/products/"+p.ID, nil, 200, &pub)
	if len(pub.Images) != 1 || pub.Images[0].ID != img2.ID {
		t.Fatalf("after delete %+v", pub.Images)
	}
	if got := anon.Do("GET", img.Src, nil); got.Status != 404 {
		t.Fatalf("a deleted picture no product shows is still served: %d", got.Status)
	}
	if r := admin.Do("DELETE", "/api/admin/products/"+p.ID+"/images/"+img.ID, nil); r.Status != 404 {
		t.Fatalf("delete twice: %d", r.Status)
	}
}

func TestImageUploadRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.createProduct(1250, 5)
	admin := e.admin()
	big := make([]byte, 11<<20)
	copy(big, imagestest.JPEG(imagestest.Halves(10, 10)))

	tests := []struct {
		name   string
		data   []byte
		alt    string
		status int
		code   string
		field  string
	}{
		{"text renamed .jpg", []byte("just some text, honest\n"), "", 400, "invalid", "file"},
		{"60 megapixel PNG", imagestest.BombHeader(10000, 6000), "", 400, "invalid", "file"},
		{"11 MB", big, "", 413, "too_large", "file"},
		{"alt too long", gpsPNG(), strings.Repeat("a", 501), 400, "invalid", "alt"},
	}
	for _, tc := range tests {
		r := upload(t, admin, p.ID, "upload.jpg", tc.data, tc.alt)
		if r.Status != tc.status || r.ErrorCode() != tc.code || r.Fields()[tc.field] == "" {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := admin.Do("POST", "/api/admin/products/"+p.ID+"/images", map[string]string{"file": "x"}); r.Status != 400 || r.Fields()["file"] == "" {
		t.Errorf("JSON body: %d %s", r.Status, r.Body)
	}
	if r := upload(t, admin, "00000000-0000-0000-0000-000000000000", "a.png", gpsPNG(), ""); r.Status != 404 {
		t.Errorf("unknown product: %d %s", r.Status, r.Body)
	}

	// Twelve pictures a product at most.
	full := e.createProduct(1250, 5)
	for i := range shop.MaxImagesPerProduct {
		mustUpload(t, admin, full.ID, imagestest.PNG(imagestest.Halves(10+i, 10)))
	}
	if r := upload(t, admin, full.ID, "13.png", gpsPNG(), ""); r.Status != 400 || !strings.Contains(r.Fields()["file"], "at most 12") {
		t.Errorf("a 13th picture: %d %s", r.Status, r.Body)
	}

	// Auth and CSRF, as on every admin mutation.
	if r := upload(t, e.client(), p.ID, "a.png", gpsPNG(), ""); r.Status != 401 || r.ErrorCode() != "unauthorized" {
		t.Errorf("anonymous: %d %s", r.Status, r.Body)
	}
	noCSRF := *admin
	noCSRF.CSRF = ""
	if r := upload(t, &noCSRF, p.ID, "a.png", gpsPNG(), ""); r.Status != 403 || r.ErrorCode() != "forbidden" {
		t.Errorf("no CSRF token: %d %s", r.Status, r.Body)
	}
}

// The same file uploaded for two products, and twice for one, is stored once.
func TestImageDedup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.createProduct(1250, 5), e.createProduct(900, 5)
	data := gpsPNG()
	first := upload(t, e.admin(), a.ID, "a.png", data, "")
	if first.Status != 201 {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	if r := upload(t, e.admin(), b.ID, "b.png", data, ""); r.Status != 201 {
		t.Fatalf("second product: %d %s", r.Status, r.Body)
	}
	again := upload(t, e.admin(), a.ID, "a-again.png", data, "")
	var x, y imageJSON
	json.Unmarshal(first.Body, &x)
	json.Unmarshal(again.Body, &y)
	if again.Status != 200 || x.ID != y.ID {
		t.Fatalf("same file again: %d %s", again.Status, again.Body)
	}
	conn, err := pgx.Connect(context.Background(), e.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	counts := func(want string) {
		t.Helper()
		var media, variants, links int
		conn.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM media), (SELECT count(*) FROM media_variants), (SELECT count(*) FROM product_images)`).Scan(&media, &variants, &links)
		if got := fmt.Sprintf("media %d, variants %d, links %d", media, variants, links); got != want {
			t.Fatalf("%s; want %s", got, want)
		}
	}
	counts("media 1, variants 3, links 2")
	// The bytes stay while a product shows them, and go with the last.
	e.admin().MustDo("DELETE", "/api/admin/products/"+a.ID, nil, 204, nil)
	counts("media 1, variants 3, links 1")
	e.admin().MustDo("DELETE", "/api/admin/products/"+b.ID, nil, 204, nil)
	counts("media 0, variants 0, links 0")
	if r := e.client().Do("GET", x.Src, nil); r.Status != 404 {
		t.Fatalf("the picture of deleted products: %d", r.Status)
	}
}

// Two replicas on one database: a picture uploaded through one is served by
// the other, and the other's catalog shows it.
func TestImageServedByEveryReplica(t *testing.T) {
	t.Parallel()
	one := newEnv(t)
	two := newEnv(t, shoptest.Options{StripeURL: stripeMockURL, DatabaseURL: one.DatabaseURL})
	p := one.createProduct(1250, 5)
	img := mustUpload(t, one.admin(), p.ID, gpsPNG())
	got := two.client().Do("GET", img.Src, nil)
	if got.Status != 200 || got.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("the other replica: %d %s", got.Status, got.Body)
	}
	eventually(t, "the other replica's catalog to show the picture", func() bool {
		var pub productWithImages
		res := two.client().Do("GET", "/api/products/"+p.ID, nil)
		json.Unmarshal(res.Body, &pub)
		return len(pub.Images) == 1 && pub.Images[0].Src == img.Src
	})
}

// The Checkout Session's line carries the main picture when APP_URL is
// https: stripe-mock checks the parameter against Stripe's API, and the
// simulator's hosted page shows it; with an http APP_URL it shows none.
func TestCheckoutSendsMainImage(t *testing.T) {
	t.Parallel()
	simSrv := httptest.NewServer(nil)
	sim := stripesim.New(stripesim.Config{PublicURL: simSrv.URL, WebhookSecret: webhookSecret})
	simSrv.Config.Handler = sim
	t.Cleanup(func() { simSrv.Close(); sim.Close() })
	for _, tc := range []struct {
		stripe string
		https  bool
	}{{stripeMockURL, true}, {simSrv.URL, true}, {simSrv.URL, false}} {
		e := newEnv(t, shoptest.Options{StripeURL: tc.stripe, HTTPS: tc.https})
		p := e.createProduct(1250, 5)
		img := mustUpload(t, e.admin(), p.ID, gpsPNG())
		var s started
		e.client().MustDo("POST", "/api/checkout", map[string]any{"product_id": p.ID, "quantity": 1}, 201, &s)
		if tc.stripe == stripeMockURL {
			continue
		}
		resp, err := http.Get(s.CheckoutURL)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		largest := "/media/" + strings.Split(img.Src, "/")[2] + "/700.jpg"
		if shows := bytes.Contains(page, []byte("https://shop.test"+largest)); shows != tc.https {
			t.Fatalf("https=%v: the checkout page shows the picture: %v", tc.https, shows)
		}
		// A product with no upload shows its external image_url (https by rule).
		var ext product
		e.admin().MustDo("POST", "/api/admin/products", map[string]any{"name": "Poster", "unit_amount": 900, "currency": "usd",
			"image_url": "https://img.example.com/poster.png"}, 201, &ext)
		e.client().MustDo("POST", "/api/checkout", map[string]any{"product_id": ext.ID, "quantity": 1}, 201, &s)
		resp, err = http.Get(s.CheckoutURL)
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(page, []byte("https://img.example.com/poster.png")) {
			t.Fatalf("https=%v: the checkout page does not show the external image_url", tc.https)
		}
	}
}

func TestMediaRouteRefusesOtherNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	for _, path := range []string{"/media/xyz/640.jpg", "/media/" + strings.Repeat("a", 32) + "/640.gif",
		"/media/" + strings.Repeat("a", 32) + "/99999999.jpg"} {
		if r := c.Do("GET", path, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d", path, r.Status)
		}
	}
}
