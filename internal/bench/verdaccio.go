package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// verdaccio is a Verdaccio process started for a run: the npm peer.
type verdaccio struct {
	url, version, node string
	process
}

// verdaccioConfig is the config.yaml of the peer: packages stored under
// dir, users in an htpasswd file there (registration open), every package
// readable by anyone and publishable by a logged-in user, no uplinks (it
// serves only what was published to it), the web UI off, warnings only.
func verdaccioConfig(dir, listen string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // a JSON string is a YAML scalar
	return "# written by artifortress bench npm\n" +
		"storage: " + q(filepath.Join(dir, "storage")) + "\n" +
		"auth:\n" +
		"  htpasswd:\n" +
		"    file: " + q(filepath.Join(dir, "htpasswd")) + "\n" +
		"    max_users: 1000\n" +
		"uplinks: {}\n" +
		"packages:\n" +
		"  '**':\n" +
		"    access: $all\n" +
		"    publish: $authenticated\n" +
		"    unpublish: $authenticated\n" +
		"listen: " + q(listen) + "\n" +
		"web:\n" +
		"  enable: false\n" +
		"log: { type: stdout, format: pretty, level: warn }\n"
}

// freeLoopbackAddr is a TCP address on 127.0.0.1 that was free a moment ago.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// startVerdaccio runs `node bin --config dir/config.yaml` on a free
// loopback port and waits until it answers /-/ping. The caller must call
// stop; the process is also killed if this one dies (Linux).
func startVerdaccio(ctx context.Context, bin, dir string) (*verdaccio, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("verdaccio needs Node.js: %v", err)
	}
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		bin = real
	} else {
		return nil, fmt.Errorf("verdaccio: %v (scripts/bench-npm-peer.sh installs it and prints its path)", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(verdaccioConfig(dir, addr)), 0o644); err != nil {
		return nil, err
	}
	v := &verdaccio{url: "http://" + addr}
	v.version = verdaccioVersion(bin)
	if b, err := exec.CommandContext(ctx, node, "--version").Output(); err == nil {
		v.node = strings.TrimSpace(string(b))
	}
	cmd := exec.Command(node, bin, "--config", cfgPath)
	cmd.Dir = dir
	if v.process, err = startProcess(cmd, filepath.Join(dir, "verdaccio.log")); err != nil {
		return nil, err
	}
	if err := v.waitReady(ctx, "verdaccio", v.url+"/-/ping", time.Minute); err != nil {
		v.stop()
		return nil, err
	}
	return v, nil
}

// verdaccioVersion is the version in the package.json beside bin/.
func verdaccioVersion(bin string) string {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(bin), "..", "package.json"))
	if err != nil {
		return "(version unknown)"
	}
	var pkg struct{ Version string }
	if json.Unmarshal(b, &pkg) != nil || pkg.Version == "" {
		return "(version unknown)"
	}
	return pkg.Version
}

// addUser registers a user (htpasswd, open registration) and returns the
// token Verdaccio issues for it.
func (v *verdaccio) addUser(ctx context.Context, name, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	req, err := http.NewRequestWithContext(ctx, "PUT", v.url+"/-/user/org.couchdb.user:"+name, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct{ Token string }
	if resp.StatusCode != 201 || json.Unmarshal(b, &out) != nil || out.Token == "" {
		return "", fmt.Errorf("verdaccio: create user: %d %s", resp.StatusCode, b)
	}
	return out.Token, nil
}
