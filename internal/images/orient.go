package images

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
)

// orientation is the EXIF Orientation tag (1–8): how the stored pixels must
// be turned to stand upright. 1 (or none) needs nothing.
type orientation int

func (o orientation) swapsAxes() bool { return o >= 5 && o <= 8 }

// apply returns img turned upright. It works on the small scaled variant,
// never on the original, so turning costs little.
func (o orientation) apply(img draw.Image) draw.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o.swapsAxes() {
		dw, dh = h, w
	}
	var dst draw.Image
	if _, ok := img.(*image.NRGBA); ok {
		dst = image.NewNRGBA(image.Rect(0, 0, dw, dh))
	} else {
		dst = image.NewRGBA(image.Rect(0, 0, dw, dh))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4: // upside down, mirrored
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // turned 90° counter-clockwise: turn it clockwise
				dx, dy = h-1-y, x
			case 7: // transversed
				dx, dy = h-1-y, w-1-x
			case 8: // turned 90° clockwise: turn it counter-clockwise
				dx, dy = y, w-1-x
			}
			dst.Set(dx, dy, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// Orientation reads the EXIF orientation of a JPEG (APP1 "Exif"), a PNG
// (eXIf chunk) or a WebP (EXIF chunk); 1 when there is none or it cannot
// be read. GIF has no EXIF.
func Orientation(format string, data []byte) orientation {
	var tiff []byte
	switch format {
	case "jpeg":
		tiff = jpegExif(data)
	case "png":
		tiff = pngExif(data)
	case "webp":
		tiff = webpExif(data)
	}
	if o := tiffOrientation(tiff); o >= 1 && o <= 8 {
		return orientation(o)
	}
	return 1
}

// jpegExif walks the JPEG's marker segments up to the image data and
// returns the TIFF block of its Exif APP1 segment.
func jpegExif(d []byte) []byte {
	if len(d) < 4 || d[0] != 0xFF || d[1] != 0xD8 {
		return nil
	}
	i := 2
	for i+4 <= len(d) {
		if d[i] != 0xFF {
			return nil
		}
		marker := d[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return nil
		}
		n := int(binary.BigEndian.Uint16(d[i+2:]))
		if n < 2 || i+2+n > len(d) {
			return nil
		}
		seg := d[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

// pngExif returns the payload of a PNG's eXIf chunk.
func pngExif(d []byte) []byte {
	i := 8
	for i+8 <= len(d) {
		n := int(binary.BigEndian.Uint32(d[i:]))
		typ := string(d[i+4 : i+8])
		if n < 0 || i+12+n > len(d) {
			return nil
		}
		if typ == "eXIf" {
			return d[i+8 : i+8+n]
		}
		if typ == "IDAT" || typ == "IEND" {
			// eXIf must come before the image data to be honoured.
			return nil
		}
		i += 12 + n
	}
	return nil
}

// webpExif returns the payload of a WebP's EXIF chunk.
func webpExif(d []byte) []byte {
	if len(d) < 12 {
		return nil
	}
	i := 12
	for i+8 <= len(d) {
		typ := string(d[i : i+4])
		n := int(binary.LittleEndian.Uint32(d[i+4:]))
		if n < 0 || i+8+n > len(d) {
			return nil
		}
		if typ == "EXIF" {
			p := d[i+8 : i+8+n]
			// Some writers keep the JPEG prefix.
			return bytes.TrimPrefix(p, []byte("Exif\x00\x00"))
		}
		i += 8 + n + n%2
	}
	return nil
}

// tiffOrientation reads tag 0x0112 of the first IFD of a TIFF block; 0
// when it is not there.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			return int(bo.Uint16(t[e+8:]))
		}
	}
	return 0
}
