package npm

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// publishBody is the document `npm publish` PUTs: the packument of the new
// version, with the tarball base64-encoded inside it. The tarball is never
// held in memory: parsePublish hands it to a callback as a stream while it
// reads the body.
type publishBody struct {
	Name     string
	Versions map[string]json.RawMessage // version → its package.json
	DistTags map[string]string
	// Attachments counts the _attachments entries seen.
	Attachments int
	// Other top-level keys (readme, description, access, …), kept for
	// telling a publish from a metadata update.
	HasAttachments bool
}

// Limits of a publish body's metadata (everything but the tarballs).
const (
	maxMetadataBytes = 16 << 20 // all values but attachment data
	maxDepth         = 64
	// valueCost is charged for every value and key on top of its bytes:
	// what decoding one costs in memory (maps, interfaces, slices), so
	// that many tiny values cannot outgrow the budget.
	valueCost = 64
)

// errBody is the class of a malformed publish body.
var errBody = errors.New("malformed publish body")

func bodyErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBody, fmt.Sprintf(format, args...))
}

// parsePublish reads a publish body from r. Every key but _attachments is
// decoded (within maxMetadataBytes); each attachment's "data" is streamed,
// base64-decoded, to onAttachment(filename, declared length, bytes), which
// must read it to the end or fail. _attachments must come after "versions"
// (npm, pnpm and yarn all send it last), so that onAttachment can check the
// version before any byte is stored.
func parsePublish(r io.Reader, onAttachment func(body *publishBody, file string, length int64, data io.Reader) error) (*publishBody, error) {
	p := &parser{r: bufio.NewReaderSize(r, 64<<10), budget: maxMetadataBytes}
	body := &publishBody{}
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	first := true
	for {
		key, done, err := p.nextKey(&first)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
		switch key {
		case "_attachments":
			if body.Versions == nil {
				return nil, bodyErr("_attachments must follow versions")
			}
			body.HasAttachments = true
			if err := p.attachments(body, onAttachment); err != nil {
				return nil, err
			}
		case "versions":
			v, err := p.value(0)
			if err != nil {
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, bodyErr("versions must be an object")
			}
			body.Versions = map[string]json.RawMessage{}
			for ver, doc := range m {
				if _, ok := doc.(map[string]any); !ok {
					return nil, bodyErr("versions[%q] must be an object", ver)
				}
				raw, err := json.Marshal(doc)
				if err != nil {
					return nil, bodyErr("versions[%q]: %v", ver, err)
				}
				body.Versions[ver] = raw
			}
		case "dist-tags":
			v, err := p.value(0)
			if err != nil {
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, bodyErr("dist-tags must be an object")
			}
			body.DistTags = map[string]string{}
			for tag, ver := range m {
				s, ok := ver.(string)
				if !ok {
					return nil, bodyErr("dist-tags[%q] must be a string", tag)
				}
				body.DistTags[tag] = s
			}
		case "name":
			v, err := p.value(0)
			if err != nil {
				return nil, err
			}
			s, ok := v.(string)
			if !ok {
				return nil, bodyErr("name must be a string")
			}
			body.Name = s
		default:
			if _, err := p.value(0); err != nil {
				return nil, err
			}
		}
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return body, nil
}

// attachments reads the _attachments object, streaming each data string.
func (p *parser) attachments(body *publishBody, on func(*publishBody, string, int64, io.Reader) error) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	first := true
	for {
		file, done, err := p.nextKey(&first)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		body.Attachments++
		if err := p.expect('{'); err != nil {
			return err
		}
		var length int64 = -1
		sawData := false
		inner := true
		for {
			key, done, err := p.nextKey(&inner)
			if err != nil {
				return err
			}
			if done {
				break
			}
			switch key {
			case "data":
				if sawData {
					return bodyErr("attachment %q: data given twice", file)
				}
				sawData = true
				if err := p.expect('"'); err != nil {
					return err
				}
				sr := &stringReader{p: p}
				if err := on(body, file, length, base64Decoder(sr)); err != nil {
					return err
				}
				if err := sr.drain(); err != nil {
					return err
				}
			case "length":
				v, err := p.value(0)
				if err != nil {
					return err
				}
				n, ok := v.(json.Number)
				if !ok {
					return bodyErr("attachment %q: length must be a number", file)
				}
				if length, err = n.Int64(); err != nil || length < 0 {
					return bodyErr("attachment %q: length must be a whole number", file)
				}
			default:
				if _, err := p.value(0); err != nil {
					return err
				}
			}
		}
		if !sawData {
			return bodyErr("attachment %q has no data", file)
		}
	}
}

// parser is a small JSON reader that decodes ordinary values and can
// stream one string.
type parser struct {
	r      *bufio.Reader
	budget int
}

func (p *parser) spend(n int) error {
	p.budget -= n
	if p.budget < 0 {
		return bodyErr("metadata exceeds %d bytes", maxMetadataBytes)
	}
	return nil
}

func (p *parser) byte() (byte, error) {
	c, err := p.r.ReadByte()
	if err == io.EOF {
		return 0, bodyErr("unexpected end of body")
	}
	return c, err
}

// skip returns the next non-space byte.
func (p *parser) skip() (byte, error) {
	for {
		c, err := p.byte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c, nil
	}
}

func (p *parser) expect(want byte) error {
	c, err := p.skip()
	if err != nil {
		return err
	}
	if c != want {
		return bodyErr("want %q, found %q", want, c)
	}
	return nil
}

// end checks that nothing but space follows the document.
func (p *parser) end() error {
	for {
		c, err := p.r.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return bodyErr("data after the document")
		}
	}
}

// nextKey reads the next key of an object whose '{' was read (first true
// before the first key), or reports its end.
func (p *parser) nextKey(first *bool) (string, bool, error) {
	c, err := p.skip()
	if err != nil {
		return "", false, err
	}
	if c == '}' {
		return "", true, nil
	}
	if !*first {
		if c != ',' {
			return "", false, bodyErr("want ',' or '}', found %q", c)
		}
		if c, err = p.skip(); err != nil {
			return "", false, err
		}
	}
	*first = false
	if c != '"' {
		return "", false, bodyErr("want a key, found %q", c)
	}
	if err := p.spend(valueCost); err != nil {
		return "", false, err
	}
	key, err := p.str()
	if err != nil {
		return "", false, err
	}
	if err := p.expect(':'); err != nil {
		return "", false, err
	}
	return key, false, nil
}

// value decodes one value: objects as map[string]any, arrays as []any,
// numbers as json.Number.
func (p *parser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, bodyErr("nested deeper than %d", maxDepth)
	}
	if err := p.spend(valueCost); err != nil {
		return nil, err
	}
	c, err := p.skip()
	if err != nil {
		return nil, err
	}
	switch {
	case c == '{':
		m := map[string]any{}
		first := true
		for {
			k, done, err := p.nextKey(&first)
			if err != nil {
				return nil, err
			}
			if done {
				return m, nil
			}
			if m[k], err = p.value(depth + 1); err != nil {
				return nil, err
			}
		}
	case c == '[':
		a := []any{}
		for i := 0; ; i++ {
			c, err := p.skip()
			if err != nil {
				return nil, err
			}
			if c == ']' {
				return a, nil
			}
			if i > 0 {
				if c != ',' {
					return nil, bodyErr("want ',' or ']', found %q", c)
				}
			} else if err := p.r.UnreadByte(); err != nil {
				return nil, err
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if err := p.spend(8); err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case c == '"':
		return p.str()
	case c == 't' || c == 'f' || c == 'n':
		return p.literal(c)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(c)
	}
	return nil, bodyErr("unexpected %q", c)
}

func (p *parser) literal(c byte) (any, error) {
	want := map[byte]string{'t': "true", 'f': "false", 'n': "null"}[c]
	for i := 1; i < len(want); i++ {
		b, err := p.byte()
		if err != nil {
			return nil, err
		}
		if b != want[i] {
			return nil, bodyErr("invalid literal")
		}
	}
	switch c {
	case 't':
		return true, nil
	case 'f':
		return false, nil
	}
	return nil, nil
}

func (p *parser) number(c byte) (any, error) {
	var sb strings.Builder
	sb.WriteByte(c)
	for {
		b, err := p.r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if !strings.ContainsRune("0123456789+-.eE", rune(b)) {
			if err := p.r.UnreadByte(); err != nil {
				return nil, err
			}
			break
		}
		if sb.Len() > 64 {
			return nil, bodyErr("number too long")
		}
		sb.WriteByte(b)
	}
	n := json.Number(sb.String())
	if _, err := n.Float64(); err != nil {
		return nil, bodyErr("invalid number %q", sb.String())
	}
	return n, p.spend(sb.Len())
}

// str reads the rest of a string whose opening quote was read.
func (p *parser) str() (string, error) {
	var sb strings.Builder
	sr := &stringReader{p: p}
	buf := make([]byte, 512)
	for {
		n, err := sr.Read(buf)
		sb.Write(buf[:n])
		if err := p.spend(n); err != nil {
			return "", err
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if !utf8.ValidString(sb.String()) {
		return "", bodyErr("a string is not valid UTF-8")
	}
	return sb.String(), nil
}

// stringReader streams the contents of a JSON string whose opening quote
// was read, decoding escapes, until its closing quote (then io.EOF). Runs
// without escapes are copied from the read buffer in bulk; an escape whose
// decoded bytes do not fit the caller's buffer is carried to the next Read,
// so a Read never returns (0, nil) (a base64 decoder asking for 1 byte
// would spin on that).
type stringReader struct {
	p     *parser
	done  bool
	carry []byte
}

func (s *stringReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n := copy(b, s.carry)
	s.carry = s.carry[n:]
	for n < len(b) && !s.done {
		if s.p.r.Buffered() == 0 {
			if n > 0 {
				return n, nil // do not block for more while holding bytes
			}
			if _, err := s.p.r.Peek(1); err != nil {
				if err == io.EOF {
					return 0, bodyErr("unexpected end of body")
				}
				return 0, err
			}
		}
		avail, _ := s.p.r.Peek(s.p.r.Buffered())
		i := special(avail)
		m := copy(b[n:], avail[:i])
		_, _ = s.p.r.Discard(m)
		n += m
		if m < i || i == len(avail) {
			continue // b is full, or the buffer is used up: refill
		}
		c := avail[i]
		_, _ = s.p.r.Discard(1)
		switch {
		case c == '"':
			s.done = true
		case c < 0x20:
			return n, bodyErr("control character in a string")
		default:
			dec, err := s.escape()
			if err != nil {
				return n, err
			}
			k := copy(b[n:], dec)
			n += k
			s.carry = append(s.carry[:0], dec[k:]...)
		}
	}
	if n == 0 && s.done {
		return 0, io.EOF
	}
	return n, nil
}

// special is the index of the first byte of b that ends a run of plain
// string bytes (a quote, a backslash, a control character), or len(b).
func special(b []byte) int {
	for i, c := range b {
		if c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return len(b)
}

// escape decodes the escape after a backslash.
func (s *stringReader) escape() ([]byte, error) {
	e, err := s.p.byte()
	if err != nil {
		return nil, err
	}
	switch e {
	case '"', '\\', '/':
		return []byte{e}, nil
	case 'b':
		return []byte{'\b'}, nil
	case 'f':
		return []byte{'\f'}, nil
	case 'n':
		return []byte{'\n'}, nil
	case 'r':
		return []byte{'\r'}, nil
	case 't':
		return []byte{'\t'}, nil
	case 'u':
		r, err := s.hex4()
		if err != nil {
			return nil, err
		}
		if utf16.IsSurrogate(r) {
			// A high surrogate followed by \uDC00–\uDFFF is one rune.
			if next, err := s.p.r.Peek(6); err == nil && next[0] == '\\' && next[1] == 'u' {
				if lo, ok := parseHex4(next[2:6]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					_, _ = s.p.r.Discard(6)
					r = utf16.DecodeRune(r, lo)
				}
			}
		}
		return utf8.AppendRune(nil, r), nil
	}
	return nil, bodyErr("invalid escape \\%c", e)
}

func (s *stringReader) hex4() (rune, error) {
	var h [4]byte
	for i := range h {
		c, err := s.p.byte()
		if err != nil {
			return 0, err
		}
		h[i] = c
	}
	r, ok := parseHex4(h[:])
	if !ok {
		return 0, bodyErr("invalid \\u escape")
	}
	return r, nil
}

func parseHex4(h []byte) (rune, bool) {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// drain reads the string to its end.
func (s *stringReader) drain() error {
	_, err := io.Copy(io.Discard, s)
	return err
}

// base64Decoder decodes the standard base64 of an attachment's data;
// invalid base64 is a malformed body.
func base64Decoder(r io.Reader) io.Reader {
	return &base64Reader{r: base64.NewDecoder(base64.StdEncoding, r)}
}

type base64Reader struct{ r io.Reader }

func (b *base64Reader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var corrupt base64.CorruptInputError
	if errors.As(err, &corrupt) {
		return n, bodyErr("attachment data is not base64: %v", err)
	}
	return n, err
}
