package catalog

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// visibleStates are the states a caller may see in a repository: readers
// see published versions, writers drafts too, administrators tombstoned
// ones as well.
func visibleStates(caller *auth.Principal, repoKey string) []string {
	states := []string{meta.VersionPublished}
	if caller.Can(repoKey, auth.RoleWrite) {
		states = append(states, meta.VersionDraft)
	}
	if caller.Can(repoKey, auth.RoleAdmin) {
		states = append(states, meta.VersionTombstoned)
	}
	return states
}

// GetByID returns a version with its entries (role read; drafts need write).
func (s *Service) GetByID(ctx context.Context, caller *auth.Principal, repoKey, versionID string) (Version, error) {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleRead)
	if err != nil {
		return Version{}, err
	}
	v, p, err := s.versionIn(ctx, s.db.Q, r, versionID)
	if err != nil {
		return Version{}, err
	}
	if !slices.Contains(visibleStates(caller, repoKey), v.State) {
		return Version{}, versionNotFound(versionID)
	}
	if v.Blocked() {
		return Version{}, s.quarantined(ctx, s.db.Q, "version "+v.Version, v)
	}
	return s.withEntries(ctx, r, v, p)
}

// quarantined is the 423 for a version the quarantine lane hides, with the
// reason it is held, read through q: inside a transaction, its own (a read
// from the pool there could wait for a connection that every open
// transaction holds).
func (s *Service) quarantined(ctx context.Context, q meta.Q, what string, v meta.Version) error {
	it, err := q.QuarantineOf(ctx, v.ID)
	if err != nil {
		return err
	}
	return fault.Quarantined(what, it.Status, it.Reason, it.ID)
}

func (s *Service) withEntries(ctx context.Context, r repo.Repo, v meta.Version, p meta.Package) (Version, error) {
	f, err := s.formatOf(r)
	if err != nil {
		return Version{}, err
	}
	entries, err := s.db.ListEntries(ctx, v.ID)
	if err != nil {
		return Version{}, err
	}
	if entries == nil {
		entries = []meta.Entry{}
	}
	return Version{Row: v, Package: p, FullName: f.FullName(p.Namespace, p.Name), Entries: entries, RestorableUntil: s.restorableUntil(v)}, nil
}

// packageOf resolves a full package name in a repository the caller can read.
func (s *Service) packageOf(ctx context.Context, caller *auth.Principal, repoKey, fullName string, role auth.Role) (repo.Repo, format.Format, meta.Package, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, role)
	if err != nil {
		return repo.Repo{}, nil, meta.Package{}, err
	}
	ns, name, err := f.ParseName(fullName)
	if err != nil {
		return repo.Repo{}, nil, meta.Package{}, fieldError(err)
	}
	p, err := s.db.GetPackage(ctx, repoKey, ns, name)
	if errors.Is(err, meta.ErrNotFound) {
		return repo.Repo{}, nil, meta.Package{}, fault.Coded(fault.KindNotFound, "package_not_found", "package %q not found in repository %q", fullName, repoKey)
	}
	return r, f, p, err
}

// Get returns a version by coordinates, in any spelling the format
// normalises to it (role read; drafts need write).
func (s *Service) Get(ctx context.Context, caller *auth.Principal, repoKey, fullName, version string) (Version, error) {
	r, f, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	if err != nil {
		return Version{}, err
	}
	v, err := versionOf(ctx, s.db.Q, f, p.ID, version)
	if errors.Is(err, meta.ErrNotFound) || (err == nil && !slices.Contains(visibleStates(caller, repoKey), v.State)) {
		return Version{}, fault.Coded(fault.KindNotFound, "version_not_found", "%s has no version %q", fullName, version)
	}
	if err != nil {
		return Version{}, err
	}
	if v.Blocked() {
		return Version{}, s.quarantined(ctx, s.db.Q, fullName+" "+version, v)
	}
	return s.withEntries(ctx, r, v, p)
}

// Versions lists a package's visible versions in the format's order,
// oldest first. Versions the quarantine lane holds are left out.
func (s *Service) Versions(ctx context.Context, caller *auth.Principal, repoKey, fullName string) (meta.Package, string, []meta.Version, error) {
	_, f, p, err := s.packageOf(ctx, caller, repoKey, fullName, auth.RoleRead)
	if err != nil {
		return meta.Package{}, "", nil, err
	}
	vs, err := s.db.ListVersions(ctx, p.ID, visibleStates(caller, repoKey)...)
	if err != nil {
		return meta.Package{}, "", nil, err
	}
	vs = slices.DeleteFunc(vs, meta.Version.Blocked) // hidden, not 423: a list shows what may be installed
	sortVersions(f, vs)
	if vs == nil {
		vs = []meta.Version{}
	}
	return p, f.FullName(p.Namespace, p.Name), vs, nil
}

// sortVersions orders versions by the format's rules, oldest first.
func sortVersions(f format.Format, vs []meta.Version) {
	slices.SortStableFunc(vs, func(a, b meta.Version) int {
		if c := f.CompareVersions(a.Version, b.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
}

// PackageList is one page of packages.
type PackageList struct {
	Packages   []meta.Package
	FullNames  []string
	NextCursor string
}

// ListOptions filter and page a package listing.
type ListOptions struct {
	Namespace, Query string
	Limit            int
	Cursor           string
}

// Packages lists a repository's packages by namespace and name (role read;
// readers see packages with a published version).
func (s *Service) Packages(ctx context.Context, caller *auth.Principal, repoKey string, o ListOptions) (PackageList, error) {
	_, f, err := s.repoFormat(ctx, caller, repoKey, auth.RoleRead)
	if err != nil {
		return PackageList{}, err
	}
	if o.Limit <= 0 || o.Limit > 1000 {
		return PackageList{}, fault.BadRequest("limit", "want 1 to 1000")
	}
	filter := meta.PackageFilter{Repo: repoKey, Namespace: o.Namespace, NameContains: o.Query,
		PublishedOnly: !caller.Can(repoKey, auth.RoleWrite), Limit: o.Limit + 1}
	if o.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(o.Cursor)
		ns, name, ok := strings.Cut(string(raw), "\x00")
		if err != nil || !ok {
			return PackageList{}, fault.BadRequest("cursor", "invalid cursor; pass nextCursor from the previous page unchanged")
		}
		filter.AfterNamespace, filter.AfterName = ns, name
	}
	ps, err := s.db.ListPackages(ctx, filter)
	if err != nil {
		return PackageList{}, err
	}
	out := PackageList{Packages: []meta.Package{}, FullNames: []string{}}
	for i, p := range ps {
		if i == o.Limit {
			last := ps[i-1]
			out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(last.Namespace + "\x00" + last.Name))
			break
		}
		out.Packages = append(out.Packages, p)
		out.FullNames = append(out.FullNames, f.FullName(p.Namespace, p.Name))
	}
	return out, nil
}

// File is an entry of a published version, for download.
type File struct {
	Entry   meta.Entry
	Version Version
	Repo    repo.Repo
}

// File resolves a file of a published version by coordinates (role read).
func (s *Service) File(ctx context.Context, caller *auth.Principal, repoKey, fullName, version, path string) (File, error) {
	v, err := s.Get(ctx, caller, repoKey, fullName, version)
	if err != nil {
		return File{}, err
	}
	if v.Row.State != meta.VersionPublished {
		return File{}, fault.Coded(fault.KindNotFound, "version_not_found", "%s %s is not published", fullName, version)
	}
	for _, e := range v.Entries {
		if e.Path == path {
			r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleRead)
			return File{Entry: e, Version: v, Repo: r}, err
		}
	}
	return File{}, fault.Coded(fault.KindNotFound, "file_not_found", "%s %s has no file %q", fullName, version, path)
}
