package blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

func wantChecksums(data []byte) Checksums {
	m, s1, s5 := md5.Sum(data), sha1.Sum(data), sha512.Sum512(data)
	return Checksums{MD5: hex.EncodeToString(m[:]), SHA1: hex.EncodeToString(s1[:]), SHA512: hex.EncodeToString(s5[:])}
}

func TestChecksumsOf(t *testing.T) {
	for _, n := range pipeSizes {
		data := testData(n)
		for name, r := range map[string]io.Reader{
			"whole": bytes.NewReader(data),
			"half":  iotest.HalfReader(bytes.NewReader(data)),
		} {
			got, err := checksumsOf(context.Background(), r)
			if err != nil {
				t.Fatalf("%d bytes, %s: %v", n, name, err)
			}
			if want := wantChecksums(data); got != want {
				t.Errorf("%d bytes, %s: %+v, want %+v", n, name, got, want)
			}
		}
	}
}

func TestChecksumsKnownValues(t *testing.T) {
	// FIPS 180 / RFC 1321 test vectors.
	got, err := checksumsOf(context.Background(), bytes.NewReader([]byte("abc")))
	if err != nil {
		t.Fatal(err)
	}
	want := Checksums{
		MD5:  "900150983cd24fb0d6963f7d28e17f72",
		SHA1: "a9993e364706816aba3e25717850c26c9cd0d89d",
		SHA512: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
			"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	}
	if got != want {
		t.Errorf("checksums of \"abc\" = %+v, want %+v", got, want)
	}
	got, err = checksumsOf(context.Background(), bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.MD5 != "d41d8cd98f00b204e9800998ecf8427e" || got.SHA1 != "da39a3ee5e6b4b0d3255bfef95601890afd80709" ||
		got.SHA512[:16] != "cf83e1357eefb8bd" {
		t.Errorf("checksums of nothing = %+v", got)
	}
}

func TestChecksumsErrors(t *testing.T) {
	broken := errors.New("read failed")
	r := io.MultiReader(bytes.NewReader(testData(chunkSize+5)), iotest.ErrReader(broken))
	if _, err := checksumsOf(context.Background(), r); !errors.Is(err, broken) {
		t.Errorf("checksumsOf = %v, want the read error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := checksumsOf(ctx, bytes.NewReader(testData(10))); !errors.Is(err, context.Canceled) {
		t.Errorf("checksumsOf with a canceled context = %v", err)
	}
}

func BenchmarkChecksums(b *testing.B) {
	data := testData(16 << 20)
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := checksumsOf(context.Background(), bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The peer: the three hashes chained serially over the same bytes.
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			m, s1, s5 := md5.New(), sha1.New(), sha512.New()
			_, _ = io.Copy(io.MultiWriter(m, s1, s5), bytes.NewReader(data))
			_ = fmt.Sprint(m.Sum(nil), s1.Sum(nil), s5.Sum(nil))
		}
	})
}
