package pypi

// The stable codes of the errors this package returns. Each is carried by a
// *fault.Error whose Kind gives the HTTP status (in brackets).
const (
	// CodeNotMultipart: the upload body is not multipart/form-data with a
	// boundary [415].
	CodeNotMultipart = "pypi_form_not_multipart"
	// CodeFormInvalid: the multipart body is malformed or truncated, a part
	// has no name, a single-valued field is repeated, or the content part is
	// not a file [400].
	CodeFormInvalid = "pypi_form_invalid"
	// CodeFormTooLarge: the text fields together, or the number of parts,
	// exceed Limits [413].
	CodeFormTooLarge = "pypi_form_too_large"
	// CodeUploadTooLarge: the request body was cut off by the server's body
	// limit (an *http.MaxBytesError from the reader) [413].
	CodeUploadTooLarge = "pypi_upload_too_large"
	// CodeFieldTooLarge: one text field exceeds its limit [413].
	CodeFieldTooLarge = "pypi_field_too_large"
	// CodeFieldMissing: a required field (name, version, filetype,
	// metadata_version, :action, pyversion of a wheel) is absent or empty [400].
	CodeFieldMissing = "pypi_field_missing"
	// CodeFieldInvalid: a field's value is not acceptable (invalid project
	// name or version, unknown filetype, not UTF-8, contains NUL) [400].
	CodeFieldInvalid = "pypi_field_invalid"
	// CodeActionUnsupported: :action is not file_upload ("submit",
	// "doc_upload", ...) [400].
	CodeActionUnsupported = "pypi_action_unsupported"
	// CodeProtocolUnsupported: protocol_version is not 1 [400].
	CodeProtocolUnsupported = "pypi_protocol_unsupported"
	// CodeDigestMissing: none of sha256_digest, md5_digest and
	// blake2_256_digest is given [400].
	CodeDigestMissing = "pypi_digest_missing"
	// CodeSdistExists: the release has an sdist already; PyPI takes one
	// per release [400].
	CodeSdistExists = "pypi_sdist_exists"
	// CodeDigestMismatch: the file does not match a digest the form
	// declares [400] (not 409, which twine --skip-existing would take for
	// a file that exists).
	CodeDigestMismatch = "pypi_digest_mismatch"
	// CodeDigestInvalid: a digest is not hex of the right length [400].
	CodeDigestInvalid = "pypi_digest_invalid"
	// CodeMissingContent: there is no content part [400].
	CodeMissingContent = "pypi_missing_content"
	// CodeDuplicateContent: there is more than one content part [400].
	CodeDuplicateContent = "pypi_duplicate_content"
	// CodeContentEmpty: the content part has no bytes [400].
	CodeContentEmpty = "pypi_content_empty"
	// CodeContentUnread: the store callback returned nil without reading
	// the content to its end, a bug in the caller [500].
	CodeContentUnread = "pypi_content_unread"
	// CodeFilenameInvalid: a file name is not a wheel or sdist name, or is
	// unsafe (path separators, "..", control characters, too long) [400].
	CodeFilenameInvalid = "pypi_filename_invalid"
	// CodeFilenameMismatch: a file name's project, version or type differs
	// from the form's name, version or filetype [400].
	CodeFilenameMismatch = "pypi_filename_mismatch"
	// CodeWheelInvalid: a wheel is not a readable zip archive, or its
	// METADATA entry is damaged, ambiguous or uses an unsupported
	// compression [400].
	CodeWheelInvalid = "pypi_wheel_invalid"
	// CodeWheelTooManyEntries: a wheel has more than MaxWheelEntries
	// entries [400].
	CodeWheelTooManyEntries = "pypi_wheel_too_many_entries"
	// CodeMetadataMissing: a wheel has no {name}-{version}.dist-info/METADATA [400].
	CodeMetadataMissing = "pypi_metadata_missing"
	// CodeMetadataTooLarge: a wheel's METADATA exceeds MaxMetadataBytes [413].
	CodeMetadataTooLarge = "pypi_metadata_too_large"
	// CodeNotAcceptable: no media type the simple API serves is acceptable
	// to the client [406].
	CodeNotAcceptable = "not_acceptable"
	// CodeMediaTypeUnknown: WriteProject or WriteIndex was given a media
	// type Negotiate never returns, a bug in the caller [500].
	CodeMediaTypeUnknown = "pypi_media_type_unknown"
)
