package images_test

import (
	"bytes"
	"image"
	"image/color"
	"strconv"
	"strings"
	"testing"

	"github.com/stripeshop/stripeshop/internal/images"
	"github.com/stripeshop/stripeshop/internal/images/imagestest"
)

func TestProcessRules(t *testing.T) {
	t.Parallel()
	transparent := image.NewNRGBA(image.Rect(0, 0, 50, 30))
	transparent.SetNRGBA(1, 1, color.NRGBA{255, 0, 0, 128})
	big := imagestest.Halves(2000, 1000)

	tests := []struct {
		name    string
		data    []byte
		refusal string // substring of the refusal; "" when accepted
		check   func(t *testing.T, p images.Picture)
	}{
		{name: "text renamed .jpg", data: []byte("hello, this is not a picture at all\n"), refusal: "must be a JPEG, PNG, WebP or GIF"},
		{name: "empty", data: nil, refusal: "is empty"},
		{name: "svg", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), refusal: "must be a JPEG"},
		{name: "60 megapixel bomb", data: imagestest.BombHeader(10000, 6000), refusal: "at most 40 megapixels"},
		{name: "truncated PNG", data: imagestest.PNG(imagestest.Halves(20, 20))[:40], refusal: "not a readable PNG"},
		{name: "over 10 MB", data: append([]byte("\xFF\xD8\xFF"), make([]byte, images.MaxBytes)...), refusal: "at most 10 MB"},
		{name: "large JPEG gets three widths", data: imagestest.JPEG(big), check: func(t *testing.T, p images.Picture) {
			want := []int{320, 640, 1280}
			if len(p.Variants) != 3 {
				t.Fatalf("variants %d, want 3", len(p.Variants))
			}
			for i, v := range p.Variants {
				if v.Width != want[i] || v.Height != want[i]/2 || v.Ext != "jpg" || v.ContentType != "image/jpeg" {
					t.Errorf("variant %d: %dx%d %s %s", i, v.Width, v.Height, v.Ext, v.ContentType)
				}
				cfg, format, err := image.DecodeConfig(bytes.NewReader(v.Data))
				if err != nil || format != "jpeg" || cfg.Width != v.Width || cfg.Height != v.Height {
					t.Errorf("variant %d decodes as %s %dx%d (%v)", i, format, cfg.Width, cfg.Height, err)
				}
			}
			if p.Width != 2000 || p.Height != 1000 {
				t.Errorf("original %dx%d", p.Width, p.Height)
			}
		}},
		{name: "small picture is never upscaled", data: imagestest.PNG(imagestest.Halves(500, 250)), check: func(t *testing.T, p images.Picture) {
			if got := widths(p); got != "320,500" {
				t.Errorf("widths %s, want 320,500", got)
			}
		}},
		{name: "EXIF-oriented JPEG stands upright, metadata gone", data: imagestest.JPEGWithExif(imagestest.JPEG(imagestest.Halves(400, 200)), imagestest.Exif(6)), check: func(t *testing.T, p images.Picture) {
			if p.Width != 200 || p.Height != 400 {
				t.Fatalf("upright size %dx%d, want 200x400", p.Width, p.Height)
			}
			v := p.Variants[len(p.Variants)-1]
			img, _, err := image.Decode(bytes.NewReader(v.Data))
			if err != nil {
				t.Fatal(err)
			}
			// Turned clockwise, the red left half is now on top.
			if r, _, b, _ := img.At(100, 20).RGBA(); r < b {
				t.Errorf("top is not red: r=%d b=%d", r, b)
			}
			if r, _, b, _ := img.At(100, 380).RGBA(); b < r {
				t.Errorf("bottom is not blue: r=%d b=%d", r, b)
			}
			assertNoMetadata(t, p)
		}},
		{name: "PNG with GPS: stripped", data: imagestest.PNGWithExif(imagestest.PNG(imagestest.Halves(64, 48)), imagestest.Exif(0)), check: assertNoMetadata},
		{name: "transparent PNG stays PNG", data: imagestest.PNG(transparent), check: func(t *testing.T, p images.Picture) {
			if p.Ext != "png" || p.Variants[0].ContentType != "image/png" {
				t.Errorf("ext %s, type %s", p.Ext, p.Variants[0].ContentType)
			}
		}},
		{name: "WebP", data: imagestest.SolidWebP(400, 300, color.NRGBA{10, 200, 30, 255}), check: func(t *testing.T, p images.Picture) {
			if p.Ext != "jpg" || widths(p) != "320,400" || p.Height != 300 {
				t.Errorf("ext %s, widths %s, height %d", p.Ext, widths(p), p.Height)
			}
		}},
		{name: "translucent WebP stays PNG", data: imagestest.SolidWebP(40, 30, color.NRGBA{10, 200, 30, 100}), check: func(t *testing.T, p images.Picture) {
			if p.Ext != "png" {
				t.Errorf("ext %s", p.Ext)
			}
		}},
		{name: "EXIF-oriented WebP with GPS", data: imagestest.WebPWithExif(400, 300, color.NRGBA{10, 200, 30, 255}, imagestest.Exif(8)), check: func(t *testing.T, p images.Picture) {
			if p.Width != 300 || p.Height != 400 {
				t.Errorf("upright size %dx%d, want 300x400", p.Width, p.Height)
			}
			assertNoMetadata(t, p)
		}},
		{name: "GIF: first frame", data: imagestest.TwoFrameGIF(), check: func(t *testing.T, p images.Picture) {
			img, _, err := image.Decode(bytes.NewReader(p.Variants[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			if r, g, _, _ := img.At(20, 10).RGBA(); g < r {
				t.Errorf("not the green first frame: r=%d g=%d", r, g)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := images.Process(tc.data)
			if tc.refusal != "" {
				if !images.IsRefusal(err) || !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("err %v, want a refusal with %q", err, tc.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Key != images.KeyOf(tc.data) || len(p.Key) != 32 {
				t.Errorf("key %q", p.Key)
			}
			tc.check(t, p)
		})
	}
}

func widths(p images.Picture) string {
	var s []string
	for _, v := range p.Variants {
		s = append(s, strconv.Itoa(v.Width))
	}
	return strings.Join(s, ",")
}

func assertNoMetadata(t *testing.T, p images.Picture) {
	t.Helper()
	for _, v := range p.Variants {
		for _, marker := range []string{"Exif", "eXIf", imagestest.GPSMarker, "II*\x00"} {
			if bytes.Contains(v.Data, []byte(marker)) {
				t.Errorf("%d px variant holds %q", v.Width, marker)
			}
		}
	}
}

func TestBombRefusedBeforeDecoding(t *testing.T) {
	t.Parallel()
	// The header claims 60 MP; the body could never decode to it. Check
	// answers from the header alone.
	_, w, h, err := images.Check(imagestest.BombHeader(10000, 6000))
	if !images.IsRefusal(err) || w != 0 || h != 0 {
		t.Fatalf("Check = %d, %d, %v", w, h, err)
	}
}

func TestSniffIgnoresNames(t *testing.T) {
	t.Parallel()
	webp := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), make([]byte, 20)...)
	for data, want := range map[string]string{
		string(webp):         "webp",
		"GIF89a......":       "gif",
		"<html>not an image": "",
		"%PDF-1.7":           "",
	} {
		if got := images.Sniff([]byte(data)); got != want {
			t.Errorf("Sniff(%.10q) = %q, want %q", data, got, want)
		}
	}
}
