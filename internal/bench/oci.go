package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/artifortress/artifortress/internal/config"
)

// OCIOptions select what `bench oci` measures.
type OCIOptions struct {
	Layers           int   // layers of the large image
	LayerSize        int64 // bytes of each of its layers
	LayerConcurrency []int // layers pushed or pulled at a time
	Manifests        int   // small images pushed by tag, per push concurrency
	PushConcurrency  []int // small images pushed at a time
	Concurrency      []int // concurrency levels of the GET and HEAD cells
	Duration         time.Duration
	// Registry is CNCF Distribution's binary (a path, or a name looked up
	// in PATH), run as the peer; empty measures Artifortress alone.
	Registry string
	// Limits measures sha256sum and dd conv=fsync over 1 GiB in the work
	// directory first, as bench blobs does.
	Limits bool
}

// DefaultOCIOptions are the figures issue 7 names: an image of ten 16 MiB
// layers, 1,000 small manifests, GETs at concurrency 1, 8 and 32.
func DefaultOCIOptions() OCIOptions {
	return OCIOptions{
		Layers: 10, LayerSize: 16 << 20, LayerConcurrency: []int{1, 5},
		Manifests: 1000, PushConcurrency: []int{1, 8},
		Concurrency: []int{1, 8, 32}, Duration: 3 * time.Second,
		Registry: DistributionTool, Limits: true,
	}
}

func (o OCIOptions) validate() error {
	if o.Layers < 1 || o.LayerSize < 1 || o.Manifests < 1 || o.Duration <= 0 ||
		len(o.LayerConcurrency) == 0 || len(o.PushConcurrency) == 0 || len(o.Concurrency) == 0 {
		return fmt.Errorf("bench oci: layers, layer size, manifests, duration and every concurrency list must be positive")
	}
	for _, l := range [][]int{o.LayerConcurrency, o.PushConcurrency, o.Concurrency} {
		for _, c := range l {
			if c < 1 {
				return fmt.Errorf("bench oci: concurrency %d must be positive", c)
			}
		}
	}
	return nil
}

// The repository and image names, the same on both registries
// (Artifortress's first component is the repository).
const (
	ociRepo        = "ocibench"
	ociLargeImage  = ociRepo + "/large"
	ociSmallImage  = ociRepo + "/small"
	ociPeerDirName = "distribution"
)

// ociRow is one line of the report: a figure of each registry (index 0
// Artifortress, 1 the peer).
type ociRow struct {
	op   string
	conc int
	unit string // MB/s, or what is counted per second
	res  [2]result
	// skip says why a registry has no figure ("" when it has one).
	skip [2]string
}

func (r ociRow) rate(i int) float64 {
	if r.unit == "MB/s" {
		return r.res[i].mbps()
	}
	return r.res[i].opsPerSec()
}

func (r ociRow) hasPeer() bool { return r.skip[1] == "" && r.res[1].ops > 0 }

func (r ociRow) ratio() float64 {
	if !r.hasPeer() || r.rate(1) == 0 {
		return 0
	}
	return r.rate(0) / r.rate(1)
}

// String is the row in tabwriter cells.
func (r ociRow) String() string {
	cells := []string{r.op, fmt.Sprint(r.conc)}
	for i := range 2 {
		if r.skip[i] != "" || r.res[i].ops == 0 {
			cells = append(cells, "-", "-", "-")
			continue
		}
		cells = append(cells, fmt.Sprintf("%.1f %s", r.rate(i), r.unit), ms(r.res[i].percentile(.5)), ms(r.res[i].percentile(.99)))
	}
	ratio := "-"
	if r.hasPeer() && r.skip[0] == "" {
		ratio = fmt.Sprintf("%.2f×", r.ratio())
	}
	return strings.Join(append(cells, ratio), "\t") + "\t"
}

// OCI pushes and pulls images on a fresh node built from cfg (its data
// directory under workDir) and, when opt.Registry is set, on CNCF
// Distribution started for the run with its storage in the same
// directory; then measures manifest GETs and blob HEADs against each and
// prints both side by side.
func OCI(ctx context.Context, cfg config.Config, workDir string, opt OCIOptions, out io.Writer) error {
	if err := opt.validate(); err != nil {
		return err
	}
	dir, store, err := nodeDir(workDir, "artifortress-bench-oci-", &cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(out, "artifortress bench oci: an image of %d × %s layers, %d small images per push concurrency, store %s, metadata %s, work directory %s\n",
		opt.Layers, human(opt.LayerSize), opt.Manifests, store, dialectOf(cfg), dir)
	fmt.Fprintf(out, "CPU pressure at start: %s\n", cpuPressure())

	var lim limits
	if opt.Limits {
		if lim, err = measureLimits(ctx, dir); err != nil {
			return err
		}
		fmt.Fprintf(out, "Limits measured in this run (1 GiB, same disk): sha256sum %.1f MB/s, dd bs=1M conv=fsync %.1f MB/s, ingest limit (slower) %.1f MB/s\n",
			lim.sha256, lim.dd, lim.ingest())
	}

	n, err := startNode(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.close()
	if err := createRepo(ctx, n, ociRepo, "oci"); err != nil {
		return err
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("bench:"+n.token))
	ours, err := newOCIRegistry("artifortress", n.url, basic)
	if err != nil {
		return err
	}
	regs := []*ociRegistry{ours}
	peerName := "distribution"
	if opt.Registry != "" {
		d, err := startDistribution(ctx, opt.Registry, filepath.Join(dir, ociPeerDirName))
		if err != nil {
			return err
		}
		defer d.stop()
		fmt.Fprintf(out, "peer: CNCF Distribution %s on %s, filesystem storage in the work directory, blob descriptor cache inmemory, NO authentication, access log off\n", d.version, d.url)
		peer, err := newOCIRegistry(peerName, d.url, "")
		if err != nil {
			return err
		}
		regs = append(regs, peer)
	} else {
		fmt.Fprintf(out, "peer: none (--no-peer)\n")
	}
	fmt.Fprintf(out, "Artifortress requests send the admin token as HTTP Basic (the PAT as the password); Distribution's are anonymous (it runs without auth).\n")
	fmt.Fprintf(out, "Client: Go net/http in this process, keep-alive; layers generated in memory before each push; pulls check lengths and manifest digests, not layer digests.\n")

	names := make([]string, len(regs))
	single := make([]bool, len(regs))
	for i, r := range regs {
		names[i] = r.name
		if single[i], err = r.probeSingle(ctx, ociLargeImage); err != nil {
			return err
		}
	}
	fmt.Fprintln(out)

	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "op\tconc\tartifortress\tp50\tp99\t%s\tp50\tp99\tratio\t\n", peerName)
	var rows []ociRow
	emit := func(r ociRow) {
		if len(regs) < 2 {
			r.skip[1] = "no peer"
		}
		rows = append(rows, r)
		fmt.Fprintln(tw, r.String())
	}
	if err := ociLayerCells(ctx, regs, single, opt, emit); err != nil {
		return err
	}
	smalls, err := ociSmallCells(ctx, regs, opt, emit)
	if err != nil {
		return err
	}
	if err := ociReadCells(ctx, regs, smalls, opt, emit); err != nil {
		return err
	}
	tw.Flush()

	fmt.Fprintln(out)
	for i, r := range regs {
		if !single[i] {
			fmt.Fprintf(out, "%s answers POST ?digest= with a session (202), as the spec allows: its one-request row is not measured.\n", r.name)
		}
	}
	if opt.Limits {
		fmt.Fprintf(out, "%s\n", ociAgainstLimit(rows, lim.ingest(), names))
	}
	fmt.Fprintf(out, "%s\n", ociVerdict(rows))
	fmt.Fprintf(out, "CPU pressure at end: %s\n", cpuPressure())
	return nil
}

// The ways a layer is pushed: as docker does, and the spec's two
// monolithic forms.
var ociPushMethods = []pushMethod{
	{"layer push (POST, PATCH, PUT)", (*ociRegistry).pushDocker},
	{"layer push (POST, PUT with body)", (*ociRegistry).pushPostPut},
	{"layer push (one POST ?digest=)", (*ociRegistry).pushSingle},
}

// ociLayerCells pushes the large image in each way at each layer
// concurrency (a new image every time, so nothing is deduplicated), then
// pulls the one pushed as docker does.
func ociLayerCells(ctx context.Context, regs []*ociRegistry, single []bool, opt OCIOptions, emit func(ociRow)) error {
	seed := uint64(1)
	for _, c := range opt.LayerConcurrency {
		var pulled ociImage
		var pulledTag string
		for mi, m := range ociPushMethods {
			img := newOCIImage(seed, opt.Layers, opt.LayerSize)
			seed++
			tag := fmt.Sprintf("c%d-m%d", c, mi)
			if mi == 0 {
				pulled, pulledTag = img, tag
			}
			row := ociRow{op: m.label, conc: c, unit: "MB/s"}
			for i, r := range regs {
				if mi == 2 && !single[i] {
					row.skip[i] = "202"
					continue
				}
				res, err := r.pushImage(ctx, ociLargeImage, tag, img, c, m)
				if err != nil {
					return err
				}
				row.res[i] = res
			}
			emit(row)
		}
		row := ociRow{op: "image pull (manifest, config, layers)", conc: c, unit: "MB/s"}
		for i, r := range regs {
			res, err := r.pullImage(ctx, ociLargeImage, pulledTag, pulled, c)
			if err != nil {
				return err
			}
			row.res[i] = res
		}
		emit(row)
	}
	return nil
}

// pushImage pushes img's layers with m, conc at a time, then its config
// and its manifest under tag. MB/s counts the layers and the config over
// the whole push; p50 and p99 are the layers'.
func (r *ociRegistry) pushImage(ctx context.Context, name, tag string, img ociImage, conc int, m pushMethod) (result, error) {
	start := time.Now()
	res, err := run(len(img.layers), conc, func(i int) (int64, error) {
		l := img.layers[i]
		return int64(len(l.data)), m.push(r, ctx, name, l.digest, l.data)
	})
	if err != nil {
		return res, err
	}
	if err := m.push(r, ctx, name, img.config.digest, img.config.data); err != nil {
		return res, err
	}
	if err := r.putManifest(ctx, name, tag, img.manifest); err != nil {
		return res, err
	}
	res.bytes += int64(len(img.config.data))
	res.wall = time.Since(start)
	return res, nil
}

// pullImage pulls an image as a client does: the manifest by tag, then
// the config and the layers it names, conc layers at a time. It checks
// that the manifest is img's.
func (r *ociRegistry) pullImage(ctx context.Context, name, tag string, img ociImage, conc int) (result, error) {
	start := time.Now()
	body, err := r.getManifest(ctx, name, tag, img.manifest, true)
	if err != nil {
		return result{}, err
	}
	var doc ociManifestDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return result{}, fmt.Errorf("%s: manifest %s:%s: %v", r.name, name, tag, err)
	}
	cfgBytes, err := r.blob(ctx, "GET", name, doc.Config.Digest, doc.Config.Size)
	if err != nil {
		return result{}, err
	}
	res, err := run(len(doc.Layers), conc, func(i int) (int64, error) {
		return r.blob(ctx, "GET", name, doc.Layers[i].Digest, doc.Layers[i].Size)
	})
	res.bytes += cfgBytes
	res.wall = time.Since(start)
	return res, err
}

// ociSmallCells pushes opt.Manifests small images (a config and a layer
// of a few dozen bytes each) at each push concurrency: first their blobs
// as docker does, then their manifests by tag. It returns the images of
// the first concurrency, which the read cells ask for.
func ociSmallCells(ctx context.Context, regs []*ociRegistry, opt OCIOptions, emit func(ociRow)) ([]ociImage, error) {
	var first []ociImage
	for pi, c := range opt.PushConcurrency {
		imgs := make([]ociImage, opt.Manifests)
		for i := range imgs {
			imgs[i] = newOCIImage(uint64(1_000_000*(pi+1)+i), 1, 64)
		}
		if first == nil {
			first = imgs
		}
		blobRow := ociRow{op: "small blob push (POST, PATCH, PUT)", conc: c, unit: "blobs/s"}
		manifestRow := ociRow{op: "manifest push (PUT by tag)", conc: c, unit: "manifests/s"}
		// The images go in rounds, the registries taking turns (and
		// turns at going first), so that a slow spell of the machine
		// falls on both rather than on whichever was measuring then.
		rounds := min(ociPushRounds, len(imgs))
		for round := range rounds {
			lo, hi := round*len(imgs)/rounds, (round+1)*len(imgs)/rounds
			part := imgs[lo:hi]
			for j := range regs {
				i := (j + round) % len(regs)
				r := regs[i]
				res, err := run(2*len(part), c, func(k int) (int64, error) {
					b := part[k/2].config
					if k%2 == 1 {
						b = part[k/2].layers[0]
					}
					return int64(len(b.data)), r.pushDocker(ctx, ociSmallImage, b.digest, b.data)
				})
				if err != nil {
					return nil, err
				}
				blobRow.res[i] = blobRow.res[i].plus(res)
				res, err = run(len(part), c, func(k int) (int64, error) {
					return int64(len(part[k].manifest.body)), r.putManifest(ctx, ociSmallImage, ociSmallTag(pi, lo+k), part[k].manifest)
				})
				if err != nil {
					return nil, err
				}
				manifestRow.res[i] = manifestRow.res[i].plus(res)
			}
		}
		emit(blobRow)
		emit(manifestRow)
	}
	return first, nil
}

// ociPushRounds is how many rounds the small images of a push concurrency
// are pushed in, the registries alternating (ociSmallCells).
const ociPushRounds = 4

// ociSmallTag is the tag of small image k pushed at the pi-th push
// concurrency.
func ociSmallTag(pi, k int) string { return fmt.Sprintf("p%d-%04d", pi, k) }

// ociRead is one kind of read request; op asks for image k.
type ociRead struct {
	label string
	op    func(r *ociRegistry, ctx context.Context, img ociImage, k int) (int64, error)
}

var ociReads = []ociRead{
	{"manifest GET by tag", func(r *ociRegistry, ctx context.Context, img ociImage, k int) (int64, error) {
		_, err := r.getManifest(ctx, ociSmallImage, ociSmallTag(0, k), img.manifest, false)
		return int64(len(img.manifest.body)), err
	}},
	{"manifest GET by digest", func(r *ociRegistry, ctx context.Context, img ociImage, k int) (int64, error) {
		_, err := r.getManifest(ctx, ociSmallImage, img.manifest.digest, img.manifest, false)
		return int64(len(img.manifest.body)), err
	}},
	{"blob HEAD", func(r *ociRegistry, ctx context.Context, img ociImage, k int) (int64, error) {
		l := img.layers[0]
		_, err := r.blob(ctx, "HEAD", ociSmallImage, l.digest, int64(len(l.data)))
		return 0, err
	}},
}

// ociReadCells reads every small image once in each way (one at a time:
// a first read costs more than the repeated reads of popular images that
// the cells measure), then, at each concurrency, asks for random images
// for opt.Duration per registry and kind.
func ociReadCells(ctx context.Context, regs []*ociRegistry, imgs []ociImage, opt OCIOptions, emit func(ociRow)) error {
	for _, r := range regs {
		for _, rd := range ociReads {
			if _, err := run(len(imgs), 1, func(k int) (int64, error) { return rd.op(r, ctx, imgs[k], k) }); err != nil {
				return err
			}
		}
	}
	offset := 0
	for _, c := range opt.Concurrency {
		for _, rd := range ociReads {
			row := ociRow{op: rd.label, conc: c, unit: "req/s"}
			for i, r := range regs {
				res, err := runFor(ctx, opt.Duration, c, func(op int) (int64, error) {
					k := int(splitmix(uint64(offset+op)) % uint64(len(imgs)))
					return rd.op(r, ctx, imgs[k], k)
				})
				if err != nil {
					return err
				}
				row.res[i] = res
				offset += res.ops + 1
			}
			emit(row)
		}
	}
	return nil
}

// runFor runs op at concurrency conc until d has passed.
func runFor(ctx context.Context, d time.Duration, conc int, op func(i int) (int64, error)) (result, error) {
	deadline := time.Now().Add(d)
	res, err := run(1<<30, conc, func(i int) (int64, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if time.Now().After(deadline) {
			return 0, errStop
		}
		return op(i)
	})
	if err == errStop {
		err = nil
	}
	return res, err
}

// ociAgainstLimit sets the layer pushes beside the ingest limit.
func ociAgainstLimit(rows []ociRow, limit float64, names []string) string {
	var parts []string
	for i, name := range names {
		lo, hi := 0.0, 0.0
		for _, r := range rows {
			if !strings.HasPrefix(r.op, "layer push") || r.skip[i] != "" || r.res[i].ops == 0 {
				continue
			}
			v := r.rate(i)
			if lo == 0 || v < lo {
				lo = v
			}
			hi = max(hi, v)
		}
		parts = append(parts, fmt.Sprintf("%s %.0f – %.0f %%", name, 100*lo/limit, 100*hi/limit))
	}
	return fmt.Sprintf("Layer pushes against the ingest limit (%.1f MB/s): %s.", limit, strings.Join(parts, ", "))
}

// ociVerdict says whether Artifortress is at least as fast as the peer on
// every figure, and names the ones where it is not.
func ociVerdict(rows []ociRow) string {
	var behind []string
	judged := 0
	for _, r := range rows {
		if !r.hasPeer() || r.skip[0] != "" {
			continue
		}
		judged++
		if r.ratio() < 1 {
			behind = append(behind, fmt.Sprintf("%s at %d (%.2f×)", r.op, r.conc, r.ratio()))
		}
	}
	switch {
	case judged == 0:
		return "Target (at least as fast as Distribution on every figure): not judged, no peer measured."
	case len(behind) == 0:
		return fmt.Sprintf("Target (at least as fast as Distribution on every figure): MET on all %d figures.", judged)
	}
	return fmt.Sprintf("Target (at least as fast as Distribution on every figure): MISSED on %d of %d: %s.", len(behind), judged, strings.Join(behind, "; "))
}
