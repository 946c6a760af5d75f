// Command localcluster runs a three-node nflsync cluster on one machine
// without Docker, on 127.0.0.1 only. It starts one Hazelcast member from the
// jar with the machine's java and one embedded FerretDB, which every node
// uses as its MongoDB server. Then it starts three `nflsync serve` processes
// of a given binary on a replayed season. It builds nothing: `make cluster`
// builds bin/nflsync and fetches the jar first.
//
// It runs until SIGINT or SIGTERM, then stops the nodes (SIGTERM, SIGKILL
// after 45 s), the member and FerretDB, and exits with status 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

const (
	// startTimeout bounds the start of the member, of FerretDB and of the
	// nodes' HTTP listeners, each.
	startTimeout = 2 * time.Minute

	// nodeStopTimeout is the wait after SIGTERM before a node is killed. A
	// node's own stop can take over 40 s while it writes to a busy embedded
	// FerretDB (docs/CLUSTER.md, "When the network splits").
	nodeStopTimeout = 45 * time.Second

	// pollingWatchInterval is the time between two scrapes of every node's
	// /metrics by watchPolling.
	pollingWatchInterval = time.Second
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))

	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(2)
	}

	if err := run(opts); err != nil {
		slog.Error("local cluster failed", "error", err)
		os.Exit(1)
	}
}

// run starts the cluster, waits for SIGINT or SIGTERM and stops it again.
// It returns nil after a signal, also one during the start.
func run(opts options) error {
	signals, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	c := &cluster{opts: opts}
	defer c.stop()

	if err := c.start(signals); err != nil {
		if signals.Err() != nil {
			slog.Info("signal received during start-up, stopping")
			return nil
		}
		return err
	}

	printSummary(os.Stdout, c)

	watchCtx, stopWatching := context.WithCancel(signals)
	var watching sync.WaitGroup
	watching.Go(func() { watchPolling(watchCtx, c.nodes, pollingWatchInterval) })

	<-signals.Done()

	// From here on the default action applies again, so a second Ctrl-C
	// ends localcluster at once, and the kernel kills the nodes and the
	// member through their parent-death signal.
	stopSignals()
	slog.Info("signal received, stopping the cluster (a second Ctrl-C kills it at once)")

	stopWatching()
	watching.Wait()
	return nil
}
