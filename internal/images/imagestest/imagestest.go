// Package imagestest makes the files the image tests upload: pictures with
// EXIF orientation and GPS tags, a pixel bomb's header, a two-frame GIF.
package imagestest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
)

// GPSMarker is a string the EXIF block carries in its GPS data: a served
// variant holding it leaks the uploader's metadata.
const GPSMarker = "GPSSECRET"

// Exif is a little-endian TIFF block with one IFD holding the Orientation
// tag (when orient > 0) and a pointer to a GPS IFD (latitude reference
// "N", then GPSMarker): what a phone writes.
func Exif(orient int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	put := func(v any) { _ = binary.Write(&b, le, v) }
	b.WriteString("II")
	put(uint16(42))
	put(uint32(8))
	entries := 1
	if orient > 0 {
		entries++
	}
	put(uint16(entries))
	if orient > 0 {
		put([]uint16{0x0112, 3})
		put(uint32(1))
		put([]uint16{uint16(orient), 0})
	}
	put([]uint16{0x8825, 4})
	put(uint32(1))
	put(uint32(8 + 2 + 12*entries + 4))
	put(uint32(0))
	put(uint16(1))
	put([]uint16{0x0001, 2})
	put(uint32(2))
	b.WriteString("N\x00\x00\x00")
	put(uint32(0))
	b.WriteString(GPSMarker)
	return b.Bytes()
}

// Halves is w×h with a red left half and a blue right half.
func Halves(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{200, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 200, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes img.
func JPEG(img image.Image) []byte {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, nil)
	return b.Bytes()
}

// PNG encodes img.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// JPEGWithExif inserts an APP1 Exif segment holding tiff after the SOI marker.
func JPEGWithExif(j, tiff []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, j[2:]...)
}

// Chunk is one PNG chunk with its CRC.
func Chunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	_ = binary.Write(&b, binary.BigEndian, crc.Sum32())
	return b.Bytes()
}

// PNGWithExif inserts an eXIf chunk holding tiff right after IHDR.
func PNGWithExif(p, tiff []byte) []byte {
	const ihdrEnd = 8 + 12 + 13
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, Chunk("eXIf", tiff)...)
	return append(out, p[ihdrEnd:]...)
}

// BombHeader is a PNG that claims w×h pixels and holds none.
func BombHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, Chunk("IHDR", ihdr)...)
	out = append(out, Chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, Chunk("IEND", nil)...)
}

// TwoFrameGIF is 40×20: a green first frame, a magenta second.
func TwoFrameGIF() []byte {
	pal := color.Palette{color.RGBA{0, 200, 0, 255}, color.RGBA{200, 0, 200, 255}}
	f1 := image.NewPaletted(image.Rect(0, 0, 40, 20), pal)
	f2 := image.NewPaletted(image.Rect(0, 0, 40, 20), pal)
	for i := range f2.Pix {
		f2.Pix[i] = 1
	}
	var b bytes.Buffer
	_ = gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{10, 10}})
	return b.Bytes()
}

// SolidWebP is a lossless WebP of w×h pixels of one colour: the smallest
// the format allows, as each of its five prefix codes holds one symbol
// (zero bits a pixel).
func SolidWebP(w, h int, c color.NRGBA) []byte {
	var bits bitWriter
	bits.put(uint32(w-1), 14)
	bits.put(uint32(h-1), 14)
	alpha := uint32(0)
	if c.A != 0xff {
		alpha = 1
	}
	bits.put(alpha, 1)
	bits.put(0, 3) // version
	bits.put(0, 1) // no transform
	bits.put(0, 1) // no colour cache
	bits.put(0, 1) // no meta prefix codes
	// The codes of green, red, blue, alpha and distance, in that order.
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bits.put(1, 1) // a simple code
		bits.put(0, 1) // of one symbol
		bits.put(1, 1) // written in 8 bits
		bits.put(uint32(sym), 8)
	}
	return riff(webpChunk("VP8L", append([]byte{0x2f}, bits.bytes()...)))
}

// WebPWithExif is SolidWebP in the extended format (VP8X) with an EXIF
// chunk holding tiff, as a camera app writes it.
func WebPWithExif(w, h int, c color.NRGBA, tiff []byte) []byte {
	simple := SolidWebP(w, h, c)
	vp8x := make([]byte, 10)
	vp8x[0] = 0x08 // EXIF present
	if c.A != 0xff {
		vp8x[0] |= 0x10
	}
	put24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(vp8x[4:], w-1)
	put24(vp8x[7:], h-1)
	return riff(append(append(webpChunk("VP8X", vp8x), simple[12:]...), webpChunk("EXIF", tiff)...))
}

func webpChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(typ)
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	if len(data)%2 == 1 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

func riff(chunks []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(4+len(chunks)))
	b.WriteString("WEBP")
	b.Write(chunks)
	return b.Bytes()
}

// bitWriter packs bits least significant first, as VP8L reads them.
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) put(v uint32, n uint) {
	w.acc |= uint64(v) << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nacc > 0 {
		return append(w.out, byte(w.acc))
	}
	return w.out
}
