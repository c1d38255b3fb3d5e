package pypi

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
	pyformat "github.com/artifortress/artifortress/internal/format/pypi"
)

// MaxMetadataBytes bounds a wheel's METADATA file (PEP 658 sidecar). Real
// ones are a few KiB; the long description makes the largest a few hundred.
const MaxMetadataBytes = 2 << 20

// MaxWheelEntries bounds the entries of a wheel's zip directory. The
// largest wheels on PyPI have a few tens of thousands.
const MaxWheelEntries = 100_000

// Zip record signatures and fixed lengths (APPNOTE.TXT 4.3).
const (
	sigLocal        = 0x04034b50
	sigCentral      = 0x02014b50
	sigEnd          = 0x06054b50
	sigEnd64        = 0x06064b50
	sigEnd64Locator = 0x07064b50
	lenLocal        = 30
	lenCentral      = 46
	lenEnd          = 22
	lenEnd64        = 56
	lenEnd64Locator = 20
	maxCommentLen   = 0xffff
	zip64ExtraID    = 0x0001
	methodStore     = 0
	methodDeflate   = 8
)

// WheelMetadata returns the bytes of dist's {name}-{version}.dist-info/METADATA
// from the wheel (a zip archive of size bytes) r, for the PEP 658
// {file}.metadata sidecar. The .dist-info directory may spell the name and
// version differently from the file name as long as they are equal under
// PEP 503 and PEP 440 ("Foo_Bar-1.0.0.dist-info" for foo_bar-1.0); two such
// METADATA entries are refused as ambiguous.
//
// The archive is hostile: the central directory is walked as a stream
// without holding it (at most MaxWheelEntries entries); METADATA must be
// stored or deflated, at most MaxMetadataBytes once decompressed (the
// decompression stops there, whatever the archive declares), and must
// match its declared size and CRC-32. Errors of r other than a short read
// are returned unchanged; every other error is a *fault.Error.
func WheelMetadata(r io.ReaderAt, size int64, dist Dist) ([]byte, error) {
	if dist.FileType != FileTypeWheel {
		return nil, fault.Coded(fault.KindBadRequest, CodeWheelInvalid, "%s is not a wheel", dist.Filename)
	}
	w := &wheelReader{r: r, size: size, dist: dist}
	dir, err := w.directory()
	if err != nil {
		return nil, err
	}
	if dir.entries > MaxWheelEntries {
		return nil, fault.Coded(fault.KindBadRequest, CodeWheelTooManyEntries, "%s has %d entries; at most %d are accepted", dist.Filename, dir.entries, MaxWheelEntries).
			With("limit", MaxWheelEntries)
	}
	entry, err := w.find(dir)
	if err != nil {
		return nil, err
	}
	return w.extract(entry, dir)
}

type wheelReader struct {
	r    io.ReaderAt
	size int64
	dist Dist
}

// zipDir locates the central directory.
type zipDir struct {
	entries, offset, size uint64
}

// zipEntry is the central directory record of METADATA.
type zipEntry struct {
	name                 string
	flags, method        uint16
	crc                  uint32
	csize, usize, offset uint64
}

func (w *wheelReader) invalid(format string, args ...any) *fault.Error {
	return fault.Coded(fault.KindBadRequest, CodeWheelInvalid, "%s is not a valid wheel: "+format, append([]any{w.dist.Filename}, args...)...).
		With("filename", w.dist.Filename)
}

// readErr turns a short read into an invalid wheel and leaves r's own
// errors alone.
func (w *wheelReader) readErr(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return w.invalid("%s is cut short", what)
	}
	return err
}

// readAt reads exactly len(b) bytes at off, inside the archive.
func (w *wheelReader) readAt(b []byte, off uint64, what string) error {
	if off > uint64(w.size) || uint64(len(b)) > uint64(w.size)-off {
		return w.invalid("%s lies outside the archive", what)
	}
	_, err := w.r.ReadAt(b, int64(off))
	if err == io.EOF {
		err = nil // ReadAt may report EOF with a full read at the end
	}
	if err != nil {
		return w.readErr(err, what)
	}
	return nil
}

// directory reads the end of central directory record (and its zip64
// form when the classic one overflows).
func (w *wheelReader) directory() (zipDir, error) {
	if w.size < lenEnd {
		return zipDir{}, w.invalid("it is %d bytes long, too short for a zip archive", w.size)
	}
	tail := min(w.size, lenEnd+maxCommentLen)
	buf := make([]byte, tail)
	if err := w.readAt(buf, uint64(w.size-tail), "the end of central directory"); err != nil {
		return zipDir{}, err
	}
	pos := -1
	for i := len(buf) - lenEnd; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == sigEnd && i+lenEnd+int(binary.LittleEndian.Uint16(buf[i+20:])) <= len(buf) {
			pos = i
			break
		}
	}
	if pos < 0 {
		return zipDir{}, w.invalid("it is not a zip archive (no end of central directory record)")
	}
	end := buf[pos:]
	if binary.LittleEndian.Uint16(end[4:]) != 0 || binary.LittleEndian.Uint16(end[6:]) != 0 {
		return zipDir{}, w.invalid("multi-disk archives are not supported")
	}
	dir := zipDir{
		entries: uint64(binary.LittleEndian.Uint16(end[10:])),
		size:    uint64(binary.LittleEndian.Uint32(end[12:])),
		offset:  uint64(binary.LittleEndian.Uint32(end[16:])),
	}
	endOffset := uint64(w.size-tail) + uint64(pos)
	if dir.entries == 0xffff || dir.size == 0xffffffff || dir.offset == 0xffffffff {
		if endOffset < lenEnd64Locator {
			return zipDir{}, w.invalid("the zip64 end of central directory locator is missing")
		}
		var loc [lenEnd64Locator]byte
		if err := w.readAt(loc[:], endOffset-lenEnd64Locator, "the zip64 end of central directory locator"); err != nil {
			return zipDir{}, err
		}
		if binary.LittleEndian.Uint32(loc[:]) != sigEnd64Locator {
			return zipDir{}, w.invalid("the zip64 end of central directory locator is missing")
		}
		end64Offset := binary.LittleEndian.Uint64(loc[8:])
		var end64 [lenEnd64]byte
		if err := w.readAt(end64[:], end64Offset, "the zip64 end of central directory"); err != nil {
			return zipDir{}, err
		}
		if binary.LittleEndian.Uint32(end64[:]) != sigEnd64 {
			return zipDir{}, w.invalid("the zip64 end of central directory record is missing")
		}
		dir = zipDir{
			entries: binary.LittleEndian.Uint64(end64[32:]),
			size:    binary.LittleEndian.Uint64(end64[40:]),
			offset:  binary.LittleEndian.Uint64(end64[48:]),
		}
		endOffset = end64Offset
	}
	if dir.offset > endOffset || dir.size > endOffset-dir.offset {
		return zipDir{}, w.invalid("the central directory lies outside the archive")
	}
	return dir, nil
}

// find walks the central directory for the METADATA of w.dist.
func (w *wheelReader) find(dir zipDir) (zipEntry, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(w.r, int64(dir.offset), int64(dir.size)), 32<<10)
	var found *zipEntry
	name := make([]byte, 0, 256)
	var h [lenCentral]byte
	for i := uint64(0); i < dir.entries; i++ {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return zipEntry{}, w.readErr(err, "the central directory")
		}
		if binary.LittleEndian.Uint32(h[:]) != sigCentral {
			return zipEntry{}, w.invalid("central directory entry %d has no valid signature", i)
		}
		nameLen := int(binary.LittleEndian.Uint16(h[28:]))
		extraLen := int(binary.LittleEndian.Uint16(h[30:]))
		commentLen := int(binary.LittleEndian.Uint16(h[32:]))
		name = name[:0]
		if cap(name) < nameLen {
			name = make([]byte, 0, nameLen)
		}
		name = name[:nameLen]
		if _, err := io.ReadFull(br, name); err != nil {
			return zipEntry{}, w.readErr(err, "the central directory")
		}
		if !w.isMetadata(name) {
			if _, err := br.Discard(extraLen + commentLen); err != nil {
				return zipEntry{}, w.readErr(err, "the central directory")
			}
			continue
		}
		if found != nil {
			return zipEntry{}, w.invalid("it has two core metadata files, %s and %s", found.name, name)
		}
		e := zipEntry{
			name:   string(name),
			flags:  binary.LittleEndian.Uint16(h[8:]),
			method: binary.LittleEndian.Uint16(h[10:]),
			crc:    binary.LittleEndian.Uint32(h[16:]),
			csize:  uint64(binary.LittleEndian.Uint32(h[20:])),
			usize:  uint64(binary.LittleEndian.Uint32(h[24:])),
			offset: uint64(binary.LittleEndian.Uint32(h[42:])),
		}
		extra := make([]byte, extraLen)
		if _, err := io.ReadFull(br, extra); err != nil {
			return zipEntry{}, w.readErr(err, "the central directory")
		}
		if err := w.zip64(&e, extra); err != nil {
			return zipEntry{}, err
		}
		if _, err := br.Discard(commentLen); err != nil {
			return zipEntry{}, w.readErr(err, "the central directory")
		}
		found = &e
	}
	if found == nil {
		return zipEntry{}, fault.Coded(fault.KindBadRequest, CodeMetadataMissing, "%s has no %s-%s.dist-info/METADATA", w.dist.Filename, w.dist.Name, w.dist.Version).
			With("filename", w.dist.Filename)
	}
	return *found, nil
}

const metadataSuffix = ".dist-info/METADATA"

// isMetadata reports whether name is {name}-{version}.dist-info/METADATA at
// the top of the archive for w.dist's project and version.
func (w *wheelReader) isMetadata(name []byte) bool {
	if !bytes.HasSuffix(name, []byte(metadataSuffix)) || bytes.Count(name, []byte("/")) != 1 {
		return false
	}
	dir := string(name[:len(name)-len(metadataSuffix)])
	i := strings.LastIndexByte(dir, '-')
	if i < 0 {
		return false
	}
	if dir[:i] != w.dist.Name && pyformat.Normalize(dir[:i]) != pyformat.Normalize(w.dist.Name) {
		return false
	}
	if dir[i+1:] == w.dist.Version {
		return true
	}
	got, err := pyformat.Parse(dir[i+1:])
	if err != nil {
		return false
	}
	want, err := pyformat.Parse(w.dist.Version)
	return err == nil && pyformat.Compare(got, want) == 0
}

// zip64 replaces the overflowed sizes and offset of e with the values of
// its zip64 extra field.
func (w *wheelReader) zip64(e *zipEntry, extra []byte) error {
	needU, needC, needO := e.usize == 0xffffffff, e.csize == 0xffffffff, e.offset == 0xffffffff
	if !needU && !needC && !needO {
		return nil
	}
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			break
		}
		field := extra[:n]
		extra = extra[n:]
		if id != zip64ExtraID {
			continue
		}
		for _, v := range []struct {
			need bool
			dst  *uint64
		}{{needU, &e.usize}, {needC, &e.csize}, {needO, &e.offset}} {
			if !v.need {
				continue
			}
			if len(field) < 8 {
				return w.invalid("the zip64 extra field of %s is too short", e.name)
			}
			*v.dst = binary.LittleEndian.Uint64(field)
			field = field[8:]
		}
		return nil
	}
	return w.invalid("%s has overflowed sizes but no zip64 extra field", e.name)
}

// extract decompresses e, at most MaxMetadataBytes, and checks its size
// and CRC-32.
func (w *wheelReader) extract(e zipEntry, dir zipDir) ([]byte, error) {
	if e.flags&1 != 0 {
		return nil, w.invalid("%s is encrypted", e.name)
	}
	if e.usize > MaxMetadataBytes {
		return nil, w.tooLarge(e)
	}
	var lh [lenLocal]byte
	if err := w.readAt(lh[:], e.offset, "the local header of "+e.name); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(lh[:]) != sigLocal {
		return nil, w.invalid("the local header of %s has no valid signature", e.name)
	}
	start := e.offset + lenLocal + uint64(binary.LittleEndian.Uint16(lh[26:])) + uint64(binary.LittleEndian.Uint16(lh[28:]))
	if start > dir.offset || e.csize > dir.offset-start {
		return nil, w.invalid("the data of %s lies outside the archive", e.name)
	}
	data := io.NewSectionReader(w.r, int64(start), int64(e.csize))
	var src io.Reader
	switch e.method {
	case methodStore:
		src = data
	case methodDeflate:
		fr := flate.NewReader(data)
		defer fr.Close()
		src = fr
	default:
		return nil, w.invalid("%s uses compression method %d; wheels use stored (0) or deflate (8)", e.name, e.method)
	}
	out, err := io.ReadAll(io.LimitReader(src, MaxMetadataBytes+1))
	if err != nil {
		var corrupt flate.CorruptInputError
		if errors.As(err, &corrupt) {
			return nil, w.invalid("%s does not decompress: %v", e.name, err)
		}
		return nil, w.readErr(err, e.name)
	}
	if len(out) > MaxMetadataBytes {
		return nil, w.tooLarge(e)
	}
	if uint64(len(out)) != e.usize {
		return nil, w.invalid("%s is %d bytes, not the %d its directory entry declares", e.name, len(out), e.usize)
	}
	if crc32.ChecksumIEEE(out) != e.crc {
		return nil, w.invalid("%s does not match its CRC-32", e.name)
	}
	return out, nil
}

func (w *wheelReader) tooLarge(e zipEntry) *fault.Error {
	return fault.Coded(fault.KindTooLarge, CodeMetadataTooLarge, "the core metadata %s of %s is over %d bytes", e.name, w.dist.Filename, MaxMetadataBytes).
		With("filename", w.dist.Filename).With("limit", MaxMetadataBytes)
}
