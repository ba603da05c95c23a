// Package images turns an uploaded file into the pictures the shop serves:
// it checks what the bytes are (never the file's name), refuses pixel bombs
// from the header before decoding, decodes JPEG, PNG, WebP and the first
// frame of a GIF, turns the picture upright by its EXIF orientation, and
// encodes resized variants. Re-encoding drops every byte of metadata (EXIF,
// GPS, XMP, ICC, comments): only pixels go through. No HTTP, no SQL here.
package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // registers GIF: image.Decode returns its first frame
	"image/jpeg"
	"image/png"
	"net/http"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP
)

// Limits of an upload.
const (
	MaxBytes  = 10 << 20   // 10 MiB
	MaxPixels = 40_000_000 // 40 megapixels, about a 7700×5200 photo
)

// Widths are the variant widths the shop serves; a picture narrower than
// one of them gets its own width instead (never upscaled).
var Widths = []int{320, 640, 1280}

// Error is a refusal a person can act on; Message is said to them as it is.
type Error struct{ Message string }

func (e *Error) Error() string { return "images: " + e.Message }

func refuse(format string, args ...any) error { return &Error{Message: fmt.Sprintf(format, args...)} }

// IsRefusal reports whether err is a refusal of the file (rather than a
// failure of the server).
func IsRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Variant is one encoded size of a picture.
type Variant struct {
	Width, Height int
	Ext           string // "jpg" or "png"
	ContentType   string
	Data          []byte
}

// Picture is an upload made ready to serve.
type Picture struct {
	// Key is the content address of the uploaded bytes: the same file
	// uploaded twice has the same key, and is stored once.
	Key string
	// Width and Height are the original's, upright.
	Width, Height int
	Ext           string
	Variants      []Variant
}

// KeyOf is the content address of an upload.
func KeyOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// Sniff names the format of data from its first bytes: "jpeg", "png",
// "gif", "webp", or "" for anything else.
func Sniff(data []byte) string {
	switch http.DetectContentType(data) {
	case "image/jpeg":
		return "jpeg"
	case "image/png":
		return "png"
	case "image/gif":
		return "gif"
	case "image/webp":
		return "webp"
	}
	return ""
}

// Check refuses what Process would refuse without decoding the pixels: a
// body over MaxBytes, a format other than the four, a header that cannot be
// read, and a picture over MaxPixels. It returns the format and size.
func Check(data []byte) (format string, width, height int, err error) {
	if len(data) > MaxBytes {
		return "", 0, 0, refuse("must be at most 10 MB")
	}
	if len(data) == 0 {
		return "", 0, 0, refuse("is empty")
	}
	format = Sniff(data)
	if format == "" {
		return "", 0, 0, refuse("must be a JPEG, PNG, WebP or GIF image")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", 0, 0, refuse("is not a readable %s image", formatName(format))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return "", 0, 0, refuse("has no pixels")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return "", 0, 0, refuse("is %d×%d pixels; at most 40 megapixels are accepted", cfg.Width, cfg.Height)
	}
	return format, cfg.Width, cfg.Height, nil
}

func formatName(f string) string {
	switch f {
	case "jpeg":
		return "JPEG"
	case "webp":
		return "WebP"
	}
	return map[string]string{"png": "PNG", "gif": "GIF"}[f]
}

// Process checks, decodes, orients and resizes an upload.
func Process(data []byte) (Picture, error) {
	format, _, _, err := Check(data)
	if err != nil {
		return Picture{}, err
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Picture{}, refuse("is not a readable %s image", formatName(format))
	}
	orient := Orientation(format, data)
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if orient.swapsAxes() {
		w, h = h, w
	}
	pic := Picture{Key: KeyOf(data), Width: w, Height: h, Ext: "jpg"}
	transparent := !opaque(src)
	if transparent {
		pic.Ext = "png"
	}
	// Largest first: each smaller variant is scaled from the one before,
	// so a large original is resampled once.
	widths := VariantWidths(w)
	from := src
	for i := len(widths) - 1; i >= 0; i-- {
		vw := widths[i]
		vh := max(1, (h*vw+w/2)/w)
		sw, sh := vw, vh // the variant's size before it is turned upright
		if orient.swapsAxes() {
			sw, sh = vh, vw
		}
		scaled := scale(from, sw, sh, transparent)
		from = scaled
		upright := orient.apply(scaled)
		v := Variant{Width: vw, Height: vh, Ext: pic.Ext}
		var buf bytes.Buffer
		if transparent {
			v.ContentType = "image/png"
			err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, upright)
		} else {
			v.ContentType = "image/jpeg"
			err = jpeg.Encode(&buf, upright, &jpeg.Options{Quality: 82})
		}
		if err != nil {
			return Picture{}, fmt.Errorf("encode a %d px variant: %w", vw, err)
		}
		v.Data = buf.Bytes()
		pic.Variants = append([]Variant{v}, pic.Variants...)
	}
	return pic, nil
}

// VariantWidths are the widths served of a picture w pixels wide: each of
// Widths below w, and w itself when it is below the largest.
func VariantWidths(w int) []int {
	var out []int
	for _, vw := range Widths {
		if vw < w {
			out = append(out, vw)
		}
	}
	if w <= Widths[len(Widths)-1] {
		out = append(out, w)
	}
	return out
}

// scale resamples src to w×h into a fresh image (no metadata can follow).
func scale(src image.Image, w, h int, keepAlpha bool) draw.Image {
	var dst draw.Image
	if keepAlpha {
		dst = image.NewNRGBA(image.Rect(0, 0, w, h))
	} else {
		rgba := image.NewRGBA(image.Rect(0, 0, w, h))
		// A JPEG has no alpha: paint on white, as a browser would show it.
		draw.Draw(rgba, rgba.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		dst = rgba
	}
	b := src.Bounds()
	if b.Dx() == w && b.Dy() == h {
		draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Over)
		return dst
	}
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	return dst
}

// opaque reports whether every pixel of img is fully opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}
