package bench

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/artifortress/artifortress/internal/config"
)

// NPMOptions select what `bench npm` measures.
type NPMOptions struct {
	Packages    int           // packages published to each registry
	Versions    int           // versions of each package
	Concurrency []int         // concurrency levels of the GET cells
	Duration    time.Duration // how long each cell runs
	// Verdaccio is the path of Verdaccio's bin/verdaccio, run with node as
	// the peer; empty measures Artifortress alone.
	Verdaccio string
}

// DefaultNPMOptions are the figures issue 6 names: 200 packages.
func DefaultNPMOptions() NPMOptions {
	return NPMOptions{Packages: 200, Versions: 3, Concurrency: []int{1, 16}, Duration: 5 * time.Second}
}

// npmMetadataTarget is how many times Verdaccio's packument requests/s
// Artifortress is to serve.
const npmMetadataTarget = 5.0

const npmRepo = "npm-bench"

func npmPackageName(p int) string { return fmt.Sprintf("bench-pkg-%03d", p) }
func npmVersion(v int) string     { return fmt.Sprintf("1.%d.0", v) }

// npmTarball is version v of package p's tarball, as npm pack makes it
// (Artifortress unpacks a published tarball to check it): its
// package.json and 4–15 KiB of deterministic pseudo-random bytes, which
// gzip cannot shrink, so the tarball is 4–16 KiB.
func npmTarball(p, v int) []byte {
	seed := uint64(p)<<16 | uint64(v) + 1
	size := 4<<10 + int64(splitmix(seed)%(11<<10+1))
	data, _ := io.ReadAll(newGen(seed, size))
	manifest, _ := json.Marshal(map[string]string{"name": npmPackageName(p), "version": npmVersion(v)})
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		body []byte
	}{{"package/package.json", manifest}, {"package/data.bin", data}} {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Size: int64(len(f.body)), Mode: 0o644})
		_, _ = tw.Write(f.body)
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// splitmix is SplitMix64's output function: a cheap, well-mixed hash used
// to pick "random" packages from an operation's index.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// npmPublishBody is the body npm publish sends for one new version: the
// package document with the version's package.json (dist with integrity,
// shasum and the tarball's URL) and the tarball as a base64 attachment,
// which comes last (Artifortress streams it from the body).
func npmPublishBody(name, version, tarballURL string, tgz []byte) []byte {
	type dist struct {
		Integrity string `json:"integrity"`
		Shasum    string `json:"shasum"`
		Tarball   string `json:"tarball"`
	}
	type versionDoc struct {
		Name        string `json:"name"`
		Version     string `json:"version"`
		Description string `json:"description"`
		Dist        dist   `json:"dist"`
	}
	type attachment struct {
		ContentType string `json:"content_type"`
		Data        string `json:"data"`
		Length      int    `json:"length"`
	}
	sha1sum := sha1.Sum(tgz)
	sha512sum := sha512.Sum512(tgz)
	body := struct {
		ID          string                `json:"_id"`
		Name        string                `json:"name"`
		Description string                `json:"description"`
		DistTags    map[string]string     `json:"dist-tags"`
		Versions    map[string]versionDoc `json:"versions"`
		Attachments map[string]attachment `json:"_attachments"`
	}{
		ID: name, Name: name, Description: "bench package " + name,
		DistTags: map[string]string{"latest": version},
		Versions: map[string]versionDoc{version: {
			Name: name, Version: version, Description: "bench package " + name,
			Dist: dist{
				Integrity: "sha512-" + base64.StdEncoding.EncodeToString(sha512sum[:]),
				Shasum:    hex.EncodeToString(sha1sum[:]),
				Tarball:   tarballURL,
			},
		}},
		Attachments: map[string]attachment{name + "-" + version + ".tgz": {
			ContentType: "application/octet-stream",
			Data:        base64.StdEncoding.EncodeToString(tgz),
			Length:      len(tgz),
		}},
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // only strings and ints
	}
	return b
}

// npmRegistry is one registry under test.
type npmRegistry struct {
	name     string
	base     string // the registry's root URL, without a trailing slash
	readAuth string // Authorization header of the GETs ("" anonymous)
	pubAuth  string // Authorization header of publishes
	client   *http.Client
}

func newNPMClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
}

func (r *npmRegistry) tarballURL(name, version string) string {
	return r.base + "/" + name + "/-/" + name + "-" + version + ".tgz"
}

func (r *npmRegistry) publish(ctx context.Context, name, version string, tgz []byte) error {
	body := npmPublishBody(name, version, r.tarballURL(name, version), tgz)
	req, err := http.NewRequestWithContext(ctx, "PUT", r.base+"/"+name, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", r.pubAuth)
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 && resp.StatusCode != 201 {
		return fmt.Errorf("%s: publish %s@%s: %d %s", r.name, name, version, resp.StatusCode, b)
	}
	return nil
}

// publishAll publishes every version of every package, the versions of
// one package in order and 4 packages at a time.
func (r *npmRegistry) publishAll(ctx context.Context, packages, versions int, tarballs [][][]byte) (result, error) {
	return run(packages, 4, func(p int) (int64, error) {
		var n int64
		for v := range versions {
			if err := r.publish(ctx, npmPackageName(p), npmVersion(v), tarballs[p][v]); err != nil {
				return n, err
			}
			n += int64(len(tarballs[p][v]))
		}
		return n, nil
	})
}

// get reads path (relative to the registry's root) to the end and returns
// its length.
func (r *npmRegistry) get(ctx context.Context, path, accept string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", r.base+path, nil)
	if err != nil {
		return 0, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if r.readAuth != "" {
		req.Header.Set("Authorization", r.readAuth)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != 200 {
		return n, fmt.Errorf("%s: GET %s: %d", r.name, path, resp.StatusCode)
	}
	return n, nil
}

// npmLoad is one kind of request: op i asks for path(i).
type npmLoad struct {
	name   string
	accept string
	// path is the request of operation i, and the length its body must
	// have (-1: any).
	path func(i int) (string, int64)
}

const abbreviatedAccept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"

func npmLoads(packages, versions int, tarballSize func(p, v int) int64) []npmLoad {
	pick := func(i int) (p, v int) {
		h := splitmix(uint64(i))
		return int(h % uint64(packages)), int(h >> 32 % uint64(versions))
	}
	packument := func(i int) (string, int64) {
		p, _ := pick(i)
		return "/" + npmPackageName(p), -1
	}
	return []npmLoad{
		{name: "packument (full)", accept: "application/json", path: packument},
		{name: "packument (abbreviated)", accept: abbreviatedAccept, path: packument},
		{name: "tarball", path: func(i int) (string, int64) {
			p, v := pick(i)
			name := npmPackageName(p)
			return "/" + name + "/-/" + name + "-" + npmVersion(v) + ".tgz", tarballSize(p, v)
		}},
	}
}

// measure runs load against r at concurrency conc for d. Operation
// indexes continue from offset, so that successive cells ask for
// different packages.
func (r *npmRegistry) measure(ctx context.Context, load npmLoad, conc int, d time.Duration, offset int) (result, error) {
	deadline := time.Now().Add(d)
	res, err := run(1<<30, conc, func(i int) (int64, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if time.Now().After(deadline) {
			return 0, errStop
		}
		path, want := load.path(offset + i)
		n, err := r.get(ctx, path, load.accept)
		if err == nil && want >= 0 && n != want {
			err = fmt.Errorf("%s: GET %s: %d bytes, want %d", r.name, path, n, want)
		}
		return n, err
	})
	if err == errStop {
		err = nil
	}
	return res, err
}

// warm reads every packument (both forms) and every tarball once, one at
// a time: the first read of each costs both servers more than later ones
// (caches, the JIT of Node.js), and clients of a registry read the same
// packages again and again.
func (r *npmRegistry) warm(ctx context.Context, loads []npmLoad, packages, versions int) error {
	if err := r.check(ctx, versions); err != nil {
		return err
	}
	for p := range packages {
		name := npmPackageName(p)
		for _, l := range loads[:2] {
			if _, err := r.get(ctx, "/"+name, l.accept); err != nil {
				return err
			}
		}
		for v := range versions {
			if _, err := r.get(ctx, "/"+name+"/-/"+name+"-"+npmVersion(v)+".tgz", ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// check asks for the first package's packument in both forms and makes
// sure both are what npm expects: every version, each with its tarball's
// URL, and the abbreviated form's media type.
func (r *npmRegistry) check(ctx context.Context, versions int) error {
	name := npmPackageName(0)
	for _, accept := range []string{"application/json", abbreviatedAccept} {
		req, err := http.NewRequestWithContext(ctx, "GET", r.base+"/"+name, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", accept)
		if r.readAuth != "" {
			req.Header.Set("Authorization", r.readAuth)
		}
		resp, err := r.client.Do(req)
		if err != nil {
			return err
		}
		var doc struct {
			Versions map[string]struct{ Dist struct{ Tarball string } }
		}
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		ctype := resp.Header.Get("Content-Type")
		switch {
		case resp.StatusCode != 200 || err != nil:
			return fmt.Errorf("%s: GET /%s: %d %v", r.name, name, resp.StatusCode, err)
		case len(doc.Versions) != versions:
			return fmt.Errorf("%s: GET /%s: %d versions, want %d", r.name, name, len(doc.Versions), versions)
		case accept == abbreviatedAccept && !strings.HasPrefix(ctype, "application/vnd.npm.install-v1+json"):
			return fmt.Errorf("%s: GET /%s abbreviated: Content-Type %q", r.name, name, ctype)
		}
		for v, d := range doc.Versions {
			if !strings.HasSuffix(d.Dist.Tarball, "/"+name+"-"+v+".tgz") {
				return fmt.Errorf("%s: GET /%s: version %s has tarball %q", r.name, name, v, d.Dist.Tarball)
			}
		}
	}
	return nil
}

// NPM publishes opt.Packages × opt.Versions packages to a fresh node built
// from cfg (its data directory under workDir) and, when opt.Verdaccio is
// set, to a Verdaccio started for the run; then measures packument and
// tarball GETs of random packages against each and prints the report.
func NPM(ctx context.Context, cfg config.Config, workDir string, opt NPMOptions, out io.Writer) error {
	if opt.Packages < 1 || opt.Versions < 1 || len(opt.Concurrency) == 0 || opt.Duration <= 0 {
		return fmt.Errorf("bench npm: packages, versions, concurrency and duration must be positive")
	}
	for _, c := range opt.Concurrency {
		if c < 1 {
			return fmt.Errorf("bench npm: concurrency %d must be positive", c)
		}
	}
	dir, store, err := nodeDir(workDir, "artifortress-bench-npm-", &cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	tarballs := make([][][]byte, opt.Packages)
	var tarballBytes int64
	for p := range tarballs {
		tarballs[p] = make([][]byte, opt.Versions)
		for v := range tarballs[p] {
			tarballs[p][v] = npmTarball(p, v)
			tarballBytes += int64(len(tarballs[p][v]))
		}
	}
	size := func(p, v int) int64 { return int64(len(tarballs[p][v])) }
	loads := npmLoads(opt.Packages, opt.Versions, size)
	pipLoads := pypiLoads(opt.Packages, opt.Versions, size)

	fmt.Fprintf(out, "artifortress bench npm: %d packages × %d versions (%s of tarballs, 4–16 KiB each), store %s, metadata %s, work directory %s\n",
		opt.Packages, opt.Versions, humanApprox(tarballBytes), store, dialectOf(cfg), dir)
	fmt.Fprintf(out, "CPU pressure at start: %s\n", cpuPressure())

	n, err := startNode(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.close()
	if err := createRepo(ctx, n, npmRepo, "npm"); err != nil {
		return err
	}
	ours := &npmRegistry{
		name: "artifortress", base: n.url + "/r/" + npmRepo,
		readAuth: "Bearer " + n.token, pubAuth: "Bearer " + n.token, client: newNPMClient(),
	}
	regs := []*npmRegistry{ours}
	if err := createRepo(ctx, n, pypiRepo, "pypi"); err != nil {
		return err
	}
	pip := &npmRegistry{name: "artifortress-pypi", base: n.url + "/r/" + pypiRepo,
		readAuth: "Bearer " + n.token, pubAuth: "Bearer " + n.token, client: newNPMClient()}

	if opt.Verdaccio != "" {
		v, err := startVerdaccio(ctx, opt.Verdaccio, filepath.Join(dir, "verdaccio"))
		if err != nil {
			return err
		}
		defer v.stop()
		token, err := v.addUser(ctx, "bench", "bench-password-1")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "peer: Verdaccio %s on %s (node %s), storage in the work directory, no uplinks\n", v.version, v.url, v.node)
		regs = append(regs, &npmRegistry{name: "verdaccio", base: v.url, pubAuth: "Bearer " + token, client: newNPMClient()})
	} else {
		fmt.Fprintf(out, "peer: none (--no-peer)\n")
	}
	fmt.Fprintf(out, "Artifortress GETs send the admin token (Authorization: Bearer); Verdaccio's are anonymous (access: $all).\n")
	fmt.Fprintf(out, "Client: Go net/http in this process, keep-alive, no compression, random packages; each cell runs %s.\n\n", opt.Duration)

	for _, r := range regs {
		res, err := r.publishAll(ctx, opt.Packages, opt.Versions, tarballs)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "publish to %-13s %d versions in %.1f s (%.0f versions/s, 4 packages at a time)\n",
			r.name+":", opt.Packages*opt.Versions, res.wall.Seconds(), float64(opt.Packages*opt.Versions)/res.wall.Seconds())
		if err := r.warm(ctx, loads, opt.Packages, opt.Versions); err != nil {
			return err
		}
	}
	res, err := pypiPublishAll(ctx, pip, opt.Packages, opt.Versions, tarballs)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "twine-style uploads to artifortress (PyPI): %d sdists in %.1f s (%.0f files/s, 4 projects at a time)\n",
		opt.Packages*opt.Versions, res.wall.Seconds(), float64(opt.Packages*opt.Versions)/res.wall.Seconds())
	if err := pypiWarm(ctx, pip, pipLoads, opt.Packages, opt.Versions); err != nil {
		return err
	}
	fmt.Fprintf(out, "The PyPI rows (pip's requests) compare with Verdaccio's full packuments (pages) and tarballs (sdists) at the same concurrency: Verdaccio serves no PyPI.\n")
	fmt.Fprintln(out)

	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "request\tconc\treq/s\tp50\tp99\tverdaccio req/s\tp50\tp99\tratio\t\n")
	var rows []npmRow
	offset := 0
	for _, c := range opt.Concurrency {
		for li, l := range loads {
			row := npmRow{load: l.name, metadata: li < 2, conc: c}
			for ri, r := range regs {
				res, err := r.measure(ctx, l, c, opt.Duration, offset)
				if err != nil {
					return err
				}
				if ri == 0 {
					row.ours = res
				} else {
					row.peer, row.hasPeer = res, true
				}
			}
			offset += row.ours.ops + row.peer.ops + 1
			rows = append(rows, row)
			fmt.Fprintln(tw, row.String())
		}
		// pip's requests; the peer is Verdaccio's full packument (pages) or
		// tarball (files) at this concurrency, from this round's rows.
		round := rows[len(rows)-len(loads):]
		for li, l := range pipLoads {
			peerRow := round[0]
			if li == 2 {
				peerRow = round[2]
			}
			res, err := pip.measure(ctx, l, c, opt.Duration, offset)
			if err != nil {
				return err
			}
			row := npmRow{load: l.name, metadata: li < 2, conc: c, ours: res, peer: peerRow.peer, hasPeer: peerRow.hasPeer, borrowedPeer: true}
			offset += res.ops + 1
			rows = append(rows, row)
			fmt.Fprintln(tw, row.String())
		}
	}
	tw.Flush()
	fmt.Fprintf(out, "\n%s\n", npmBodySizes(rows))
	fmt.Fprintf(out, "%s\n", npmVerdict(rows))
	fmt.Fprintf(out, "CPU pressure at end: %s\n", cpuPressure())
	return nil
}

// npmRow is one line of the report.
type npmRow struct {
	load       string
	metadata   bool // a packument request, judged against the target
	conc       int
	ours, peer result
	hasPeer    bool
	// borrowedPeer is set when peer is another request's figure (the PyPI
	// rows: Verdaccio serves no PyPI).
	borrowedPeer bool
}

func (r npmRow) ratio() float64 {
	if !r.hasPeer || r.peer.opsPerSec() == 0 {
		return 0
	}
	return r.ours.opsPerSec() / r.peer.opsPerSec()
}

// String is the row in tabwriter cells.
func (r npmRow) String() string {
	peer := "-\t-\t-\t-"
	if r.hasPeer {
		peer = fmt.Sprintf("%.0f\t%s\t%s\t%.1f×", r.peer.opsPerSec(), ms(r.peer.percentile(.5)), ms(r.peer.percentile(.99)), r.ratio())
	}
	return fmt.Sprintf("%s\t%d\t%.0f\t%s\t%s\t%s\t", r.load, r.conc, r.ours.opsPerSec(), ms(r.ours.percentile(.5)), ms(r.ours.percentile(.99)), peer)
}

// npmBodySizes is the mean response body of each kind of request, here
// and at the peer: the documents compared should be of a size.
func npmBodySizes(rows []npmRow) string {
	var parts []string
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.load] || r.ours.ops == 0 {
			continue
		}
		seen[r.load] = true
		part := fmt.Sprintf("%s %d B", r.load, r.ours.bytes/int64(r.ours.ops))
		if r.hasPeer && !r.borrowedPeer && r.peer.ops > 0 {
			part += fmt.Sprintf(" (Verdaccio %d B)", r.peer.bytes/int64(r.peer.ops))
		}
		parts = append(parts, part)
	}
	return "Mean response body: " + strings.Join(parts, ", ") + "."
}

// npmVerdict says whether every packument row reaches the target ratio.
func npmVerdict(rows []npmRow) string {
	var worst *npmRow
	for i := range rows {
		r := &rows[i]
		if !r.metadata || !r.hasPeer {
			continue
		}
		if worst == nil || r.ratio() < worst.ratio() {
			worst = r
		}
	}
	if worst == nil {
		return fmt.Sprintf("Metadata target (packument and simple-page requests/s ≥ %.0f× Verdaccio's packuments): not judged, no peer measured.", npmMetadataTarget)
	}
	verdict := "MET"
	if worst.ratio() < npmMetadataTarget {
		verdict = "MISSED"
	}
	return fmt.Sprintf("Metadata target (packument and simple-page requests/s ≥ %.0f× Verdaccio's packuments, every form and concurrency): %s; lowest ratio %.1f× (%s, concurrency %d).",
		npmMetadataTarget, verdict, worst.ratio(), worst.load, worst.conc)
}

// cpuPressure is the "some" line of /proc/pressure/cpu: the share of time
// some runnable task waited for a CPU (other load on a shared machine).
func cpuPressure() string {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return "unavailable (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// humanApprox is n bytes in KiB or MiB with one decimal.
func humanApprox(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}
