package pypi

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/fault"
)

const testMetadata = "Metadata-Version: 2.1\nName: Foo.Bar\nVersion: 1.0rc1\n\nDescription\n"

var testWheel = Dist{Filename: wheelName, FileType: FileTypeWheel, Name: "foo_bar", Version: "1.0rc1", Python: "py3", ABI: "none", Platform: "any"}

// goWheel writes a zip with archive/zip: name → content, deflated.
func goWheel(t testing.TB, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f[1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWheelMetadata(t *testing.T) {
	for _, tt := range []struct{ name, dir string }{
		{"exact", "foo_bar-1.0rc1.dist-info"},
		{"other spelling", "Foo.Bar-1.0.0rc1.dist-info"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := goWheel(t, [2]string{"foo_bar/__init__.py", ""}, [2]string{tt.dir + "/METADATA", testMetadata},
				[2]string{tt.dir + "/WHEEL", "Wheel-Version: 1.0\n"}, [2]string{"other-1.0.dist-info/METADATA", "not this"})
			got, err := WheelMetadata(bytes.NewReader(w), int64(len(w)), testWheel)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != testMetadata {
				t.Fatalf("got %q", got)
			}
		})
	}
	// Stored (not compressed) entries, and a comment after the directory.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "foo_bar-1.0rc1.dist-info/METADATA", Method: zip.Store})
	io.WriteString(w, testMetadata)
	zw.SetComment(strings.Repeat("c", 1000))
	zw.Close()
	got, err := WheelMetadata(bytes.NewReader(buf.Bytes()), int64(buf.Len()), testWheel)
	if err != nil || string(got) != testMetadata {
		t.Fatalf("stored: %q %v", got, err)
	}
}

// rawEntry is one entry of a hand-made zip, for archives archive/zip
// would not write.
type rawEntry struct {
	name     string
	data     []byte // as stored (compressed when method is 8)
	method   uint16
	flags    uint16
	crc      uint32
	usize    uint64
	zip64    bool // sizes and offset in a zip64 extra field
	badLocal bool // local header without its signature
}

func deflate(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(b)
	fw.Close()
	return buf.Bytes()
}

func entry(t testing.TB, name, content string) rawEntry {
	return rawEntry{name: name, data: deflate(t, []byte(content)), method: 8, crc: crc32.ChecksumIEEE([]byte(content)), usize: uint64(len(content))}
}

// rawZip writes entries; declared overrides the entry count of the end
// record (and zip64end makes it a zip64 end record).
func rawZip(entries []rawEntry, declared uint64, zip64end bool) []byte {
	le := binary.LittleEndian
	var out, dir []byte
	for _, e := range entries {
		offset := uint64(len(out))
		local := make([]byte, 30)
		if !e.badLocal {
			le.PutUint32(local, sigLocal)
		}
		le.PutUint16(local[8:], e.method)
		le.PutUint16(local[26:], uint16(len(e.name)))
		out = append(append(append(out, local...), e.name...), e.data...)

		h := make([]byte, 46)
		le.PutUint32(h, sigCentral)
		le.PutUint16(h[8:], e.flags)
		le.PutUint16(h[10:], e.method)
		le.PutUint32(h[16:], e.crc)
		var extra []byte
		if e.zip64 {
			le.PutUint32(h[20:], 0xffffffff)
			le.PutUint32(h[24:], 0xffffffff)
			le.PutUint32(h[42:], 0xffffffff)
			extra = make([]byte, 4+24)
			le.PutUint16(extra, 0x0001)
			le.PutUint16(extra[2:], 24)
			le.PutUint64(extra[4:], e.usize)
			le.PutUint64(extra[12:], uint64(len(e.data)))
			le.PutUint64(extra[20:], offset)
		} else {
			le.PutUint32(h[20:], uint32(len(e.data)))
			le.PutUint32(h[24:], uint32(e.usize))
			le.PutUint32(h[42:], uint32(offset))
		}
		le.PutUint16(h[28:], uint16(len(e.name)))
		le.PutUint16(h[30:], uint16(len(extra)))
		dir = append(append(append(dir, h...), e.name...), extra...)
	}
	dirOffset := uint64(len(out))
	out = append(out, dir...)
	end := make([]byte, 22)
	le.PutUint32(end, sigEnd)
	if zip64end {
		end64Offset := uint64(len(out))
		end64 := make([]byte, 56)
		le.PutUint32(end64, sigEnd64)
		le.PutUint64(end64[32:], declared)
		le.PutUint64(end64[40:], uint64(len(dir)))
		le.PutUint64(end64[48:], dirOffset)
		loc := make([]byte, 20)
		le.PutUint32(loc, sigEnd64Locator)
		le.PutUint64(loc[8:], end64Offset)
		out = append(append(out, end64...), loc...)
		le.PutUint16(end[10:], 0xffff)
		le.PutUint32(end[12:], 0xffffffff)
		le.PutUint32(end[16:], 0xffffffff)
	} else {
		le.PutUint16(end[8:], uint16(declared))
		le.PutUint16(end[10:], uint16(declared))
		le.PutUint32(end[12:], uint32(len(dir)))
		le.PutUint32(end[16:], uint32(dirOffset))
	}
	return append(out, end...)
}

const metaName = "foo_bar-1.0rc1.dist-info/METADATA"

func TestWheelMetadataZip64(t *testing.T) {
	e := entry(t, metaName, testMetadata)
	e.zip64 = true
	z := rawZip([]rawEntry{entry(t, "foo_bar.py", "x"), e}, 2, true)
	got, err := WheelMetadata(bytes.NewReader(z), int64(len(z)), testWheel)
	if err != nil || string(got) != testMetadata {
		t.Fatalf("%q %v", got, err)
	}
}

func TestWheelMetadataHostile(t *testing.T) {
	good := entry(t, metaName, testMetadata)
	bomb := bytes.Repeat([]byte("A"), 4<<20) // deflates to a few KiB
	tests := []struct {
		name string
		zip  []byte
		dist Dist
		code string
	}{
		{"not a zip", []byte("this is not a zip archive at all, just some text"), testWheel, CodeWheelInvalid},
		{"empty", nil, testWheel, CodeWheelInvalid},
		{"sdist", rawZip([]rawEntry{good}, 1, false), Dist{Filename: "foo_bar-1.0rc1.zip", FileType: FileTypeSdist, Name: "foo_bar", Version: "1.0rc1"}, CodeWheelInvalid},
		{"missing", rawZip([]rawEntry{entry(t, "foo_bar.py", "x")}, 1, false), testWheel, CodeMetadataMissing},
		{"other version", rawZip([]rawEntry{entry(t, "foo_bar-1.0.dist-info/METADATA", testMetadata)}, 1, false), testWheel, CodeMetadataMissing},
		{"nested", rawZip([]rawEntry{entry(t, "x/"+metaName, testMetadata)}, 1, false), testWheel, CodeMetadataMissing},
		{"twice", rawZip([]rawEntry{good, entry(t, "Foo.Bar-1.0rc1.dist-info/METADATA", "other")}, 2, false), testWheel, CodeWheelInvalid},
		{"too many entries", rawZip([]rawEntry{good}, MaxWheelEntries+1, true), testWheel, CodeWheelTooManyEntries},
		{"count larger than directory", rawZip([]rawEntry{entry(t, "a", "x")}, 5, false), testWheel, CodeWheelInvalid},
		{"declared too large", rawZip([]rawEntry{{name: metaName, data: deflate(t, []byte("x")), method: 8, usize: MaxMetadataBytes + 1}}, 1, false), testWheel, CodeMetadataTooLarge},
		{"bomb", rawZip([]rawEntry{{name: metaName, data: deflate(t, bomb), method: 8, crc: crc32.ChecksumIEEE(bomb), usize: 100}}, 1, false), testWheel, CodeMetadataTooLarge},
		{"stored too large", rawZip([]rawEntry{{name: metaName, data: bomb[:MaxMetadataBytes+10], method: 0, usize: 100}}, 1, false), testWheel, CodeMetadataTooLarge},
		{"size lies", rawZip([]rawEntry{{name: metaName, data: good.data, method: 8, crc: good.crc, usize: good.usize - 1}}, 1, false), testWheel, CodeWheelInvalid},
		{"crc mismatch", rawZip([]rawEntry{{name: metaName, data: good.data, method: 8, crc: good.crc + 1, usize: good.usize}}, 1, false), testWheel, CodeWheelInvalid},
		{"corrupt deflate", rawZip([]rawEntry{{name: metaName, data: []byte{0xff, 0xff, 0xff, 0xff}, method: 8, usize: 10}}, 1, false), testWheel, CodeWheelInvalid},
		{"truncated deflate", rawZip([]rawEntry{{name: metaName, data: good.data[:len(good.data)/2], method: 8, crc: good.crc, usize: good.usize}}, 1, false), testWheel, CodeWheelInvalid},
		{"bzip2", rawZip([]rawEntry{{name: metaName, data: good.data, method: 12, crc: good.crc, usize: good.usize}}, 1, false), testWheel, CodeWheelInvalid},
		{"encrypted", rawZip([]rawEntry{{name: metaName, data: good.data, method: 8, flags: 1, crc: good.crc, usize: good.usize}}, 1, false), testWheel, CodeWheelInvalid},
		{"bad local header", rawZip([]rawEntry{{name: metaName, data: good.data, method: 8, crc: good.crc, usize: good.usize, badLocal: true}}, 1, false), testWheel, CodeWheelInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WheelMetadata(bytes.NewReader(tt.zip), int64(len(tt.zip)), tt.dist)
			wantCode(t, err, tt.code)
		})
	}

	// Truncations of a good wheel: never a panic, never a wrong answer.
	z := goWheel(t, [2]string{"foo_bar.py", "x"}, [2]string{metaName, testMetadata})
	for n := 0; n < len(z); n++ {
		got, err := WheelMetadata(bytes.NewReader(z[:n]), int64(n), testWheel)
		if err == nil && string(got) != testMetadata {
			t.Fatalf("cut at %d: %q", n, got)
		}
		if err != nil && fault.As(err) == nil {
			t.Fatalf("cut at %d: %v is not a fault", n, err)
		}
	}
	// A size larger than the reader: a short read is an invalid wheel.
	_, err := WheelMetadata(bytes.NewReader(z[:len(z)-30]), int64(len(z)), testWheel)
	wantCode(t, err, CodeWheelInvalid)
}

// errReaderAt fails every read.
type errReaderAt struct{ err error }

func (e errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, e.err }

func TestWheelMetadataReaderError(t *testing.T) {
	errIO := errors.New("blob store unavailable")
	if _, err := WheelMetadata(errReaderAt{errIO}, 1000, testWheel); err != errIO {
		t.Fatalf("got %v, want the reader's own error", err)
	}
}

func FuzzWheelMetadata(f *testing.F) {
	f.Add(goWheel(f, [2]string{"foo_bar.py", "x"}, [2]string{metaName, testMetadata}))
	f.Add(rawZip([]rawEntry{entry(f, "foo_bar.py", "x"), entry(f, metaName, testMetadata)}, 2, false))
	e := entry(f, metaName, testMetadata)
	e.zip64 = true
	f.Add(rawZip([]rawEntry{e}, 1, true))
	f.Fuzz(func(t *testing.T, z []byte) {
		got, err := WheelMetadata(bytes.NewReader(z), int64(len(z)), testWheel)
		if err != nil {
			if fault.As(err) == nil {
				t.Fatalf("error %v is not a fault", err)
			}
			return
		}
		if len(got) > MaxMetadataBytes {
			t.Fatalf("%d bytes of metadata", len(got))
		}
	})
}
