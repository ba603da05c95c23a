package images_test

import (
	"image/color"
	"testing"

	"github.com/stripeshop/stripeshop/internal/images"
	"github.com/stripeshop/stripeshop/internal/images/imagestest"
)

// FuzzOrientation feeds the EXIF reader (our own parser of untrusted bytes)
// and the header check whatever the fuzzer makes of real files: neither may
// panic, and an orientation is always 1–8.
func FuzzOrientation(f *testing.F) {
	f.Add(imagestest.JPEGWithExif(imagestest.JPEG(imagestest.Halves(8, 8)), imagestest.Exif(6)))
	f.Add(imagestest.PNGWithExif(imagestest.PNG(imagestest.Halves(8, 8)), imagestest.Exif(3)))
	f.Add(imagestest.WebPWithExif(8, 8, color.NRGBA{1, 2, 3, 255}, imagestest.Exif(8)))
	f.Add(imagestest.BombHeader(10000, 6000))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"jpeg", "png", "webp", "gif"} {
			if o := images.Orientation(format, data); o < 1 || o > 8 {
				t.Fatalf("%s: orientation %d", format, o)
			}
		}
		_, _, _, _ = images.Check(data)
	})
}
