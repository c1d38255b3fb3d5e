// Package pypi serves PyPI repositories: twine's legacy upload form (POST
// {repo}/), the PEP 503 and PEP 691 simple index that pip and uv install
// from, and PEP 658 core-metadata sidecars of wheels.
//
// The parsers here treat every input as hostile: the uploaded file is
// streamed to the caller and never buffered, text fields are bounded, file
// names are checked before anything is stored, and wheels are read without
// trusting their sizes or entry counts. Every error is a *fault.Error with a
// stable code (the Code… constants).
package pypi
