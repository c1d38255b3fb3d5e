package npm

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

func publishDoc(data []byte) string {
	return `{"_id":"@a/b","name":"@a/b","description":"x \"quoted\" \u00e9",` +
		`"dist-tags":{"latest":"1.0.0"},` +
		`"versions":{"1.0.0":{"name":"@a/b","version":"1.0.0","n":12.5e3,"ok":true,"none":null,"list":[1,"two",{"three":3}],` +
		`"dist":{"shasum":"x"}}},"access":null,` +
		`"_attachments":{"@a/b-1.0.0.tgz":{"content_type":"application/octet-stream","data":"` + base64.StdEncoding.EncodeToString(data) + `","length":` + strconv.Itoa(len(data)) + `}}}`
}

// TestParsePublishStreamsTheTarball: the metadata is decoded and the
// attachment's bytes reach the callback intact, in order, whatever the
// read sizes.
func TestParsePublishStreamsTheTarball(t *testing.T) {
	data := bytes.Repeat([]byte("tarball bytes \x00\xff "), 50_000) // 1 MB
	var got bytes.Buffer
	var gotFile string
	var gotLen int64
	body, err := parsePublish(iotestOneByte(strings.NewReader(publishDoc(data))), func(b *publishBody, file string, length int64, r io.Reader) error {
		if b.Versions == nil || b.DistTags["latest"] != "1.0.0" {
			t.Errorf("metadata not decoded before the attachment: %+v", b)
		}
		gotFile, gotLen = file, length
		_, err := io.Copy(&got, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) || gotFile != "@a/b-1.0.0.tgz" || gotLen != -1 && gotLen != int64(len(data)) {
		t.Fatalf("attachment: %d bytes (want %d), file %q", got.Len(), len(data), gotFile)
	}
	if body.Name != "@a/b" || body.Attachments != 1 || !strings.Contains(string(body.Versions["1.0.0"]), `"n":12.5e3`) {
		t.Fatalf("body: %+v %s", body, body.Versions["1.0.0"])
	}
}

// iotestOneByte reads one byte at a time, the worst case for a streaming
// parser.
func iotestOneByte(r io.Reader) io.Reader { return &oneByte{r} }

type oneByte struct{ r io.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestParsePublishRefusesMalformedBodies(t *testing.T) {
	good := publishDoc([]byte("tgz"))
	for name, doc := range map[string]string{
		"truncated":              good[:len(good)/2],
		"attachments first":      `{"_attachments":{"a.tgz":{"data":"eA=="}},"versions":{}}`,
		"versions not an object": `{"versions":[],"_attachments":{}}`,
		"data not base64":        `{"versions":{},"_attachments":{"a.tgz":{"data":"***"}}}`,
		"no data":                `{"versions":{},"_attachments":{"a.tgz":{"length":3}}}`,
		"trailing garbage":       good + "x",
		"bad literal":            `{"versions":{},"x":nul}`,
		"control char":           "{\"versions\":{},\"x\":\"a\x01\"}",
		"deep":                   `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		"bad escape":             `{"x":"\q"}`,
		"not an object":          `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parsePublish(strings.NewReader(doc), func(_ *publishBody, _ string, _ int64, r io.Reader) error {
				_, err := io.Copy(io.Discard, r)
				return err
			})
			if err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestParsePublishBoundsMetadata(t *testing.T) {
	doc := `{"readme":"` + strings.Repeat("a", maxMetadataBytes+1) + `"}`
	_, err := parsePublish(strings.NewReader(doc), nil)
	if !errors.Is(err, errBody) || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("oversized metadata: %v", err)
	}
}

func FuzzParsePublish(f *testing.F) {
	f.Add(publishDoc([]byte("tgz")))
	f.Add(`{"versions":{"1.0.0":{}},"_attachments":{"x":{"data":"\u0041\u0041==","length":1}}}`)
	f.Add(`{"a":[1,2,{"b":"\ud83d\ude00"}],"versions":{},"_attachments":{}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		// One byte at a time in and out: the hardest case for the stream.
		_, _ = parsePublish(iotestOneByte(strings.NewReader(doc)), func(_ *publishBody, _ string, _ int64, r io.Reader) error {
			_, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, 1))
			return err
		})
	})
}

// TestParsePublishEscapedBase64: encoders that escape "/" as "\/" (PHP,
// some Java) produce base64 full of escapes; the stream must decode them
// whatever the reader's buffer sizes (a base64 decoder asks for as little
// as one byte).
func TestParsePublishEscapedBase64(t *testing.T) {
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i*7 + i/251) // plenty of '/' in the base64
	}
	enc := strings.ReplaceAll(base64.StdEncoding.EncodeToString(data), "/", `\/`)
	doc := `{"versions":{"1.0.0":{}},"_attachments":{"a.tgz":{"data":"` + enc + `"}}}`
	for _, chunk := range []int{1, 3, 4096, 256 << 10} {
		var got bytes.Buffer
		_, err := parsePublish(strings.NewReader(doc), func(_ *publishBody, _ string, _ int64, r io.Reader) error {
			buf := make([]byte, chunk)
			_, err := io.CopyBuffer(&got, struct{ io.Reader }{r}, buf)
			return err
		})
		if err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("chunk %d: %v, %d of %d bytes", chunk, err, got.Len(), len(data))
		}
	}
}

func TestParsePublishSurrogatesAndCorruptBase64(t *testing.T) {
	body, err := parsePublish(strings.NewReader(`{"versions":{"1.0.0":{"description":"\ud83d\ude00 \u00e9 \ud800x"}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body.Versions["1.0.0"]), "😀 é \ufffdx") {
		t.Fatalf("surrogates: %s", body.Versions["1.0.0"])
	}
	_, err = parsePublish(strings.NewReader(`{"versions":{},"_attachments":{"a.tgz":{"data":"-_-_"}}}`), func(_ *publishBody, _ string, _ int64, r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if !errors.Is(err, errBody) {
		t.Fatalf("corrupt base64: %v", err)
	}
}

// TestParsePublishChargesEveryValue: many tiny values exhaust the
// metadata budget long before they exhaust memory.
func TestParsePublishChargesEveryValue(t *testing.T) {
	doc := `{"readme":[` + strings.Repeat(`{"":null},`, maxMetadataBytes/valueCost) + `{}]}`
	if _, err := parsePublish(strings.NewReader(doc), nil); !errors.Is(err, errBody) {
		t.Fatalf("a flood of tiny values: %v", err)
	}
}
