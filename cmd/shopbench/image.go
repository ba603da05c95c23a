package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stripeshop/stripeshop/internal/demo"
	"github.com/stripeshop/stripeshop/internal/postgres"
)

// image: GET /media/<key>/640.jpg, a stored picture's variant, which the
// server reads from Postgres on every request (every replica serves every
// upload, no shared disk), against a chi handler that answers the same
// bytes from memory with http.ServeContent: what keeping pictures in the
// database costs per request. Both are asked as a first visit asks (no
// If-None-Match): with immutable caching a browser asks once.
func (b *bench) image(ctx context.Context) error {
	if err := demo.AddPicture(ctx, b.env.pool, b.products[0].ID, "mug.jpg", ""); err != nil {
		return fmt.Errorf("add a picture: %w", err)
	}
	imgs, err := postgres.NewImages(b.env.pool).OfProduct(ctx, b.products[0].ID)
	if err != nil || len(imgs) == 0 {
		return fmt.Errorf("read the picture back: %v", err)
	}
	path := imgs[0].Src
	child, baseURL, err := b.env.startBaseline(ctx, "image")
	if err != nil {
		return err
	}
	defer b.env.stopChild(child)
	want, _, err := fetch(ctx, baseURL+path, nil)
	if err != nil {
		return err
	}
	got, _, err := fetch(ctx, b.env.serverURL+path, nil)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s: the server's %d bytes are not the baseline's %d", path, len(got), len(want))
	}
	baseOp := getOp("image", baseURL+path, nil)
	srvOp := getOp("image", b.env.serverURL+path, nil)
	res, err := b.contend(ctx,
		runSpec{scenario: "image", target: "baseline: http.ServeContent from memory", baseline: true,
			serverPID: child.cmd.Process.Pid, pick: func(*worker) *op { return baseOp }},
		runSpec{scenario: "image", target: "stripeshop", serverPID: b.env.serverPID, profile: true,
			pick: func(*worker) *op { return srvOp }})
	if err != nil {
		return err
	}
	b.ratio(res[1], res[0])
	return nil
}

// minimalMedia loads every stored variant into memory once and serves each
// with http.ServeContent: the fastest a Go handler answers those bytes.
func minimalMedia(ctx context.Context, pool *pgxpool.Pool) (http.HandlerFunc, error) {
	rows, err := pool.Query(ctx, `SELECT v.key || '/' || v.width || '.' || m.ext, v.data
		FROM media_variants v JOIN media m ON m.key = v.key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	files := map[string][]byte{}
	for rows.Next() {
		var name string
		var data []byte
		if err := rows.Scan(&name, &data); err != nil {
			return nil, err
		}
		files[name] = data
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "key") + "/" + chi.URLParam(r, "name")
		data, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	}, nil
}
