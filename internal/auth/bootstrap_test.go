package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
)

func countTokens(t *testing.T, db *meta.DB) int {
	t.Helper()
	ts, err := db.ListTokens(context.Background(), meta.TokenFilter{IncludeRevoked: true})
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

func auditRecords(t *testing.T, db *meta.DB) []meta.AuditRecord {
	t.Helper()
	rs, err := db.ListAudit(context.Background(), meta.AuditFilter{OldestFirst: true})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestBootstrapWritesInitialToken(t *testing.T) {
	s, db, _ := newService(t, Options{})
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data") // does not exist yet

	path, err := s.Bootstrap(ctx, dataDir)
	if err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	if want := filepath.Join(dataDir, InitialTokenFile); path != want {
		t.Fatalf("Bootstrap returned %q, want %q", path, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %o, want 600", InitialTokenFile, perm)
	}
	entries, _ := os.ReadDir(dataDir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("data directory holds %q, want only %s (temporary file left behind?)", names, InitialTokenFile)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(raw), "\n") {
		t.Errorf("token file %q does not end with a newline", raw)
	}
	token := strings.TrimSpace(string(raw))
	p, err := s.Authenticate(ctx, token)
	if err != nil {
		t.Fatalf("initial admin token does not authenticate: %v", err)
	}
	if p.Subject != BootstrapSubject || !p.IsAdmin() || p.Source != SourcePAT {
		t.Errorf("initial admin principal = %+v, want subject %q with the admin scope", p, BootstrapSubject)
	}
	stored, err := db.GetToken(ctx, p.TokenID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.ExpiresAt != nil || stored.CreatedBy != "system" || len(stored.Scopes) != 1 || stored.Scopes[0] != GlobalAdmin {
		t.Errorf("stored initial token = %+v, want a never-expiring admin token created by system", stored)
	}
	if strings.Contains(stored.SecretHash, token) {
		t.Error("the stored hash contains the token")
	}
	rs := auditRecords(t, db)
	if len(rs) != 1 || rs[0].Action != "token.issue" || rs[0].Actor != "system" || rs[0].Resource != "token/"+p.TokenID || rs[0].Details["initial"] != true {
		t.Errorf("audit after bootstrap = %+v, want one token.issue by system marked initial", rs)
	}
	if _, secret, _ := splitToken(token); strings.Contains(fmt.Sprint(rs), secret) {
		t.Error("the audit record carries the secret")
	}

	t.Run("second_call_does_nothing", func(t *testing.T) {
		if err := os.Remove(path); err != nil { // even when the operator removed the file
			t.Fatal(err)
		}
		path2, err := s.Bootstrap(ctx, dataDir)
		if err != nil || path2 != "" {
			t.Fatalf("second Bootstrap = %q, %v; want \"\", nil", path2, err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("second Bootstrap recreated the token file (stat err %v)", err)
		}
		if n := countTokens(t, db); n != 1 {
			t.Errorf("%d tokens after a second Bootstrap, want 1", n)
		}
		if n := len(auditRecords(t, db)); n != 1 {
			t.Errorf("%d audit records after a second Bootstrap, want 1", n)
		}
	})

	t.Run("other_node_does_nothing", func(t *testing.T) {
		other := NewService(db, Options{MaxTTL: s.maxTTL})
		otherDir := t.TempDir()
		if path, err := other.Bootstrap(ctx, otherDir); err != nil || path != "" {
			t.Fatalf("Bootstrap on a second node = %q, %v; want \"\", nil", path, err)
		}
		if _, err := os.Stat(filepath.Join(otherDir, InitialTokenFile)); !os.IsNotExist(err) {
			t.Errorf("second node wrote a token file (stat err %v)", err)
		}
	})
}

func TestBootstrapRaceCreatesOneToken(t *testing.T) {
	_, db, _ := newService(t, Options{})
	const nodes = 6
	paths := make([]string, nodes)
	errs := make([]error, nodes)
	dirs := make([]string, nodes)
	for i := range dirs {
		dirs[i] = t.TempDir()
	}
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-begin
			paths[i], errs[i] = NewService(db, Options{}).Bootstrap(context.Background(), dirs[i])
		})
	}
	close(begin)
	wg.Wait()
	created := 0
	for i := range nodes {
		if errs[i] != nil {
			t.Errorf("node %d: %v", i, errs[i])
		}
		_, statErr := os.Stat(filepath.Join(dirs[i], InitialTokenFile))
		if paths[i] != "" {
			created++
			if statErr != nil {
				t.Errorf("node %d returned %q but wrote no file: %v", i, paths[i], statErr)
			}
		} else if statErr == nil {
			t.Errorf("node %d returned \"\" but wrote a token file", i)
		}
	}
	if created != 1 {
		t.Errorf("%d nodes created an initial token, want exactly 1", created)
	}
	if n := countTokens(t, db); n != 1 {
		t.Errorf("%d tokens after racing bootstraps, want 1", n)
	}
}

func TestBootstrapWithConfiguredSecret(t *testing.T) {
	s, db, _ := newService(t, Options{BootstrapToken: "configured-secret-value"})
	dataDir := t.TempDir()
	path, err := s.Bootstrap(context.Background(), dataDir)
	if err != nil || path != "" {
		t.Fatalf("Bootstrap with a configured secret = %q, %v; want \"\", nil", path, err)
	}
	if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
		t.Errorf("Bootstrap with a configured secret wrote %d files", len(entries))
	}
	if n := countTokens(t, db); n != 0 {
		t.Errorf("Bootstrap with a configured secret created %d tokens", n)
	}
	if n := len(auditRecords(t, db)); n != 0 {
		t.Errorf("Bootstrap with a configured secret wrote %d audit records", n)
	}
	if _, err := db.GetState(context.Background(), bootstrapStateKey); err == nil {
		t.Error("Bootstrap with a configured secret marked the store bootstrapped")
	}
}
