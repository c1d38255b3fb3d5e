package pypi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/manifest"
	pyformat "github.com/artifortress/artifortress/internal/format/pypi"
)

// Limits bounds the text of an upload form; the file itself is streamed
// and bounded by the caller. A zero field means its DefaultLimits value.
type Limits struct {
	// FieldBytes bounds one text field's value.
	FieldBytes int64
	// DescriptionBytes bounds the description field's value (a README).
	DescriptionBytes int64
	// TotalBytes bounds the names and values of all text fields together.
	TotalBytes int64
	// Fields bounds the number of parts, the content part included.
	Fields int
}

// DefaultLimits are generous for real packages: PyPI's largest
// descriptions are a few hundred KiB, and twine sends about 30 fields.
var DefaultLimits = Limits{FieldBytes: 64 << 10, DescriptionBytes: 1 << 20, TotalBytes: 4 << 20, Fields: 1000}

func (l Limits) withDefaults() Limits {
	if l.FieldBytes <= 0 {
		l.FieldBytes = DefaultLimits.FieldBytes
	}
	if l.DescriptionBytes <= 0 {
		l.DescriptionBytes = DefaultLimits.DescriptionBytes
	}
	if l.TotalBytes <= 0 {
		l.TotalBytes = DefaultLimits.TotalBytes
	}
	if l.Fields <= 0 {
		l.Fields = DefaultLimits.Fields
	}
	return l
}

// Upload is a parsed legacy upload form (":action=file_upload").
type Upload struct {
	// Name is the project name as given (twine sends setuptools' safe_name
	// of the metadata's Name: "Foo.Bar_baz" arrives as "Foo.Bar-baz");
	// Project is its PEP 503 normal form ("foo-bar-baz").
	Name, Project string
	// Version is the version as given; it is valid PEP 440.
	Version string
	// FileType is FileTypeSdist or FileTypeWheel.
	FileType string
	// PyVersion is the wheel's Python tag as the client reports it ("py3",
	// "cp312"), "source" for an sdist.
	PyVersion string
	// MetadataVersion is the core metadata version ("2.1").
	MetadataVersion string
	// Filename is the content part's file name and Dist its parsed form,
	// checked against Name, Version and FileType.
	Filename string
	Dist     Dist
	// Size is the number of content bytes store read.
	Size int64
	// SHA256, MD5 and Blake2_256 are the digests the client declares, in
	// lowercase hex; "" when not sent (at least one is). ParseUpload does
	// not hash the content: the caller compares them with what its ingest
	// computed.
	SHA256, MD5, Blake2_256 string
	// RequiresPython is the Requires-Python specifier ("" when none).
	RequiresPython string
	// Metadata holds every other non-empty field by form name: core
	// metadata ("summary", "description", "classifiers", "requires_dist",
	// "project_urls", ...) and anything else the client sent ("comment").
	// Repeatable fields keep their order.
	Metadata map[string][]string
}

// Form fields ParseUpload interprets itself, kept out of Upload.Metadata.
const (
	fieldAction          = ":action"
	fieldProtocolVersion = "protocol_version"
	fieldName            = "name"
	fieldVersion         = "version"
	fieldFileType        = "filetype"
	fieldPyVersion       = "pyversion"
	fieldMetadataVersion = "metadata_version"
	fieldSHA256          = "sha256_digest"
	fieldMD5             = "md5_digest"
	fieldBlake2          = "blake2_256_digest"
	fieldRequiresPython  = "requires_python"
	fieldContent         = "content"
	fieldDescription     = "description"
	// fieldGPGSignature is read (within limits) and dropped: PyPI has
	// ignored signatures since 2023 and twine --sign still sends them.
	fieldGPGSignature = "gpg_signature"
)

// singleFields may appear at most once: the ones ParseUpload interprets,
// and core metadata fields that are single-use. Any other field may repeat.
var singleFields = map[string]bool{
	fieldAction: true, fieldProtocolVersion: true, fieldName: true, fieldVersion: true, fieldFileType: true,
	fieldPyVersion: true, fieldMetadataVersion: true, fieldSHA256: true, fieldMD5: true, fieldBlake2: true,
	fieldRequiresPython: true, fieldDescription: true,
	"summary": true, "description_content_type": true, "author": true, "author_email": true,
	"maintainer": true, "maintainer_email": true, "license": true, "license_expression": true,
	"keywords": true, "home_page": true, "download_url": true, "comment": true,
}

// reserved are the fields kept out of Upload.Metadata.
var reserved = map[string]bool{
	fieldAction: true, fieldProtocolVersion: true, fieldName: true, fieldVersion: true, fieldFileType: true,
	fieldPyVersion: true, fieldMetadataVersion: true, fieldSHA256: true, fieldMD5: true, fieldBlake2: true,
	fieldRequiresPython: true, fieldContent: true, fieldGPGSignature: true,
}

// listFields are the multiple-use core metadata fields: always arrays in
// the manifest, even with one value.
var listFields = map[string]bool{
	"classifiers": true, "requires_dist": true, "project_urls": true, "platform": true,
	"supported_platform": true, "provides": true, "requires": true, "obsoletes": true,
	"provides_dist": true, "obsoletes_dist": true, "requires_external": true,
	"provides_extra": true, "provides_extras": true, "dynamic": true,
	"license_file": true, "license_files": true,
}

// fileFields describe one upload, not the release: not in the manifest.
var fileFields = map[string]bool{"comment": true, "attestations": true}

// fieldNameRE bounds form field names to what a metadata key can be.
var fieldNameRE = regexp.MustCompile(`^[A-Za-z0-9:_.-]{1,128}$`)

// metadataVersionRE is the shape internal/format/pypi accepts ("2.1").
var metadataVersionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// ParseUpload reads the multipart/form-data body twine, uv, poetry and
// other clients POST to upload one file (the "legacy" API). contentType is
// the request's Content-Type.
//
// The content part (exactly one, with a filename) is handed to store as a
// stream as soon as it arrives and is never buffered, with the SHA-256 the
// form declared before it (lower-case hex, "" when none yet: the store
// verifies the bytes against it while they stream); store must read it
// to the end or fail, and its error is returned unchanged, unless the body
// itself broke while store read it (truncated, over the server's limit),
// in which case that error is returned. The file name is checked before
// store is called, and against name, version and filetype too when those
// fields come first, as every known client sends them; fields after the
// content part are checked after store returns, so the caller keeps what
// store wrote uncommitted until ParseUpload succeeds.
//
// Text fields are bounded by limits. Every error but store's is a
// *fault.Error with one of the Code… constants.
func ParseUpload(body io.Reader, contentType string, limits Limits, store func(filename, sha256 string, content io.Reader) error) (*Upload, error) {
	limits = limits.withDefaults()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, fault.Coded(fault.KindUnsupportedMedia, CodeNotMultipart,
			"the upload must be multipart/form-data with a boundary, not %q", truncate(contentType, 200))
	}
	src := &sourceReader{r: body}
	p := &formParser{limits: limits, total: limits.TotalBytes, single: map[string]string{}, multi: map[string][]string{}, src: src}
	mr := multipart.NewReader(src, params["boundary"])
	parts := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.bodyError(err)
		}
		parts++
		if parts > limits.Fields {
			return nil, fault.Coded(fault.KindTooLarge, CodeFormTooLarge, "the form has more than %d parts", limits.Fields).With("limit", limits.Fields)
		}
		err = p.part(part, store)
		part.Close()
		if err != nil {
			return nil, err
		}
	}
	if !p.sawContent {
		return nil, fault.Coded(fault.KindBadRequest, CodeMissingContent, "the upload has no content part: send the file as the form field \"content\"").With("field", fieldContent)
	}
	if err := p.check(true); err != nil {
		return nil, err
	}
	return p.upload(), nil
}

// formParser is the state of one ParseUpload.
type formParser struct {
	limits     Limits
	total      int64 // text bytes still allowed
	single     map[string]string
	multi      map[string][]string
	src        *sourceReader
	sawContent bool
	dist       Dist
	filename   string
	size       int64
}

func (p *formParser) part(part *multipart.Part, store func(string, string, io.Reader) error) error {
	disposition, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
	if err != nil || disposition != "form-data" {
		return fault.Coded(fault.KindBadRequest, CodeFormInvalid, "a part has no valid Content-Disposition: form-data header")
	}
	name := params["name"]
	if !fieldNameRE.MatchString(name) {
		return fault.Coded(fault.KindBadRequest, CodeFormInvalid, "a part has the name %q; field names are 1 to 128 ASCII letters, digits and \":_.-\"", truncate(name, 64))
	}
	if name == fieldContent {
		filename, isFile := params["filename"]
		return p.content(part, filename, isFile, store)
	}
	limit := p.limits.FieldBytes
	if name == fieldDescription {
		limit = p.limits.DescriptionBytes
	}
	p.total -= int64(len(name))
	if p.total < 0 {
		return p.tooLarge()
	}
	value, err := io.ReadAll(io.LimitReader(part, min(limit, p.total)+1))
	if err != nil {
		return p.bodyError(err)
	}
	if int64(len(value)) > limit {
		return fault.Coded(fault.KindTooLarge, CodeFieldTooLarge, "the field %q is over its limit of %d bytes", name, limit).With("field", name).With("limit", limit)
	}
	p.total -= int64(len(value))
	if p.total < 0 {
		return p.tooLarge()
	}
	if name == fieldGPGSignature {
		return nil
	}
	if !utf8.Valid(value) {
		return fieldInvalid(name, "is not UTF-8 text")
	}
	if bytes.IndexByte(value, 0) >= 0 {
		return fieldInvalid(name, "contains a NUL character")
	}
	if len(value) == 0 {
		return nil // twine sends an empty string for every metadata field the file lacks
	}
	if singleFields[name] {
		if _, dup := p.single[name]; dup {
			return fault.Coded(fault.KindBadRequest, CodeFormInvalid, "the field %q is given twice; it takes one value", name).With("field", name)
		}
		p.single[name] = string(value)
		return nil
	}
	p.multi[name] = append(p.multi[name], string(value))
	return nil
}

func (p *formParser) tooLarge() error {
	return fault.Coded(fault.KindTooLarge, CodeFormTooLarge, "the form's text fields are over their total limit of %d bytes", p.limits.TotalBytes).With("limit", p.limits.TotalBytes)
}

// content checks the file name and what is known of the upload so far,
// then streams the part to store.
func (p *formParser) content(part *multipart.Part, filename string, isFile bool, store func(string, string, io.Reader) error) error {
	if p.sawContent {
		return fault.Coded(fault.KindBadRequest, CodeDuplicateContent, "the upload has more than one content part; upload one file per request").With("field", fieldContent)
	}
	p.sawContent = true
	if !isFile || filename == "" {
		return fault.Coded(fault.KindBadRequest, CodeFormInvalid, "the content part must be a file: its Content-Disposition has no filename").With("field", fieldContent)
	}
	dist, err := ParseFilename(filename)
	if err != nil {
		return err
	}
	p.dist, p.filename = dist, filename
	if err := p.check(false); err != nil {
		return err
	}
	cr := &contentReader{r: part, p: p}
	err = store(filename, strings.ToLower(p.single[fieldSHA256]), cr)
	if cr.err != nil {
		return cr.err
	}
	if err != nil {
		return err
	}
	var one [1]byte
	if n, err := part.Read(one[:]); n > 0 {
		return fault.Coded(fault.KindInternal, CodeContentUnread, "the content of %s was stored only in part (%d bytes)", filename, cr.n)
	} else if err != io.EOF {
		return p.bodyError(err)
	}
	if cr.n == 0 {
		return fault.Coded(fault.KindBadRequest, CodeContentEmpty, "the file %s is empty", filename).With("field", fieldContent)
	}
	p.size = cr.n
	return nil
}

// contentReader counts the content bytes and turns a broken body into the
// fault ParseUpload reports.
type contentReader struct {
	r   io.Reader
	p   *formParser
	n   int64
	err *fault.Error
}

func (c *contentReader) Read(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(b)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = c.p.bodyError(err)
		return n, c.err
	}
	return n, err
}

// sourceReader remembers the first error of the request body: the
// multipart reader does not always pass it on (a header cut short is
// reported as malformed), and a body over the server's limit must be
// told apart from a malformed one.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// bodyError is the fault for a body the multipart reader cannot read.
func (p *formParser) bodyError(err error) *fault.Error {
	if p.src.err != nil {
		err = p.src.err
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		e := fault.Coded(fault.KindTooLarge, CodeUploadTooLarge, "the upload is over this repository's limit of %d bytes", mbe.Limit).With("limit", mbe.Limit)
		e.Err = err
		return e
	}
	e := fault.Coded(fault.KindBadRequest, CodeFormInvalid, "the multipart body is malformed or truncated: %v", err)
	e.Err = err
	return e
}

func fieldInvalid(field, format string, args ...any) *fault.Error {
	return fault.Coded(fault.KindBadRequest, CodeFieldInvalid, field+" "+format, args...).With("field", field)
}

func fieldMissing(field, why string) *fault.Error {
	return fault.Coded(fault.KindBadRequest, CodeFieldMissing, "the field %s is required: %s", field, why).With("field", field)
}

// check validates the fields seen so far; final also requires the ones
// every upload must have.
func (p *formParser) check(final bool) error {
	s := p.single
	switch action := s[fieldAction]; {
	case action == "" && final:
		return fieldMissing(fieldAction, "send \":action=file_upload\"")
	case action != "" && action != "file_upload":
		return fault.Coded(fault.KindBadRequest, CodeActionUnsupported, ":action %q is not supported; only file_upload is (projects need no registration)", truncate(action, 64)).With("field", fieldAction)
	}
	if v := s[fieldProtocolVersion]; v != "" && v != "1" {
		return fault.Coded(fault.KindBadRequest, CodeProtocolUnsupported, "protocol_version %q is not supported; only 1 is", truncate(v, 64)).With("field", fieldProtocolVersion)
	}
	name, version, filetype := s[fieldName], s[fieldVersion], s[fieldFileType]
	switch {
	case name != "":
		if _, _, err := pyformat.ParseName(name); err != nil {
			return fieldInvalid(fieldName, "%s", fieldMessage(err))
		}
	case final:
		return fieldMissing(fieldName, "the project name")
	}
	switch {
	case version != "":
		if _, err := pyformat.Parse(version); err != nil {
			return fieldInvalid(fieldVersion, "%v", err)
		}
	case final:
		return fieldMissing(fieldVersion, "the PEP 440 version")
	}
	switch filetype {
	case FileTypeSdist, FileTypeWheel:
	case "":
		if final {
			return fieldMissing(fieldFileType, "\"sdist\" or \"bdist_wheel\"")
		}
	default:
		return fieldInvalid(fieldFileType, "%q is not accepted; upload an sdist or a wheel (bdist_wheel)", truncate(filetype, 64))
	}
	if p.filename != "" && name != "" && version != "" && filetype != "" {
		if err := p.dist.Check(name, version, filetype); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		field string
		size  int
	}{{fieldSHA256, 32}, {fieldMD5, 16}, {fieldBlake2, 32}} {
		if v := s[d.field]; v != "" {
			if b, err := hex.DecodeString(v); err != nil || len(b) != d.size {
				return fault.Coded(fault.KindBadRequest, CodeDigestInvalid, "%s %q is not %d hex digits", d.field, truncate(v, 80), 2*d.size).With("field", d.field)
			}
		}
	}
	if mv := s[fieldMetadataVersion]; mv != "" && !metadataVersionRE.MatchString(mv) {
		return fieldInvalid(fieldMetadataVersion, "%q is not a metadata version like \"2.1\"", truncate(mv, 64))
	}
	if !final {
		return nil
	}
	if s[fieldMetadataVersion] == "" {
		return fieldMissing(fieldMetadataVersion, "the core metadata version, like \"2.1\"")
	}
	if s[fieldSHA256] == "" && s[fieldMD5] == "" && s[fieldBlake2] == "" {
		return fault.Coded(fault.KindBadRequest, CodeDigestMissing, "the upload declares no digest; send sha256_digest").With("field", fieldSHA256)
	}
	switch py := s[fieldPyVersion]; {
	case filetype == FileTypeSdist && py != "" && py != "source":
		return fieldInvalid(fieldPyVersion, "is %q; an sdist's pyversion is \"source\"", truncate(py, 64))
	case filetype == FileTypeWheel && py == "":
		return fieldMissing(fieldPyVersion, "the Python tag of the wheel, like \"py3\"")
	}
	return nil
}

// upload builds the result of a parse that passed check(true).
func (p *formParser) upload() *Upload {
	s := p.single
	_, project, _ := pyformat.ParseName(s[fieldName])
	u := &Upload{
		Name: s[fieldName], Project: project, Version: s[fieldVersion], FileType: s[fieldFileType],
		PyVersion: s[fieldPyVersion], MetadataVersion: s[fieldMetadataVersion],
		Filename: p.filename, Dist: p.dist, Size: p.size,
		SHA256: strings.ToLower(s[fieldSHA256]), MD5: strings.ToLower(s[fieldMD5]), Blake2_256: strings.ToLower(s[fieldBlake2]),
		RequiresPython: s[fieldRequiresPython],
		Metadata:       map[string][]string{},
	}
	if u.FileType == FileTypeSdist {
		u.PyVersion = "source"
	}
	for k, v := range s {
		if !reserved[k] {
			u.Metadata[k] = []string{v}
		}
	}
	for k, vs := range p.multi {
		if !reserved[k] {
			u.Metadata[k] = vs
		}
	}
	return u
}

// Manifest returns the version manifest internal/format/pypi validates:
// metadata_version, name, version and requires_python, then every
// Metadata field but the per-file ones (comment, attestations). Multiple-use
// core metadata fields (classifiers, requires_dist, project_urls, ...) and
// any field sent more than once are arrays of strings; the others strings.
func (u *Upload) Manifest() (json.RawMessage, error) {
	m := make(map[string]any, len(u.Metadata)+4)
	for k, vs := range u.Metadata {
		switch {
		case fileFields[k] || len(vs) == 0:
		case listFields[k] || len(vs) > 1:
			m[k] = vs
		default:
			m[k] = vs[0]
		}
	}
	m["metadata_version"] = u.MetadataVersion
	m["name"] = u.Name
	m["version"] = u.Version
	if u.RequiresPython != "" {
		m["requires_python"] = u.RequiresPython
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fault.Coded(fault.KindInternal, "internal", "encoding the manifest: %v", err)
	}
	raw := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(raw) > manifest.MaxBytes {
		return nil, fault.Coded(fault.KindTooLarge, CodeFormTooLarge, "the metadata is %d bytes as JSON; at most %d are accepted", len(raw), manifest.MaxBytes).With("limit", manifest.MaxBytes)
	}
	return raw, nil
}

// fieldMessage is the text of a format.FieldError without its field.
func fieldMessage(err error) string {
	var fe *format.FieldError
	if errors.As(err, &fe) {
		return fe.Message
	}
	return err.Error()
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s...", strings.ToValidUTF8(s[:n], ""))
}
