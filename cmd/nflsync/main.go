// Command nflsync keeps a fantasy-football app's NFL data current and pushes
// every change to WebSocket clients.
//
// Usage:
//
//	nflsync serve                                       run the server (configured by NFL_SYNC_* variables)
//	nflsync score --stats FILE [--rules standard|half-ppr|ppr]
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}

	switch args[0] {
	case "serve":
		return runServe(args[1:], os.Getenv, stderr)
	case "score":
		return runScore(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		printUsage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "nflsync: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return 2
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  nflsync serve
      Poll the configured source and push changes to WebSocket clients on /ws.
      Configured by NFL_SYNC_* environment variables (see README.md).
  nflsync score --stats FILE [--rules standard|half-ppr|ppr]
      Print player_id,season,week,points as CSV for every player row of a
      weekly stats file (either nflverse generation, plain or gzip).
`)
}
