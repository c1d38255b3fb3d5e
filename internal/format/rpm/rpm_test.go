package rpm

import (
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	for _, in := range []string{"bash", "NetworkManager", "perl-Text-CSV_XS", "gcc-c++", "python3.11", "kernel-core"} {
		ns, name, err := New().ParseName(in)
		if err != nil || ns != "" || name != in {
			t.Errorf("ParseName(%q) = %q, %q, %v", in, ns, name, err)
		}
	}
	for _, in := range []string{"", ".", "..", "a b", "a/b", "a:b", "ä", "a~b"} {
		_, _, err := New().ParseName(in)
		formattest.FieldError(t, err, "name")
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"1.0", "1.0-1", "1:1.0-1.el9", "5.2.15-2.fc39", "1.0~rc1-0.1", "1.0^git20240101.abcdef-1", "2.0_1-1"} {
		formattest.FieldError(t, New().ValidateVersion(v), "")
	}
	for _, v := range []string{"", "1.0-", "-1", "1.0-1-2", ":1.0", "x:1.0", "1:", "1.0 -1", "1.0-1%", "1.0/1", "99999999999:1.0"} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
}

// TestVercmp is rpm's own tests/rpmvercmp.at table.
func TestVercmp(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0", "1.0", 1},
		{"2.0.1", "2.0.1", 0}, {"2.0", "2.0.1", -1}, {"2.0.1", "2.0", 1},
		{"2.0.1a", "2.0.1a", 0}, {"2.0.1a", "2.0.1", 1}, {"2.0.1", "2.0.1a", -1},
		{"5.5p1", "5.5p1", 0}, {"5.5p1", "5.5p2", -1}, {"5.5p2", "5.5p1", 1},
		{"5.5p10", "5.5p10", 0}, {"5.5p1", "5.5p10", -1}, {"5.5p10", "5.5p1", 1},
		{"10xyz", "10.1xyz", -1}, {"10.1xyz", "10xyz", 1},
		{"xyz10", "xyz10", 0}, {"xyz10", "xyz10.1", -1}, {"xyz10.1", "xyz10", 1},
		{"xyz.4", "xyz.4", 0}, {"xyz.4", "8", -1}, {"8", "xyz.4", 1}, {"xyz.4", "2", -1}, {"2", "xyz.4", 1},
		{"5.5p2", "5.6p1", -1}, {"5.6p1", "5.5p2", 1}, {"5.6p1", "6.5p1", -1}, {"6.5p1", "5.6p1", 1},
		{"6.0.rc1", "6.0", 1}, {"6.0", "6.0.rc1", -1},
		{"10b2", "10a1", 1}, {"10a2", "10b2", -1},
		{"1.0aa", "1.0aa", 0}, {"1.0a", "1.0aa", -1}, {"1.0aa", "1.0a", 1},
		{"10.0001", "10.0001", 0}, {"10.0001", "10.1", 0}, {"10.1", "10.0001", 0},
		{"10.0001", "10.0039", -1}, {"10.0039", "10.0001", 1},
		{"4.999.9", "5.0", -1}, {"5.0", "4.999.9", 1},
		{"20101121", "20101121", 0}, {"20101121", "20101122", -1}, {"20101122", "20101121", 1},
		{"2_0", "2_0", 0}, {"2.0", "2_0", 0}, {"2_0", "2.0", 0},
		{"a", "a", 0}, {"a+", "a+", 0}, {"a+", "a_", 0}, {"a_", "a+", 0},
		{"+a", "+a", 0}, {"+a", "_a", 0}, {"_a", "+a", 0}, {"+_", "+_", 0}, {"_+", "+_", 0}, {"_+", "_", 0},
		{"+", "_", 0}, {"_", "+", 0},
		{"1.0~rc1", "1.0~rc1", 0}, {"1.0~rc1", "1.0", -1}, {"1.0", "1.0~rc1", 1},
		{"1.0~rc1", "1.0~rc2", -1}, {"1.0~rc2", "1.0~rc1", 1},
		{"1.0~rc1~git123", "1.0~rc1~git123", 0}, {"1.0~rc1~git123", "1.0~rc1", -1}, {"1.0~rc1", "1.0~rc1~git123", 1},
		{"1.0^", "1.0^", 0}, {"1.0^", "1.0", 1}, {"1.0", "1.0^", -1},
		{"1.0^git1", "1.0^git1", 0}, {"1.0^git1", "1.0", 1}, {"1.0", "1.0^git1", -1},
		{"1.0^git1", "1.0^git2", -1}, {"1.0^git2", "1.0^git1", 1},
		{"1.0^git1", "1.01", -1}, {"1.01", "1.0^git1", 1},
		{"1.0^20160101", "1.0^20160101", 0}, {"1.0^20160101", "1.0.1", -1}, {"1.0.1", "1.0^20160101", 1},
		{"1.0^20160101^git1", "1.0^20160101^git1", 0}, {"1.0^20160102", "1.0^20160101^git1", 1}, {"1.0^20160101^git1", "1.0^20160102", -1},
		{"1.0~rc1^git1", "1.0~rc1^git1", 0}, {"1.0~rc1^git1", "1.0~rc1", 1}, {"1.0~rc1", "1.0~rc1^git1", -1},
		{"1.0^git1~pre", "1.0^git1~pre", 0}, {"1.0^git1", "1.0^git1~pre", 1}, {"1.0^git1~pre", "1.0^git1", -1},
	}
	for _, tt := range tests {
		if got := formattest.Sign(Vercmp(tt.a, tt.b)); got != tt.want {
			t.Errorf("Vercmp(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestOrder(t *testing.T) {
	formattest.Order(t, New().CompareVersions, []string{
		"1.0~rc1-1",
		"1.0",
		"1.0-0.1",
		"1.0-1",
		"1.0-1.el9",
		"1.0-1.el9_2",
		"1.0-2",
		"1.0-10",
		"1.0^git1-1",
		"1.0a-1",
		"1.0.1-1",
		"1.10-1",
		"2.0-1",
		"1:0.1-1",
		"2:0-1",
	})
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "bash", Version: "5.2.15-2.fc39"}
	ce := format.Coordinates{Name: "bash", Version: "1:5.2.15-2.fc39"}
	tests := []struct {
		name string
		c    format.Coordinates
		raw  string
		want string
	}{
		{"ok", c, `{"name":"bash","version":"5.2.15","release":"2.fc39","arch":"x86_64"}`, ""},
		{"ok epoch 0", c, `{"name":"bash","epoch":0,"version":"5.2.15","release":"2.fc39","arch":"x86_64"}`, ""},
		{"ok epoch number", ce, `{"name":"bash","epoch":1,"version":"5.2.15","release":"2.fc39","arch":"noarch"}`, ""},
		{"ok epoch string", ce, `{"name":"bash","epoch":"1","version":"5.2.15","release":"2.fc39","arch":"src"}`, ""},
		{"missing epoch", ce, `{"name":"bash","version":"5.2.15","release":"2.fc39","arch":"x86_64"}`, "manifest.epoch"},
		{"bad epoch", ce, `{"name":"bash","epoch":-1,"version":"5.2.15","release":"2.fc39","arch":"x86_64"}`, "manifest.epoch"},
		{"epoch bool", ce, `{"name":"bash","epoch":true,"version":"5.2.15","release":"2.fc39","arch":"x86_64"}`, "manifest.epoch"},
		{"wrong name", c, `{"name":"zsh","version":"5.2.15","release":"2.fc39","arch":"x86_64"}`, "manifest.name"},
		{"wrong version", c, `{"name":"bash","version":"5.2.16","release":"2.fc39","arch":"x86_64"}`, "manifest.version"},
		{"wrong release", c, `{"name":"bash","version":"5.2.15","release":"3.fc39","arch":"x86_64"}`, "manifest.release"},
		{"missing release", c, `{"name":"bash","version":"5.2.15","arch":"x86_64"}`, "manifest.release"},
		{"coordinates without release", format.Coordinates{Name: "bash", Version: "5.2.15"}, `{"name":"bash","version":"5.2.15","release":"1","arch":"x86_64"}`, "manifest.release"},
		{"bad arch", c, `{"name":"bash","version":"5.2.15","release":"2.fc39","arch":"x86-64"}`, "manifest.arch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(tt.c, []byte(tt.raw)), tt.want)
		})
	}
}

func FuzzRPMCompare(f *testing.F) {
	for _, s := range []string{"1.0~rc1", "1.0^git1", "1:1.0-1", "5.5p1", "_+", "a", "1.0^git1~pre", "~^"} {
		f.Add(s, "1.0", "1.0-1")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		formattest.Compare(t, Compare, a, b, c)
		// Vercmp takes any string: it must not panic and must stay
		// antisymmetric.
		if formattest.Sign(Vercmp(a, b)) != -formattest.Sign(Vercmp(b, a)) {
			t.Fatalf("Vercmp(%q, %q) is not antisymmetric", a, b)
		}
	})
}
