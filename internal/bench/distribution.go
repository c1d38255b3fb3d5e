package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/registryconf"
)

// DistributionTool is the binary of CNCF Distribution that scripts/test.sh
// installs (v3.1.2, pinned there): the peer of `bench oci`.
const DistributionTool = "registry"

// distribution is a CNCF Distribution registry started for a run.
type distribution struct {
	url, version string
	process
}

// distributionConfig is the peer's config.yml, as the registry's own
// image ships it (filesystem storage, the in-memory blob descriptor cache,
// 8 concurrent tag lookups) with storage under dir, no auth, warnings only
// and no access log (the node under test logs no request either), no
// background purge of uploads, and the given listen address.
func distributionConfig(dir, listen string) ([]byte, error) {
	return registryconf.Config(registryconf.Options{Root: filepath.Join(dir, "storage"), Listen: listen, LogLevel: "warn", ImageDefaults: true})
}

// startDistribution runs `bin serve dir/config.yml` on a free loopback
// port and waits until GET /v2/ answers 200. The caller must call stop;
// the process is also killed if this one dies (Linux).
func startDistribution(ctx context.Context, bin, dir string) (*distribution, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("CNCF Distribution: %v (scripts/test.sh installs it into GOBIN: go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2)", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	cfg, err := distributionConfig(dir, addr)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, err
	}
	d := &distribution{url: "http://" + addr, version: "(version unknown)"}
	if b, err := exec.CommandContext(ctx, path, "--version").Output(); err == nil {
		// "registry github.com/distribution/distribution/v3 v3.1.2+unknown"
		if f := strings.Fields(string(b)); len(f) > 0 {
			d.version = f[len(f)-1]
		}
	}
	cmd := exec.Command(path, "serve", cfgPath)
	cmd.Dir = dir
	cmd.Env = registryconf.Env()
	if d.process, err = startProcess(cmd, filepath.Join(dir, "registry.log")); err != nil {
		return nil, err
	}
	if err := d.waitReady(ctx, "CNCF Distribution", d.url+"/v2/", time.Minute); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}
