package catalog

import (
	"context"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/meta"
)

// PackageDoc is everything package metadata (an npm packument, a PyPI
// project page) shows of a package: its published versions the quarantine
// lane does not hide, their files with checksums, tags and deprecation
// notices, read with one package lookup.
type PackageDoc struct {
	Package  meta.Package
	FullName string
	// Versions are published and visible, in the format's order.
	Versions []meta.Version
	// Files by version id; Tags name versions; Deprecated by version id.
	Files      map[string][]meta.EntrySums
	Tags       []meta.Tag
	Deprecated map[string]string
}

// PackageDoc reads a package's metadata for a reader (role read).
func (s *Service) PackageDoc(ctx context.Context, caller *auth.Principal, repoKey, fullName string) (PackageDoc, error) {
	_, f, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	if err != nil {
		return PackageDoc{}, err
	}
	doc := PackageDoc{Package: p, FullName: f.FullName(p.Namespace, p.Name)}
	vs, err := s.db.ListVersions(ctx, p.ID)
	if err != nil {
		return PackageDoc{}, err
	}
	for _, v := range vs {
		if v.Offered() {
			doc.Versions = append(doc.Versions, v)
		}
	}
	sortVersions(f, doc.Versions)
	if doc.Files, err = s.db.PackageEntries(ctx, p.ID); err != nil {
		return PackageDoc{}, err
	}
	if doc.Tags, err = s.db.ListTags(ctx, p.ID); err != nil {
		return PackageDoc{}, err
	}
	if doc.Deprecated, err = s.db.Deprecations(ctx, p.ID); err != nil {
		return PackageDoc{}, err
	}
	return doc, nil
}

// PackageRef resolves a package of repoKey for a reader (role read), with
// its revision, in one lookup: what a metadata cache compares its copy
// with.
func (s *Service) PackageRef(ctx context.Context, caller *auth.Principal, repoKey, fullName string) (meta.Package, error) {
	_, _, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	return p, err
}
