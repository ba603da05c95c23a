package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/images"
	"github.com/stripeshop/stripeshop/internal/postgres"
	"github.com/stripeshop/stripeshop/internal/shop"
)

// maxUploadBody is an upload's body: the file (images.MaxBytes) and the
// multipart framing and alt text around it.
const maxUploadBody = images.MaxBytes + 64<<10

// isUpload reports whether r is an image upload, whose body may exceed the
// limit every other request has (limitBody).
func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && uploadPath.MatchString(r.URL.Path)
}

var uploadPath = regexp.MustCompile(`^/api/admin/products/[^/]+/images/?$`)

func imageList(imgs []shop.Image) any { return map[string]any{"images": imgs} }

func imageID(r *http.Request) (string, error) {
	id, ok := shop.ParseID(chi.URLParam(r, "image_id"))
	if !ok {
		return "", shop.Errorf(shop.ErrNotFound, "image not found")
	}
	return id, nil
}

// handleListImages answers a product's pictures, main one first.
func handleListImages(pool *pgxpool.Pool) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		if _, err := postgres.NewProducts(pool).Get(r.Context(), id); err != nil {
			return err
		}
		imgs, err := postgres.NewImages(pool).OfProduct(r.Context(), id)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, imageList(imgs))
	})
}

// readUpload reads the multipart body's "file" (at most images.MaxBytes)
// and "alt" parts.
func readUpload(w http.ResponseWriter, r *http.Request) (data []byte, alt string, err error) {
	tooLarge := errUploadTooLarge()
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, "", shop.Invalid(map[string]string{"file": "send the image as multipart/form-data"})
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", shop.Invalid(map[string]string{"file": "send the image as multipart/form-data"})
	}
	var gotFile bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", tooLarge
		}
		if err != nil {
			return nil, "", shop.Errorf(shop.ErrInvalid, "malformed multipart body")
		}
		switch part.FormName() {
		case "file":
			data, err = io.ReadAll(io.LimitReader(part, images.MaxBytes+1))
			if errors.As(err, &mbe) || len(data) > images.MaxBytes {
				return nil, "", tooLarge
			}
			if err != nil {
				return nil, "", shop.Errorf(shop.ErrInvalid, "malformed multipart body")
			}
			gotFile = true
		case "alt":
			b, err := io.ReadAll(io.LimitReader(part, 4*shop.MaxImageAltLen+1))
			if err != nil {
				return nil, "", shop.Errorf(shop.ErrInvalid, "malformed multipart body")
			}
			alt = string(b)
		}
		part.Close()
	}
	if !gotFile {
		return nil, "", shop.Invalid(map[string]string{"file": "is required"})
	}
	return data, alt, validAlt(alt)
}

func errUploadTooLarge() *shop.Error {
	return &shop.Error{Code: errTooLarge, Message: "the file is larger than 10 MB",
		Fields: map[string]string{"file": "must be at most 10 MB"}}
}

func validAlt(alt string) error {
	switch {
	case !utf8.ValidString(alt) || strings.ContainsRune(alt, 0):
		return shop.Invalid(map[string]string{"alt": "must be text"})
	case utf8.RuneCountInString(alt) > shop.MaxImageAltLen:
		return shop.Invalid(map[string]string{"alt": "must be at most 500 characters"})
	}
	return nil
}

// handleUploadImage takes a multipart upload ("file", optional "alt"),
// checks and resizes it, stores it once by content and adds it to the
// product: 201 Image, or 200 with the product's image when it shows
// that very file already.
func handleUploadImage(pool *pgxpool.Pool, cat *CatalogCache) http.Handler {
	// At most two uploads are decoded at once: a 40-megapixel picture takes
	// a few hundred MB while it is resized.
	decoding := make(chan struct{}, 2)
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		data, alt, err := readUpload(w, r)
		if err != nil {
			return err
		}
		// Refuse what the header gives away before waiting for a decoder.
		if _, _, _, err := images.Check(data); err != nil {
			return imageRefusal(err)
		}
		select {
		case decoding <- struct{}{}:
		case <-r.Context().Done():
			return r.Context().Err()
		}
		pic, err := images.Process(data)
		<-decoding
		if err != nil {
			return imageRefusal(err)
		}
		var img shop.Image
		var added bool
		err = postgres.InTx(r.Context(), pool, func(tx *postgres.Tx) error {
			store := postgres.NewImages(tx)
			if _, err := store.SaveMedia(r.Context(), pic); err != nil {
				return err
			}
			img, added, err = store.Add(r.Context(), id, pic.Key, strings.TrimSpace(alt))
			return err
		})
		if err != nil {
			return err
		}
		cat.Invalidate()
		status := http.StatusOK
		if added {
			status = http.StatusCreated
			logger(r).Info("product image added", "product_id", id, "image_id", img.ID, "key", pic.Key)
		}
		return encode(w, status, img)
	})
}

func imageRefusal(err error) error {
	var e *images.Error
	if errors.As(err, &e) {
		if strings.Contains(e.Message, "10 MB") {
			return &shop.Error{Code: errTooLarge, Message: "the file " + e.Message, Fields: map[string]string{"file": e.Message}}
		}
		return &shop.Error{Code: shop.ErrInvalid, Message: "the file " + e.Message, Fields: map[string]string{"file": e.Message}}
	}
	return err
}

type reorderBody struct {
	IDs []string `json:"ids"`
}

// handleReorderImages sets the order of a product's pictures: 200 the list.
func handleReorderImages(pool *pgxpool.Pool, cat *CatalogCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		body, err := decode[reorderBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		for _, x := range body.IDs {
			if _, ok := shop.ParseID(x); !ok {
				return shop.Invalid(map[string]string{"ids": "must list each of the product's images once"})
			}
		}
		return changeImages(w, r, pool, cat, id, func(store *postgres.Images) error {
			return store.Reorder(r.Context(), id, body.IDs)
		})
	})
}

// changeImages runs change on a product's pictures in a transaction and
// answers the product's list as it is then.
func changeImages(w http.ResponseWriter, r *http.Request, pool *pgxpool.Pool, cat *CatalogCache, productID string, change func(*postgres.Images) error) error {
	var imgs []shop.Image
	err := postgres.InTx(r.Context(), pool, func(tx *postgres.Tx) error {
		store := postgres.NewImages(tx)
		if err := change(store); err != nil {
			return err
		}
		var err error
		imgs, err = store.OfProduct(r.Context(), productID)
		return err
	})
	if err != nil {
		return err
	}
	cat.Invalidate()
	return encode(w, http.StatusOK, imageList(imgs))
}

type imagePatchBody struct {
	Alt  *string `json:"alt"`
	Main *bool   `json:"main"`
}

// handleUpdateImage changes a picture's alt text and makes it the main one
// ("main": true): 200 the product's list.
func handleUpdateImage(pool *pgxpool.Pool, cat *CatalogCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		body, err := decode[imagePatchBody](w, r, maxJSONBody)
		if err != nil {
			return err
		}
		imgID, err := imageID(r)
		if err != nil {
			return err
		}
		if body.Main != nil && !*body.Main {
			return shop.Invalid(map[string]string{"main": "can only be true: make another image the main one instead"})
		}
		if body.Alt != nil {
			if err := validAlt(*body.Alt); err != nil {
				return err
			}
		}
		return changeImages(w, r, pool, cat, id, func(store *postgres.Images) error {
			if body.Alt != nil {
				if err := store.SetAlt(r.Context(), id, imgID, strings.TrimSpace(*body.Alt)); err != nil {
					return err
				}
			}
			if body.Main != nil {
				return store.SetMain(r.Context(), id, imgID)
			}
			return nil
		})
	})
}

// handleDeleteImage takes a picture off a product: 204.
func handleDeleteImage(pool *pgxpool.Pool, cat *CatalogCache, media *mediaCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := productID(r)
		if err != nil {
			return err
		}
		imgID, err := imageID(r)
		if err != nil {
			return err
		}
		var key string
		var dropped bool
		if err := postgres.InTx(r.Context(), pool, func(tx *postgres.Tx) (err error) {
			key, dropped, err = postgres.NewImages(tx).Remove(r.Context(), id, imgID)
			return err
		}); err != nil {
			return err
		}
		if dropped {
			media.forget(key)
		}
		cat.Invalidate()
		logger(r).Info("product image removed", "product_id", id, "image_id", imgID)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

var mediaName = regexp.MustCompile(`^([0-9]+)\.(jpg|png)$`)
var mediaKey = regexp.MustCompile(`^[0-9a-f]{32}$`)

// handleMedia serves a stored variant at /media/{key}/{width}.{ext} from
// Postgres, so every replica serves every upload, with the most recently
// served ones kept in memory. The address names the content, so the answer
// never changes: cached for a year, immutable.
func handleMedia(pool *pgxpool.Pool, media *mediaCache) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		key := chi.URLParam(r, "key")
		m := mediaName.FindStringSubmatch(chi.URLParam(r, "name"))
		if m == nil || !mediaKey.MatchString(key) || len(m[1]) > 5 {
			return shop.Errorf(shop.ErrNotFound, "no such image")
		}
		width, _ := strconv.Atoi(m[1])
		inm := r.Header.Get("If-None-Match")
		name := key + "/" + m[0]
		v, ok := media.get(name)
		if !ok {
			var err error
			v, err = postgres.NewImages(pool).Variant(r.Context(), key, width, m[2], inm)
			if err != nil {
				return err
			}
			media.put(name, v)
		}
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", v.ETag)
		h.Set("X-Content-Type-Options", "nosniff")
		if v.Data == nil || etagMatches(inm, v.ETag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		h.Set("Content-Type", v.ContentType)
		h.Set("Content-Length", strconv.Itoa(len(v.Data)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(v.Data)
		}
		return nil
	})
}

// etagMatches reports whether an If-None-Match list names etag (or is *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
