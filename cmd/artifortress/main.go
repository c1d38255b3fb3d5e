// Command artifortress is the Artifortress server, its migrations and its
// admin client, in one binary. See `artifortress --help`.
package main

import (
	"os"

	"github.com/artifortress/artifortress/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
