// Package formats registers every package format the catalog knows, keyed
// by the format name repositories use ("npm", "pypi", "go", ...).
package formats
