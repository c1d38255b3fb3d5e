package pypi

import (
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/fault"
)

// wantCode fails unless err is a *fault.Error with code (nil when code is "").
func wantCode(t *testing.T, err error, code string) *fault.Error {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return nil
	}
	fe := fault.As(err)
	if fe == nil {
		t.Fatalf("error %v (%T) is not a *fault.Error with code %s", err, err, code)
	}
	if fe.Code != code {
		t.Fatalf("error code %s (%v), want %s", fe.Code, fe, code)
	}
	return fe
}

func TestParseFilename(t *testing.T) {
	tests := []struct {
		in   string
		want Dist
	}{
		{"foo-1.0.tar.gz", Dist{FileType: FileTypeSdist, Name: "foo", Version: "1.0"}},
		{"foo_bar-1.0rc1.tar.gz", Dist{FileType: FileTypeSdist, Name: "foo_bar", Version: "1.0rc1"}},
		{"Foo-Bar-2.0.zip", Dist{FileType: FileTypeSdist, Name: "Foo-Bar", Version: "2.0"}},
		{"zope.interface-6.0.tar.gz", Dist{FileType: FileTypeSdist, Name: "zope.interface", Version: "6.0"}},
		{"foo-1!2.0+local.7.tar.gz", Dist{FileType: FileTypeSdist, Name: "foo", Version: "1!2.0+local.7"}},
		{"foo-1.0-py3-none-any.whl", Dist{FileType: FileTypeWheel, Name: "foo", Version: "1.0", Python: "py3", ABI: "none", Platform: "any"}},
		{"foo_bar-1.0.post1-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
			Dist{FileType: FileTypeWheel, Name: "foo_bar", Version: "1.0.post1", Build: "1", Python: "cp312", ABI: "cp312", Platform: "manylinux_2_17_x86_64.manylinux2014_x86_64"}},
		{"numpy-2.1.0-2abc-pp310-pypy310_pp73-win_amd64.whl",
			Dist{FileType: FileTypeWheel, Name: "numpy", Version: "2.1.0", Build: "2abc", Python: "pp310", ABI: "pypy310_pp73", Platform: "win_amd64"}},
		{"foo-1.0-py2.py3-none-any.whl", Dist{FileType: FileTypeWheel, Name: "foo", Version: "1.0", Python: "py2.py3", ABI: "none", Platform: "any"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseFilename(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Filename = tt.in
			if d != tt.want {
				t.Fatalf("got %+v\nwant %+v", d, tt.want)
			}
		})
	}
}

func TestParseFilenameRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"../foo-1.0.tar.gz",
		"..\\foo-1.0.tar.gz",
		"dir/foo-1.0.tar.gz",
		"/etc/foo-1.0.tar.gz",
		"foo-1.0..tar.gz",
		"foo..bar-1.0.tar.gz",
		".foo-1.0.tar.gz",
		"-foo-1.0.tar.gz",
		"foo-1.0.tar.gz\x00.whl",
		"foo\n-1.0.tar.gz",
		"foo\x7f-1.0.tar.gz",
		"foo bar-1.0.tar.gz",
		"föo-1.0.tar.gz",
		`foo"-1.0.tar.gz`,
		"foo<b>-1.0.tar.gz",
		"foo%2f-1.0.tar.gz",
		strings.Repeat("a", 250) + "-1.0.tar.gz",
		"foo-1.0.tar.bz2",
		"foo-1.0.egg",
		"foo-1.0.exe",
		"foo-1.0",
		"foo.tar.gz",
		"-1.0.tar.gz",
		"foo-.tar.gz",
		"foo-one.tar.gz",
		"foo_-1.0.tar.gz",
		"foo-1.0-py3-none.whl",
		"foo-1.0-1-2-py3-none-any.whl",
		"foo-bar-1.0-py3-none-any.whl",
		"foo-1.0-x-py3-none-any.whl",
		"foo-1.0-py3--any.whl",
		"foo-1.0-py3-none-any+x.whl",
		"foo-one-py3-none-any.whl",
		".whl",
	} {
		t.Run(in, func(t *testing.T) {
			d, err := ParseFilename(in)
			wantCode(t, err, CodeFilenameInvalid)
			if d != (Dist{}) {
				t.Fatalf("a rejected name parsed to %+v", d)
			}
		})
	}
}

func TestDistCheck(t *testing.T) {
	tests := []struct {
		file, name, version, filetype string
		field                         string // "" when it matches
	}{
		{"foo_bar-1.0-py3-none-any.whl", "Foo.Bar", "1.0", FileTypeWheel, ""},
		{"foo_bar-1.0-py3-none-any.whl", "foo-bar", "1.0.0", FileTypeWheel, ""},
		{"Foo.Bar-1.0rc1.tar.gz", "foo_bar", "1.0RC1", FileTypeSdist, ""},
		{"foo-1.0.post1.tar.gz", "foo", "1.0-1", FileTypeSdist, ""},
		{"foo-v1.0.zip", "foo", "1.0", FileTypeSdist, ""},
		{"foo-1.0-py3-none-any.whl", "foo", "1.0", FileTypeSdist, "filetype"},
		{"foo-1.0.tar.gz", "foo", "1.0", FileTypeWheel, "filetype"},
		{"foo-1.0.tar.gz", "foobar", "1.0", FileTypeSdist, "name"},
		{"foo-1.0.tar.gz", "foo-", "1.0", FileTypeSdist, "name"},
		{"foo-1.0.tar.gz", "foo", "1.1", FileTypeSdist, "version"},
		{"foo-1.0.tar.gz", "foo", "1.0+local", FileTypeSdist, "version"},
		{"foo-1.0.tar.gz", "foo", "one", FileTypeSdist, "version"},
		// split at the last "-", as packaging does
		{"foo-1.0-1.tar.gz", "foo", "1.0-1", FileTypeSdist, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.name+" "+tt.version+" "+tt.filetype, func(t *testing.T) {
			d, err := ParseFilename(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			err = d.Check(tt.name, tt.version, tt.filetype)
			if tt.field == "" {
				wantCode(t, err, "")
				return
			}
			fe := wantCode(t, err, CodeFilenameMismatch)
			if fe.Details["field"] != tt.field || fe.Kind != fault.KindBadRequest {
				t.Fatalf("details %v kind %v, want field %s", fe.Details, fe.Kind, tt.field)
			}
		})
	}
}

func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{"foo-1.0.tar.gz", "foo_bar-1.0-1-cp312-abi3-manylinux_2_17_x86_64.whl", "a-1.zip", "../x-1.0.tar.gz", "x-1.0-py3-none-any.whl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseFilename(s)
		if err != nil {
			if fe := fault.As(err); fe == nil || fe.Code != CodeFilenameInvalid {
				t.Fatalf("ParseFilename(%q): error %v is not %s", s, err, CodeFilenameInvalid)
			}
			return
		}
		if d.Filename != s || strings.ContainsAny(s, "/\\\x00") || strings.Contains(s, "..") || len(s) > MaxFilenameLength {
			t.Fatalf("ParseFilename(%q) accepted an unsafe name: %+v", s, d)
		}
		// A file always matches its own name, version and type.
		if err := d.Check(d.Name, d.Version, d.FileType); err != nil {
			t.Fatalf("ParseFilename(%q) = %+v does not match itself: %v", s, d, err)
		}
		// Rebuilding the name from its parts gives it back.
		var rebuilt string
		switch d.FileType {
		case FileTypeWheel:
			parts := []string{d.Name, d.Version}
			if d.Build != "" {
				parts = append(parts, d.Build)
			}
			rebuilt = strings.Join(append(parts, d.Python, d.ABI, d.Platform), "-") + ".whl"
		case FileTypeSdist:
			rebuilt = d.Name + "-" + d.Version + s[len(d.Name)+1+len(d.Version):]
		default:
			t.Fatalf("file type %q", d.FileType)
		}
		if rebuilt != s {
			t.Fatalf("ParseFilename(%q) = %+v rebuilds as %q", s, d, rebuilt)
		}
	})
}
