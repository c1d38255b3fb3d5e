package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

// member is one entry of a test tarball.
type member struct {
	name, body, link string
	kind             byte
}

// pack builds a gzip-compressed tar of members, as npm pack does.
func pack(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		kind := m.kind
		if kind == 0 {
			kind = tar.TypeReg
		}
		hdr := &tar.Header{Name: m.name, Typeflag: kind, Linkname: m.link, Mode: 0o644}
		if kind == tar.TypeReg {
			hdr.Size = int64(len(m.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, m.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func packageJSON(name, version string) member {
	return member{name: "package/package.json", body: `{"name":"` + name + `","version":"` + version + `","main":"index.js"}`}
}

func TestInspectTarballReadsPackageJSON(t *testing.T) {
	for name, tc := range map[string]struct {
		tgz  []byte
		want Tarball
	}{
		"npm pack layout": {pack(t, packageJSON("@acme/x", "1.2.3"), member{name: "package/index.js", body: "module.exports = 1"}), Tarball{"@acme/x", "1.2.3"}},
		// Old packages were packed under other top-level names; npm
		// strips whatever the first component is.
		"other top directory": {pack(t, member{name: "node-x/package.json", body: `{"name":"x","version":"0.1.0"}`}), Tarball{"x", "0.1.0"}},
		"dot prefix":          {pack(t, member{name: "./package/package.json", body: `{"name":"x","version":"1.0.0"}`}), Tarball{"x", "1.0.0"}},
		"nested package.json ignored": {pack(t, packageJSON("x", "1.0.0"),
			member{name: "package/node_modules/y/package.json", body: `{"name":"y","version":"9.9.9"}`}), Tarball{"x", "1.0.0"}},
		"link inside the package": {pack(t, packageJSON("x", "1.0.0"), member{name: "package/lib/link", kind: tar.TypeSymlink, link: "../index.js"}), Tarball{"x", "1.0.0"}},
		"same package.json twice": {pack(t, packageJSON("x", "1.0.0"), packageJSON("x", "1.0.0")), Tarball{"x", "1.0.0"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := InspectTarball(bytes.NewReader(tc.tgz))
			if err != nil || got != tc.want {
				t.Fatalf("InspectTarball = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestInspectTarballConsumesItsInput: the publish tees the stream into
// the inspector, so it must read to the end, trailing bytes included.
func TestInspectTarballConsumesItsInput(t *testing.T) {
	r := bytes.NewReader(append(pack(t, packageJSON("x", "1.0.0")), "trailing bytes"...))
	if _, err := InspectTarball(r); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Fatalf("%d bytes left unread", r.Len())
	}
}

func TestInspectTarballRefusesBadArchives(t *testing.T) {
	good := pack(t, packageJSON("x", "1.0.0"), member{name: "package/index.js", body: strings.Repeat("x", 4096)})
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-6] ^= 0xff // the gzip CRC
	for name, tgz := range map[string][]byte{
		"not gzip":              []byte("not really gzip, but bytes"),
		"empty":                 nil,
		"truncated gzip":        good[:len(good)/2],
		"gzip checksum":         corrupt,
		"gzip of no tar":        gzipOf(t, []byte("plain text, not a tar archive at all, padded out to more than a block"+strings.Repeat(".", 600))),
		"truncated tar":         gzipOf(t, ungzip(t, good)[:2000]),
		"no end of archive":     gzipOf(t, ungzip(t, good)[:1024+512+4096]),
		"no package.json":       pack(t, member{name: "package/index.js", body: "x"}),
		"package.json at root":  pack(t, member{name: "package.json", body: `{"name":"x","version":"1.0.0"}`}),
		"package.json not JSON": pack(t, member{name: "package/package.json", body: "{"}),
		"version not a string":  pack(t, member{name: "package/package.json", body: `{"name":"x","version":1}`}),
		"disagreeing copies":    pack(t, packageJSON("x", "1.0.0"), packageJSON("evil", "1.0.0")),
		"absolute member":       pack(t, packageJSON("x", "1.0.0"), member{name: "/etc/passwd", body: "x"}),
		"dotdot member":         pack(t, packageJSON("x", "1.0.0"), member{name: "package/../../x", body: "x"}),
		"dotdot after strip":    pack(t, packageJSON("x", "1.0.0"), member{name: "package/../x", body: "x"}),
		"backslash dotdot":      pack(t, packageJSON("x", "1.0.0"), member{name: `package\..\..\x`, body: "x"}),
		"windows drive":         pack(t, packageJSON("x", "1.0.0"), member{name: `C:\x`, body: "x"}),
		"symlink out":           pack(t, packageJSON("x", "1.0.0"), member{name: "package/link", kind: tar.TypeSymlink, link: "../../etc/passwd"}),
		"symlink absolute":      pack(t, packageJSON("x", "1.0.0"), member{name: "package/link", kind: tar.TypeSymlink, link: "/etc/passwd"}),
		"hard link out":         pack(t, packageJSON("x", "1.0.0"), member{name: "package/link", kind: tar.TypeLink, link: "../etc/passwd"}),
		"device":                pack(t, packageJSON("x", "1.0.0"), member{name: "package/dev", kind: tar.TypeChar}),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := InspectTarball(bytes.NewReader(tgz))
			if !errors.Is(err, ErrTarball) {
				t.Fatalf("InspectTarball = %+v, %v; want ErrTarball", got, err)
			}
		})
	}
}

// TestInspectTarballRefusesBombs: a tarball that unpacks past the limit is
// refused however little it weighs packed, and without holding it.
func TestInspectTarballRefusesBombs(t *testing.T) {
	const limit = 1 << 20
	tgz := pack(t, packageJSON("x", "1.0.0"), member{name: "package/zeros", body: strings.Repeat("\x00", limit)})
	if len(tgz) > limit/100 {
		t.Fatalf("the bomb packs to %d bytes", len(tgz))
	}
	_, err := inspect(bytes.NewReader(tgz), limit)
	if !errors.Is(err, ErrTarball) || !strings.Contains(err.Error(), "unpacks to more than") {
		t.Fatalf("err = %v", err)
	}
	if _, err := inspect(bytes.NewReader(tgz), 2*limit); err != nil {
		t.Fatalf("under the limit: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func gzipOf(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	must(t, err)
	must(t, zw.Close())
	return buf.Bytes()
}

func ungzip(t testing.TB, b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	must(t, err)
	out, err := io.ReadAll(zr)
	must(t, err)
	return out
}

// FuzzInspectTarball: any bytes give a Tarball or ErrTarball, never a
// panic or another error, and always the whole input read.
func FuzzInspectTarball(f *testing.F) {
	f.Add(pack(f, packageJSON("x", "1.0.0")))
	f.Add(pack(f, packageJSON("x", "1.0.0"), member{name: "package/link", kind: tar.TypeSymlink, link: "../../x"}))
	f.Add(pack(f, member{name: "package/../x", body: "x"}))
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		_, err := InspectTarball(r)
		if err != nil && !errors.Is(err, ErrTarball) {
			t.Fatalf("error outside ErrTarball: %v", err)
		}
		if err == nil && r.Len() != 0 {
			t.Fatalf("accepted with %d bytes unread", r.Len())
		}
	})
}
