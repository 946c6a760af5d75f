package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/nflsync/nflsync/adapters/hazelcast/hazelcastmember"
	"github.com/nflsync/nflsync/adapters/mongo"
	"github.com/nflsync/nflsync/adapters/websocket"
)

// cluster is the set of servers and processes that localcluster starts.
// stop stops those that run.
type cluster struct {
	opts    options
	dataDir string

	member   *hazelcastmember.Process
	embedded *mongo.Embedded
	nodes    []*node
}

// start checks the ports and paths, then starts the member, FerretDB and
// the nodes, and waits until every node serves HTTP. On an error, what was
// started keeps running until stop.
func (c *cluster) start(ctx context.Context) error {
	if err := checkPortsFree(c.opts.ports()); err != nil {
		return err
	}

	binary, err := existingPath(c.opts.nflsync, "nflsync binary", "-nflsync", "run `make build`")
	if err != nil {
		return err
	}
	replayDir, err := existingPath(c.opts.replay, "replay directory", "-replay", "run from the repository root")
	if err != nil {
		return err
	}
	jar, err := hazelcastmember.JarPath()
	if err != nil {
		return err
	}
	if err := hazelcastmember.CheckJar(jar); err != nil {
		return err
	}

	if err := c.makeDataDir(); err != nil {
		return err
	}

	if err := c.startMember(ctx, jar); err != nil {
		return err
	}

	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	c.embedded, err = mongo.StartEmbedded(startCtx, filepath.Join(c.dataDir, "ferretdb"))
	if err != nil {
		return fmt.Errorf("start embedded FerretDB: %w", err)
	}

	shared := sharedSetup{
		mongoURI:         c.embedded.URI(),
		hazelcastAddress: c.member.Address(),
		replayDir:        replayDir,
		dataDir:          c.dataDir,
	}
	if err := c.startNodes(binary, shared); err != nil {
		return err
	}

	slog.Info("waiting for the nodes to serve HTTP")
	return waitHealthy(startCtx, c.nodes)
}

// makeDataDir creates the data directory and its logs and hazelcast
// subdirectories. Without -data it is a new directory under os.TempDir.
func (c *cluster) makeDataDir() error {
	dir := c.opts.dataDir
	if dir == "" {
		created, err := os.MkdirTemp("", "nflsync-localcluster-")
		if err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
		dir = created
	}

	absolute, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("data directory %q: %w", dir, err)
	}
	c.dataDir = absolute

	for _, sub := range []string{"logs", "hazelcast"} {
		if err := os.MkdirAll(filepath.Join(c.dataDir, sub), 0o750); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}
	slog.Info("data directory", "path", c.dataDir)
	return nil
}

func (c *cluster) startMember(ctx context.Context, jar string) error {
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	slog.Info("starting Hazelcast member", "version", hazelcastmember.Version, "jar", jar)
	member, err := hazelcastmember.Start(startCtx, hazelcastmember.Config{
		Jar:         jar,
		ClusterName: c.opts.clusterName,
		Port:        c.opts.hazelcastPort,
		Dir:         filepath.Join(c.dataDir, "hazelcast"),
	})
	if err != nil {
		return err
	}

	c.member = member
	slog.Info("Hazelcast member ready", "address", member.Address(), "pid", member.PID(), "log", member.LogPath())
	return nil
}

// startNodes starts every node without waiting for any.
func (c *cluster) startNodes(binary string, shared sharedSetup) error {
	var consoleMu sync.Mutex
	for i := range nodeCount {
		name := nodeName(i)
		logPath := filepath.Join(c.dataDir, "logs", name+".log")

		var console io.Writer
		if c.opts.verbose {
			console = newLinePrefixer(os.Stdout, name, &consoleMu)
		}

		env := nodeEnv(c.opts, i, shared)
		if err := writeRestartScript(c.restartScript(name), binary, env, logPath); err != nil {
			return err
		}
		n, err := startNode(binary, env, name, c.opts.listenAddr(i), logPath, console)
		if err != nil {
			return err
		}
		c.nodes = append(c.nodes, n)
		slog.Info("node started", "node", name, "pid", n.pid(), "listen_addr", n.listenAddr, "log", logPath)
	}
	return nil
}

// restartScript returns the path of the script that starts node name again
// by hand.
func (c *cluster) restartScript(name string) string {
	return filepath.Join(c.dataDir, name+".sh")
}

// writeRestartScript writes a shell script that starts a node again with
// the same settings, for a node that was killed or stopped itself after it
// lost the majority. localcluster does not watch or stop a node started
// that way.
func writeRestartScript(path, binary string, env []string, logPath string) error {
	absolute, err := filepath.Abs(binary)
	if err != nil {
		return fmt.Errorf("restart script %s: %w", path, err)
	}

	var script strings.Builder
	script.WriteString("#!/bin/sh\n# Starts this node again with the settings localcluster gave it.\nexec env")
	for _, variable := range env {
		script.WriteString(" \\\n  " + shellQuote(variable))
	}
	script.WriteString(" \\\n  " + shellQuote(absolute) + " serve >>" + shellQuote(logPath) + " 2>&1\n")
	if err := os.WriteFile(path, []byte(script.String()), 0o755); err != nil {
		return fmt.Errorf("write restart script: %w", err)
	}
	return nil
}

// shellQuote quotes value for a POSIX shell.
func shellQuote(value string) string {
	return "'" + strings.ReplaceAll(value, "'", `'\''`) + "'"
}

// stop stops the nodes, then the member, then FerretDB, because the nodes
// write to both until they exit.
func (c *cluster) stop() {
	stopNodes(c.nodes, nodeStopTimeout)

	if c.member != nil {
		if err := c.member.Kill(); err != nil {
			slog.Error("stop Hazelcast member failed", "pid", c.member.PID(), "error", err)
		} else {
			slog.Info("Hazelcast member stopped")
		}
	}

	if c.embedded != nil {
		_ = c.embedded.Close() // Close logs the stop and always returns nil.
	}

	if c.dataDir != "" {
		slog.Info("data and logs kept, remove the directory when done", "path", c.dataDir)
	}
}

// checkPortsFree returns an error that names the first port of uses that
// another process holds on 127.0.0.1, and the flag that moves it.
func checkPortsFree(uses []portUse) error {
	for _, use := range uses {
		listener, err := net.Listen("tcp", loopback(use.port))
		if err != nil {
			return fmt.Errorf("port %d (%s) is not free: %w: stop what uses it, or choose another first port with -%s",
				use.port, use.name, err, use.flag)
		}
		listener.Close()
	}
	return nil
}

// existingPath returns the absolute form of path, or an error that names
// the path's description, the flag that sets it and the usual fix.
func existingPath(path, description, flagName, fix string) (string, error) {
	absolute, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", description, path, err)
	}
	if _, err := os.Stat(absolute); err != nil {
		return "", fmt.Errorf("%s not found at %s: %s, or set %s", description, absolute, fix, flagName)
	}
	return absolute, nil
}

// printSummary writes the table of nodes and how to watch failover.
func printSummary(out io.Writer, c *cluster) {
	fmt.Fprintf(out, "\nnflsync cluster %q: %d nodes on 127.0.0.1\n\n", c.opts.clusterName, len(c.nodes))

	table := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(table, "NODE\tPID\tWEBSOCKET\tMETRICS\tLOG")
	for _, n := range c.nodes {
		fmt.Fprintf(table, "%s\t%d\tws://%s%s\thttp://%s/metrics\t%s\n",
			n.name, n.pid(), n.listenAddr, websocket.Path, n.listenAddr, n.logPath)
	}
	_ = table.Flush()

	fmt.Fprintf(out, "\nHazelcast member: %s (log %s)\n", c.member.Address(), c.member.LogPath())
	fmt.Fprintf(out, "MongoDB (embedded FerretDB): %s\n", c.embedded.URI())
	if c.opts.adminKey == defaultAdminKey {
		fmt.Fprintf(out, "Admin API key: %s (Authorization: Bearer %s)\n", defaultAdminKey, defaultAdminKey)
	} else {
		fmt.Fprintln(out, "Admin API key: the one given with -admin-key")
	}
	fmt.Fprintf(out, "\nOne node polls, and every node serves every change. localcluster logs\n"+
		"\"polling node found\" with the node and its PID. Kill that node with kill -9 PID\n"+
		"to watch another node take over polling. Ctrl-C stops everything.\n")
	fmt.Fprintf(out, "To start a killed node again by hand: sh %s (localcluster does not stop\n"+
		"a node started that way).\n\n", c.restartScript("node-N"))
}
