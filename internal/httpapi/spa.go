package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/stripeshop/stripeshop/internal/shop"
)

const notBuiltPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>stripeshop</title></head>
<body><h1>stripeshop</h1><p>The API is running, but the web app has not been built into this binary.
Run <code>make web build</code> (or <code>make run</code>) to include it.</p></body></html>`

// handleSPA serves the embedded React app: a file when one matches (hashed
// assets cached for a year), index.html for any other page a browser asks
// for, so client-side routes survive a reload, and a real 404 otherwise.
func handleSPA(files fs.FS) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, r, shop.Errorf(errMethodNotAllowed, "%s is not allowed here", r.Method))
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					w.Header().Set("Cache-Control", "no-cache")
				}
				fileServer.ServeHTTP(w, r)
				return
			}
			if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" && !acceptsHTML(r) {
				writeError(w, r, shop.Errorf(shop.ErrNotFound, "no such file"))
				return
			}
		}
		index, err := fs.ReadFile(files, "index.html")
		if errors.Is(err, fs.ErrNotExist) {
			index = []byte(notBuiltPage)
		} else if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(index)
	})
}

func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
