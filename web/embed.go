// Package web holds the React single-page app. The Go binary embeds its
// production build (web/dist, made by `make web`) so one process serves the
// whole shop.
package web

import (
	"embed"
	"io/fs"
)

// dist is empty but for .gitkeep until the front end is built; the server
// then answers with a short page that says how to build it.
//
//go:embed all:dist
var dist embed.FS

// Dist returns the built app rooted at its index.html.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directory is embedded above, so this cannot happen
	}
	return sub
}
