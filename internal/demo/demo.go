// Package demo holds the demo catalog that `stripeshop serve --seed-demo`
// (and so `make run`) puts in an empty shop: a few products with pictures
// drawn by ./gen, shipped in the binary.
package demo

import "embed"

//go:generate go run ./gen images

// Pictures holds images/<name>.jpg for each demo product.
//
//go:embed images/*.jpg
var Pictures embed.FS
