package shop

import (
	"strconv"
	"strings"
)

// Image is one uploaded picture of a product. Width and Height are the
// original's, upright; Src is a mid-size variant and Srcset every variant,
// as same-origin paths (/media/<key>/<width>.<ext>).
type Image struct {
	ID     string `json:"id"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Alt    string `json:"alt"`
	Src    string `json:"src"`
	Srcset string `json:"srcset"`

	// Key and Ext address the stored variants, Widths lists them (ascending).
	Key    string `json:"-"`
	Ext    string `json:"-"`
	Widths []int  `json:"-"`
}

// MaxImageAltLen is the longest alternative text of a picture.
const MaxImageAltLen = 500

// MaxImagesPerProduct bounds a product's gallery.
const MaxImagesPerProduct = 12

// MediaPath is where a variant of a stored picture is served.
func MediaPath(key string, width int, ext string) string {
	return "/media/" + key + "/" + strconv.Itoa(width) + "." + ext
}

// NewImage fills in Src and Srcset from the stored variants' widths.
func NewImage(id, key, ext string, width, height int, alt string, widths []int) Image {
	img := Image{ID: id, Width: width, Height: height, Alt: alt, Key: key, Ext: ext, Widths: widths}
	parts := make([]string, 0, len(widths))
	for _, w := range widths {
		parts = append(parts, MediaPath(key, w, ext)+" "+strconv.Itoa(w)+"w")
		// The mid-size one: 640 when there is one, else the largest below it.
		if w <= 640 || img.Src == "" {
			img.Src = MediaPath(key, w, ext)
		}
	}
	img.Srcset = strings.Join(parts, ", ")
	return img
}

// LargestPath is the path of the picture's widest variant.
func (i Image) LargestPath() string {
	if len(i.Widths) == 0 {
		return ""
	}
	return MediaPath(i.Key, i.Widths[len(i.Widths)-1], i.Ext)
}
