package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/artifortress/artifortress/internal/bench"
	"github.com/artifortress/artifortress/internal/config"
)

func newBenchOCICommand() *cobra.Command {
	oci := &cobra.Command{
		Use:   "oci",
		Short: "Push, pull, manifest GETs and blob HEADs of the /v2/ registry, beside CNCF Distribution",
		Long: "Starts a fresh node in a temporary directory with an oci repository, and CNCF Distribution\n" +
			"(--registry, v3.1.2 as scripts/test.sh installs it; no authentication) with its storage in\n" +
			"the same directory. On both, in the same run: pushes an image of --layers × --layer-size\n" +
			"random layers as docker does (POST, PATCH, PUT ?digest=) and in the two monolithic forms,\n" +
			"and pulls it, in MB/s; pushes --manifests small images by tag (their blobs, then their\n" +
			"manifests) in four rounds, the two registries taking turns; then measures requests/s and\n" +
			"p50/p99 of manifest GETs by tag and by digest and\n" +
			"of blob HEADs at each --concurrency for --duration. Prints one table with the ratio, the\n" +
			"disk and sha256 limits (as bench blobs), and the figures where Artifortress is behind.\n" +
			"Artifortress's requests send the admin token as Basic. Distribution is stopped at the end,\n" +
			"on error and on interrupt.",
		Example: "  artifortress bench oci\n" +
			"  artifortress bench oci --layers 2 --layer-size 1MiB --manifests 50 --duration 500ms --no-limits\n" +
			"  artifortress bench oci --no-peer --concurrency 32 --cpuprofile /tmp/oci.prof",
		Args: noArgs,
	}
	loader := config.NewLoader(oci.Flags())
	opt := bench.DefaultOCIOptions()
	layerSize := oci.Flags().String("layer-size", "16MiB", "size of each layer of the large image")
	oci.Flags().IntVar(&opt.Layers, "layers", opt.Layers, "layers of the large image")
	oci.Flags().IntSliceVar(&opt.LayerConcurrency, "layer-concurrency", opt.LayerConcurrency, "layers pushed or pulled at a time (docker pushes 5)")
	oci.Flags().IntVar(&opt.Manifests, "manifests", opt.Manifests, "small images pushed by tag at each push concurrency")
	oci.Flags().IntSliceVar(&opt.PushConcurrency, "push-concurrency", opt.PushConcurrency, "small images pushed at a time")
	oci.Flags().IntSliceVar(&opt.Concurrency, "concurrency", opt.Concurrency, "concurrency levels of the manifest GET and blob HEAD cells")
	oci.Flags().DurationVar(&opt.Duration, "duration", opt.Duration, "how long each GET or HEAD cell runs, per registry")
	oci.Flags().StringVar(&opt.Registry, "registry", opt.Registry, "CNCF Distribution's registry binary (a path, or a name looked up in PATH)")
	noPeer := oci.Flags().Bool("no-peer", false, "measure Artifortress alone, without Distribution")
	noLimits := oci.Flags().Bool("no-limits", false, "skip the sha256sum and dd measurements over 1 GiB")
	workDir := oci.Flags().String("work-dir", os.TempDir(), "directory for both registries' data and the limit measurements (same disk as a real data directory)")
	cpuProfile := oci.Flags().String("cpuprofile", "", "write a CPU profile of the run (node and client, not Distribution) to this file, for go tool pprof")
	oci.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := loader.Load(osEnviron())
		if err != nil {
			return usageError{err}
		}
		if opt.LayerSize, err = parseSize(*layerSize); err != nil {
			return usageError{fmt.Errorf("--layer-size: %v", err)}
		}
		if *noPeer {
			opt.Registry = ""
		}
		opt.Limits = !*noLimits
		return runBench(cmd, *cpuProfile, func(ctx context.Context) error {
			return bench.OCI(ctx, cfg, *workDir, opt, cmd.OutOrStdout())
		})
	}
	return oci
}
