package meta

import "context"

// Kinds of version refs.
const (
	// RefSubject: the version (an OCI manifest) refers to another
	// manifest as its subject; the referrers API lists it under that
	// digest. The subject need not exist.
	RefSubject = "subject"
)

// Ref is a reference by digest from a version to content it does not hold
// as a file (ADR 0010). Refs are written while the version is a draft and
// frozen with it.
type Ref struct {
	VersionID    string
	Repo         string
	Kind         string
	Digest       string
	ArtifactType string
}

// InsertRef records a draft's ref; ErrExists when it has it already. The
// database refuses refs of versions that are not drafts.
func (q Q) InsertRef(ctx context.Context, r Ref) error {
	_, err := q.exec(ctx, "INSERT INTO version_refs (version_id, repo_key, kind, digest, artifact_type) VALUES (?, ?, ?, ?, ?)",
		r.VersionID, r.Repo, r.Kind, r.Digest, r.ArtifactType)
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// Referrer is a published version that refers to a subject.
type Referrer struct {
	Version
	ArtifactType string
}

// Referrers returns the published versions of package packageID in
// repository repoKey whose subject is digest, ordered by version, only
// those of artifactType when it is set. Held versions are included (with
// their quarantine status): the caller decides what to show.
func (q Q) Referrers(ctx context.Context, repoKey, packageID, digest, artifactType string) ([]Referrer, error) {
	query := "SELECT " + versionSelect + ", r.artifact_type FROM version_refs r JOIN versions ON versions.id = r.version_id" +
		" WHERE r.repo_key = ? AND r.kind = 'subject' AND r.digest = ? AND versions.package_id = ? AND versions.state = 'published'"
	args := []any{repoKey, digest, packageID}
	if artifactType != "" {
		query += " AND r.artifact_type = ?"
		args = append(args, artifactType)
	}
	rows, err := q.query(ctx, query+" ORDER BY versions.version", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Referrer
	for rows.Next() {
		var ref Referrer
		v, err := scanVersion(scanWithExtra{rows, &ref.ArtifactType})
		if err != nil {
			return nil, err
		}
		ref.Version = v
		out = append(out, ref)
	}
	return out, rows.Err()
}

// scanWithExtra scans a row of versionSelect followed by one more column.
type scanWithExtra struct {
	s     scanner
	extra any
}

func (w scanWithExtra) Scan(dest ...any) error { return w.s.Scan(append(dest, w.extra)...) }
