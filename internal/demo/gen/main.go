// Command gen draws the demo products' pictures into ../images: simple
// shapes and gradients, made by the project (nothing copied), small enough
// to ship in the repository. Run it with `go generate ./internal/demo`.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
)

const size = 960

// shade is one picture: the colour of each point, x and y in [0, 1).
type shade func(x, y float64) color.RGBA

func main() {
	out := "images"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	pictures := map[string]shade{
		"mug.jpg":      mug,
		"tote.jpg":     tote,
		"stickers.jpg": stickers,
		"poster.jpg":   poster,
	}
	for name, f := range pictures {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, render(f), &jpeg.Options{Quality: 78}); err != nil {
			fail(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), b.Bytes(), 0o644); err != nil {
			fail(err)
		}
		fmt.Printf("%s: %d bytes\n", name, b.Len())
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

// render samples f four times a pixel, so edges are smooth.
func render(f shade) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b float64
			for _, o := range [][2]float64{{.25, .25}, {.75, .25}, {.25, .75}, {.75, .75}} {
				c := f((float64(px)+o[0])/size, (float64(py)+o[1])/size)
				r, g, b = r+float64(c.R), g+float64(c.G), b+float64(c.B)
			}
			img.SetRGBA(px, py, color.RGBA{uint8(r / 4), uint8(g / 4), uint8(b / 4), 255})
		}
	}
	return img
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	l := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }

// backdrop is a soft vertical gradient with a floor shadow under x=0.5.
func backdrop(top, bottom color.RGBA, x, y float64) color.RGBA {
	c := mix(top, bottom, y)
	if y > 0.78 {
		d := math.Hypot((x-0.5)/0.32, (y-0.8)/0.035)
		if d < 1 {
			c = mix(c, rgb(0, 0, 0), 0.18*(1-d))
		}
	}
	return c
}

// mug: a speckled enamel mug with a handle.
func mug(x, y float64) color.RGBA {
	c := backdrop(rgb(235, 241, 236), rgb(196, 214, 201), x, y)
	if x > 0.3 && x < 0.7 && y > 0.3 && y < 0.8 {
		base := mix(rgb(44, 99, 140), rgb(30, 70, 104), (x-0.3)/0.4)
		// white speckles
		if math.Sin(x*310)*math.Sin(y*270)*math.Sin((x+y)*190) > 0.8 {
			base = rgb(236, 240, 242)
		}
		// the rim
		if y < 0.33 {
			base = rgb(224, 230, 233)
		}
		return base
	}
	// the handle: a ring to the right of the body
	if d := math.Hypot((x-0.69)/0.13, (y-0.52)/0.15); d < 1 && d > 0.62 {
		return rgb(37, 84, 120)
	}
	return c
}

// tote: a canvas bag with long handles and a stitched band.
func tote(x, y float64) color.RGBA {
	c := backdrop(rgb(247, 238, 224), rgb(226, 205, 176), x, y)
	if d := math.Hypot((x-0.5)/0.17, (y-0.34)/0.24); d < 1 && d > 0.86 && y < 0.36 {
		return rgb(120, 92, 58)
	}
	// the bag narrows a little towards the top
	half := 0.22 + (y-0.36)*0.12
	if y > 0.36 && y < 0.8 && math.Abs(x-0.5) < half {
		base := mix(rgb(232, 221, 196), rgb(208, 193, 162), (y-0.36)/0.44)
		if math.Mod(x*220+y*30, 2) < 0.25 {
			base = mix(base, rgb(0, 0, 0), 0.04) // weave
		}
		if y > 0.5 && y < 0.58 {
			base = rgb(196, 84, 60)
			if math.Abs(y-0.505) < 0.003 || math.Abs(y-0.575) < 0.003 {
				base = rgb(245, 230, 210)
			}
		}
		return base
	}
	return c
}

// stickers: six round and star-shaped stickers on a blue ground.
func stickers(x, y float64) color.RGBA {
	c := mix(rgb(56, 72, 128), rgb(38, 48, 92), y)
	spots := []struct {
		x, y, r float64
		col     color.RGBA
		star    bool
	}{
		{0.28, 0.28, 0.16, rgb(250, 204, 66), true},
		{0.7, 0.26, 0.14, rgb(235, 94, 85), false},
		{0.5, 0.52, 0.15, rgb(110, 200, 160), false},
		{0.25, 0.72, 0.13, rgb(248, 150, 200), false},
		{0.74, 0.7, 0.17, rgb(140, 180, 250), true},
		{0.5, 0.86, 0.07, rgb(250, 250, 250), false},
	}
	for _, s := range spots {
		dx, dy := x-s.x, y-s.y
		r := s.r
		if s.star {
			a := math.Atan2(dy, dx)
			r *= 0.72 + 0.28*math.Cos(5*a)
		}
		d := math.Hypot(dx, dy)
		switch {
		case d < r*0.86:
			return mix(s.col, rgb(255, 255, 255), 0.15*(1-d/r))
		case d < r:
			return rgb(252, 252, 252) // the white die-cut border
		}
	}
	return c
}

// poster: mountains at dusk under a low sun.
func poster(x, y float64) color.RGBA {
	c := backdrop(rgb(60, 58, 70), rgb(40, 38, 48), x, y)
	if x < 0.2 || x > 0.8 || y < 0.12 || y > 0.84 {
		return c
	}
	if x < 0.225 || x > 0.775 || y < 0.145 || y > 0.815 {
		return rgb(245, 240, 230) // the paper's margin
	}
	sky := mix(rgb(250, 170, 110), rgb(120, 90, 160), 1-(y-0.145)/0.5)
	if math.Hypot(x-0.58, y-0.46) < 0.07 {
		sky = rgb(255, 228, 160)
	}
	far := 0.52 - 0.1*math.Abs(math.Sin(x*9.0+1.2)) - 0.04*math.Sin(x*23)
	near := 0.64 - 0.12*math.Abs(math.Sin(x*6.0+0.3))
	switch {
	case y > near:
		return mix(rgb(48, 40, 70), rgb(28, 24, 44), (y-near)/0.2)
	case y > far:
		return mix(rgb(96, 72, 120), rgb(70, 56, 98), (y-far)/0.2)
	}
	return sky
}
