package formats

import (
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/cargo"
	"github.com/artifortress/artifortress/internal/format/debian"
	"github.com/artifortress/artifortress/internal/format/generic"
	"github.com/artifortress/artifortress/internal/format/gomod"
	"github.com/artifortress/artifortress/internal/format/helm"
	"github.com/artifortress/artifortress/internal/format/maven"
	"github.com/artifortress/artifortress/internal/format/npm"
	"github.com/artifortress/artifortress/internal/format/nuget"
	"github.com/artifortress/artifortress/internal/format/oci"
	"github.com/artifortress/artifortress/internal/format/pypi"
	"github.com/artifortress/artifortress/internal/format/rpm"
	"github.com/artifortress/artifortress/internal/format/rubygems"
)

// registry holds one instance of each format; formats are stateless, so
// sharing them is safe.
var registry = func() map[string]format.Format {
	m := make(map[string]format.Format)
	for _, f := range []format.Format{
		generic.New(), oci.New(), npm.New(), pypi.New(), maven.New(), gomod.New(),
		cargo.New(), nuget.New(), helm.New(), rubygems.New(), debian.New(), rpm.New(),
	} {
		m[f.Name()] = f
	}
	return m
}()

// All returns every format keyed by its Name. The map is a fresh copy the
// caller may keep or change.
func All() map[string]format.Format {
	m := make(map[string]format.Format, len(registry))
	for k, v := range registry {
		m[k] = v
	}
	return m
}

// Lookup returns the format named name ("npm", "go", ...), and false when
// there is none.
func Lookup(name string) (format.Format, bool) {
	f, ok := registry[name]
	return f, ok
}
