package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/artifortress/artifortress/internal/bench"
	"github.com/artifortress/artifortress/internal/config"
)

func newBenchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a node's performance against the limits of this machine",
	}
	blobs := &cobra.Command{
		Use:   "blobs",
		Short: "Upload, download and HEAD blobs of several sizes and concurrencies",
		Long: "Starts a fresh node in a temporary directory (filesystem store by default, or the S3 store\n" +
			"given by --blob-store and --s3-*), then prints MB/s and p50/p99 latency of uploads and\n" +
			"downloads beside the limits measured in the same run: sha256sum and dd conv=fsync for\n" +
			"ingest, a plain http.ServeContent over the same file for downloads. It also measures HEAD\n" +
			"requests/s and the original design's reference workload.",
		Example: "  artifortress bench blobs\n  artifortress bench blobs --sizes 4KiB,256KiB --concurrency 1,8\n" +
			"  artifortress bench blobs --blob-store s3://bench --s3-endpoint http://127.0.0.1:7070",
		Args: noArgs,
	}
	loader := config.NewLoader(blobs.Flags())
	opt := bench.DefaultOptions()
	var sizes []string
	blobs.Flags().StringSliceVar(&sizes, "sizes", []string{"4KiB", "256KiB", "16MiB", "1GiB"}, "object sizes")
	blobs.Flags().IntSliceVar(&opt.Concurrency, "concurrency", opt.Concurrency, "concurrency levels")
	blobs.Flags().Int64Var(&opt.BudgetBytes, "budget", opt.BudgetBytes, "most bytes in flight per cell; larger cells are skipped")
	blobs.Flags().IntVar(&opt.MaxOps, "max-ops", opt.MaxOps, "most operations per cell")
	blobs.Flags().DurationVar(&opt.HeadDuration, "head-duration", opt.HeadDuration, "how long to measure HEAD")
	workDir := blobs.Flags().String("work-dir", os.TempDir(), "directory for the node's data and the limit measurements (same disk as a real data directory)")
	cpuProfile := blobs.Flags().String("cpuprofile", "", "write a CPU profile of the run (node and client, one process) to this file, for go tool pprof")
	blobs.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := loader.Load(osEnviron())
		if err != nil {
			return usageError{err}
		}
		opt.Sizes = opt.Sizes[:0]
		for _, s := range sizes {
			n, err := parseSize(s)
			if err != nil {
				return usageError{err}
			}
			opt.Sizes = append(opt.Sizes, n)
		}
		return runBench(cmd, *cpuProfile, func(ctx context.Context) error {
			return bench.Blobs(ctx, cfg, *workDir, opt, cmd.OutOrStdout())
		})
	}
	cmd.AddCommand(blobs, newBenchNPMCommand(), newBenchOCICommand())
	return cmd
}

func newBenchNPMCommand() *cobra.Command {
	npm := &cobra.Command{
		Use:   "npm",
		Short: "Packument and tarball GETs of an npm repository, beside Verdaccio serving the same packages",
		Long: "Starts a fresh node in a temporary directory, creates an npm repository and publishes\n" +
			"--packages × --versions packages (small generated tarballs) through npm's publish endpoint;\n" +
			"starts Verdaccio (--verdaccio, run with node; scripts/bench-npm-peer.sh installs it) with\n" +
			"storage in the same directory and no uplinks, and publishes the same packages there. Then,\n" +
			"for each concurrency, it measures requests/s and p50/p99 of full packument, abbreviated\n" +
			"packument and tarball GETs of random packages for --duration against each, prints them in\n" +
			"one table with the ratio, and says whether the metadata target (5× Verdaccio) is met.\n" +
			"Artifortress GETs send the admin token; Verdaccio's are anonymous. Verdaccio is stopped\n" +
			"at the end, on error and on interrupt.",
		Example: "  artifortress bench npm --verdaccio \"$(scripts/bench-npm-peer.sh)\"\n" +
			"  artifortress bench npm --no-peer --packages 20 --duration 1s",
		Args: noArgs,
	}
	loader := config.NewLoader(npm.Flags())
	opt := bench.DefaultNPMOptions()
	npm.Flags().IntVar(&opt.Packages, "packages", opt.Packages, "packages published to each registry")
	npm.Flags().IntVar(&opt.Versions, "versions", opt.Versions, "versions of each package")
	npm.Flags().IntSliceVar(&opt.Concurrency, "concurrency", opt.Concurrency, "concurrency levels")
	npm.Flags().DurationVar(&opt.Duration, "duration", opt.Duration, "how long each request kind is measured, per registry and concurrency")
	npm.Flags().StringVar(&opt.Verdaccio, "verdaccio", "", "path of Verdaccio's bin/verdaccio (scripts/bench-npm-peer.sh prints it)")
	noPeer := npm.Flags().Bool("no-peer", false, "measure Artifortress alone, without Verdaccio")
	workDir := npm.Flags().String("work-dir", os.TempDir(), "directory for the node's and Verdaccio's data")
	cpuProfile := npm.Flags().String("cpuprofile", "", "write a CPU profile of the run (node and client, not Verdaccio) to this file, for go tool pprof")
	npm.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := loader.Load(osEnviron())
		if err != nil {
			return usageError{err}
		}
		switch {
		case *noPeer && opt.Verdaccio != "":
			return usageError{fmt.Errorf("--verdaccio and --no-peer contradict each other")}
		case !*noPeer && opt.Verdaccio == "":
			return usageError{fmt.Errorf("give --verdaccio PATH (scripts/bench-npm-peer.sh installs Verdaccio and prints it) or --no-peer")}
		case opt.Packages < 1 || opt.Versions < 1 || opt.Duration <= 0 || len(opt.Concurrency) == 0:
			return usageError{fmt.Errorf("--packages, --versions, --duration and --concurrency must be positive")}
		}
		return runBench(cmd, *cpuProfile, func(ctx context.Context) error {
			return bench.NPM(ctx, cfg, *workDir, opt, cmd.OutOrStdout())
		})
	}
	return npm
}

// runBench runs a benchmark with the CPU profile cpuProfile names (none
// when empty) and a context that Ctrl-C or SIGTERM ends, so that a peer
// server and the temporary directories are cleaned up on the way out.
func runBench(cmd *cobra.Command, cpuProfile string, run func(ctx context.Context) error) error {
	stopProfile, err := startCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx)
}

// startCPUProfile profiles the process into path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
