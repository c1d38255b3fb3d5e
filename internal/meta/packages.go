package meta

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Package is a package of a repository.
type Package struct {
	ID          string
	Repo        string
	Format      string
	Namespace   string
	Name        string // normalised per the format
	DisplayName string // the full name as first written
	CreatedAt   time.Time
	// Revision counts the changes to what the package's metadata shows
	// (publish, tombstone, restore, tags, deprecations, the quarantine
	// lane); database triggers bump it in the changing transaction, so a
	// node may keep rendered metadata for as long as it is unchanged.
	Revision int64
}

const packageColumns = "id, repo_key, format, namespace, name, display_name, created_at"

// packageSelect is packageColumns plus the revision, for reads.
const packageSelect = packageColumns + ", revision"

// EnsurePackage returns the package (repo, namespace, name), creating it
// with p's other fields when it does not exist. Concurrent callers get the
// same row. A package that exists costs one statement.
func (q Q) EnsurePackage(ctx context.Context, p Package) (Package, error) {
	if got, err := q.GetPackage(ctx, p.Repo, p.Namespace, p.Name); !errors.Is(err, ErrNotFound) {
		return got, err
	}
	_, err := q.exec(ctx, "INSERT INTO packages ("+packageColumns+") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo_key, namespace, name) DO NOTHING",
		p.ID, p.Repo, p.Format, p.Namespace, p.Name, p.DisplayName, Micros(p.CreatedAt))
	if err != nil {
		return Package{}, err
	}
	return q.GetPackage(ctx, p.Repo, p.Namespace, p.Name)
}

// GetPackage returns a package by coordinates, ErrNotFound if none.
func (q Q) GetPackage(ctx context.Context, repo, namespace, name string) (Package, error) {
	return scanPackage(q.queryRow(ctx, "SELECT "+packageSelect+" FROM packages WHERE repo_key = ? AND namespace = ? AND name = ?", repo, namespace, name))
}

// GetPackageByID returns a package by id, ErrNotFound if none.
func (q Q) GetPackageByID(ctx context.Context, id string) (Package, error) {
	return scanPackage(q.queryRow(ctx, "SELECT "+packageSelect+" FROM packages WHERE id = ?", id))
}

// PackageFilter selects packages of a repository.
type PackageFilter struct {
	Repo          string
	Namespace     string // exact; "" for any
	NameContains  string // substring of the normalised name, ignoring case; "" for any
	PublishedOnly bool   // only packages with a published version
	// AfterNamespace and AfterName are a cursor: only packages ordered after
	// (AfterNamespace, AfterName). Both empty: from the start.
	AfterNamespace, AfterName string
	Limit                     int
}

// ListPackages lists packages ordered by namespace then name.
func (q Q) ListPackages(ctx context.Context, f PackageFilter) ([]Package, error) {
	query := "SELECT " + packageSelect + " FROM packages p WHERE repo_key = ?"
	args := []any{f.Repo}
	if f.Namespace != "" {
		query += " AND namespace = ?"
		args = append(args, f.Namespace)
	}
	if f.NameContains != "" {
		// Both sides lowercased by the same engine, so that a name always
		// matches itself (SQLite's lower folds ASCII only, PostgreSQL's
		// every letter). The scan is the repository's range of the
		// (repo_key, namespace, name) index either way.
		contains := " AND instr(lower(name), lower(?)) > 0"
		if q.d == Postgres {
			contains = " AND strpos(lower(name), lower(?)) > 0"
		}
		query += contains
		args = append(args, f.NameContains)
	}
	if f.PublishedOnly {
		query += " AND EXISTS (SELECT 1 FROM versions v WHERE v.package_id = p.id AND v.state = 'published' AND " + notBlocked + ")"
	}
	if f.AfterNamespace != "" || f.AfterName != "" {
		query += " AND (namespace > ? OR (namespace = ? AND name > ?))"
		args = append(args, f.AfterNamespace, f.AfterNamespace, f.AfterName)
	}
	query += " ORDER BY namespace, name LIMIT ?"
	args = append(args, f.Limit)
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Package
	for rows.Next() {
		p, err := scanPackage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func scanPackage(s scanner) (Package, error) {
	var p Package
	var created int64
	err := s.Scan(&p.ID, &p.Repo, &p.Format, &p.Namespace, &p.Name, &p.DisplayName, &created, &p.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return Package{}, ErrNotFound
	}
	if err != nil {
		return Package{}, err
	}
	p.CreatedAt = FromMicros(created)
	return p, nil
}
