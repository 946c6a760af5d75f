package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sharedSetup is the part of the node settings that every node gets alike:
// the addresses of the shared services and absolute paths.
type sharedSetup struct {
	mongoURI         string
	hazelcastAddress string
	replayDir        string
	dataDir          string
}

// nodeEnv returns the NFL_SYNC_* variables of node i (0-based). The node's
// command lists them after the inherited environment, so they replace any
// value of the same name there, and other NFL_SYNC_* variables of the
// environment, such as NFL_SYNC_LOG_LEVEL, reach every node.
func nodeEnv(opts options, i int, shared sharedSetup) []string {
	interval := strconv.Itoa(opts.interval)
	return []string{
		"NFL_SYNC_SOURCE=replay:" + shared.replayDir,
		"NFL_SYNC_INTERVAL_SECONDS=" + interval,
		// The replay's clock leaves the live window after the last week. The
		// same interval then keeps the polling node polling, so that
		// failover stays visible after the season.
		"NFL_SYNC_OFFSEASON_INTERVAL_SECONDS=" + interval,
		// The ESPN poller would run on every node of a cluster.
		"NFL_SYNC_LIVE_SOURCE=off",
		"NFL_SYNC_LISTEN_ADDR=" + opts.listenAddr(i),
		// Empty serves /metrics on the listen address.
		"NFL_SYNC_METRICS_ADDR=",
		// Read only by the embedded FerretDB, which NFL_SYNC_MONGO_URI turns
		// off, but one directory per node all the same.
		"NFL_SYNC_DATA_DIR=" + filepath.Join(shared.dataDir, nodeName(i)),
		"NFL_SYNC_MONGO_URI=" + shared.mongoURI,
		"NFL_SYNC_HAZELCAST_ADDRESSES=" + shared.hazelcastAddress,
		"NFL_SYNC_HAZELCAST_CLUSTER_NAME=" + opts.clusterName,
		"NFL_SYNC_CLUSTER_NAME=" + opts.clusterName,
		"NFL_SYNC_CLUSTER_BIND_ADDR=" + opts.bindAddr(i),
		"NFL_SYNC_CLUSTER_PROVIDER_PORT=" + strconv.Itoa(opts.providerPort+i),
		"NFL_SYNC_CLUSTER_PEERS=" + opts.peers(),
		"NFL_SYNC_ADMIN_API_KEY=" + opts.adminKey,
	}
}

// node is one `nflsync serve` process.
type node struct {
	name       string
	listenAddr string
	logPath    string

	cmd *exec.Cmd

	// exited is closed when the process has exited, and waitErr is then
	// its exit status.
	exited  chan struct{}
	waitErr error

	// stopping is set by stop, so that the exit is logged as a stop and
	// not as a failure.
	stopping atomic.Bool
}

// startNode starts `binary serve` with env added to the inherited
// environment. The process writes to logPath, and also to console when it
// is not nil.
//
// The node runs in its own process group, so that a Ctrl-C in the terminal
// reaches only localcluster, which then stops the nodes in order. It also
// gets SIGKILL from the kernel when localcluster dies.
func startNode(binary string, env []string, name, listenAddr, logPath string, console io.Writer) (*node, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log of %s: %w", name, err)
	}

	n := &node{name: name, listenAddr: listenAddr, logPath: logPath, exited: make(chan struct{})}
	n.cmd = exec.Command(binary, "serve")
	n.cmd.Env = append(os.Environ(), env...)
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	n.cmd.Stdout = logFile
	if console != nil {
		// The file comes first: MultiWriter stops at the first error, and
		// the console writer never returns one.
		n.cmd.Stdout = io.MultiWriter(logFile, console)
	}
	n.cmd.Stderr = n.cmd.Stdout

	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that forked the child exits, not
		// the whole process, so this goroutine keeps its thread until the
		// node has exited. Go ends the thread when the goroutine returns.
		runtime.LockOSThread()

		defer close(n.exited)
		defer logFile.Close()

		if err := n.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil

		n.waitErr = n.cmd.Wait()
		n.logExit()
	}()

	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s (%s serve): %w", name, binary, err)
	}
	return n, nil
}

// logExit logs how the process ended: as a stop after stop, else as a
// failure, such as a node killed to watch failover.
func (n *node) logExit() {
	if n.stopping.Load() {
		slog.Info("node stopped", "node", n.name, "pid", n.pid(), "status", exitStatus(n.waitErr))
		return
	}
	slog.Warn("node exited", "node", n.name, "pid", n.pid(), "status", exitStatus(n.waitErr), "log", n.logPath)
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (n *node) pid() int {
	return n.cmd.Process.Pid
}

func (n *node) hasExited() bool {
	select {
	case <-n.exited:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to timeout for the process to exit, then
// kills it.
func (n *node) stop(timeout time.Duration) {
	n.stopping.Store(true)
	if n.hasExited() {
		return
	}

	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		slog.Warn("send SIGTERM to node failed", "node", n.name, "pid", n.pid(), "error", err)
	}

	select {
	case <-n.exited:
	case <-time.After(timeout):
		slog.Warn("node still running after SIGTERM, killing it", "node", n.name, "pid", n.pid(), "timeout", timeout)
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
}

// stopNodes stops every node at once and returns when all have exited.
func stopNodes(nodes []*node, timeout time.Duration) {
	var stopping sync.WaitGroup
	for _, n := range nodes {
		stopping.Go(func() { n.stop(timeout) })
	}
	stopping.Wait()
}

// waitHealthy waits until every node's /healthz returns 200. It fails when
// a node exits first or ctx ends.
func waitHealthy(ctx context.Context, nodes []*node) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for _, n := range nodes {
		for !healthy(ctx, client, n.listenAddr) {
			select {
			case <-n.exited:
				return fmt.Errorf("%s exited during start-up (%s): see its log %s", n.name, exitStatus(n.waitErr), n.logPath)
			case <-ctx.Done():
				return fmt.Errorf("wait for %s on %s: %w: see its log %s", n.name, n.listenAddr, context.Cause(ctx), n.logPath)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

func healthy(ctx context.Context, client *http.Client, listenAddr string) bool {
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+listenAddr+"/healthz", nil)
	if err != nil {
		return false
	}

	response, err := client.Do(request)
	if err != nil {
		return false
	}
	defer response.Body.Close()

	_, _ = io.Copy(io.Discard, response.Body)
	return response.StatusCode == http.StatusOK
}

// linePrefixer writes each whole line of a node's output to out, prefixed
// with the node name. The prefixers of all nodes share mu, so lines of two
// nodes never mix. Write never fails, so a closed terminal does not stop the
// copy into the log file.
type linePrefixer struct {
	out    io.Writer
	prefix []byte
	mu     *sync.Mutex

	// partial is the start of a line whose end has not arrived yet.
	partial []byte
}

// maxPartialLine bounds the bytes kept of a line without an end. A longer
// line is written out in pieces.
const maxPartialLine = 64 << 10

func newLinePrefixer(out io.Writer, name string, mu *sync.Mutex) *linePrefixer {
	return &linePrefixer{out: out, prefix: []byte(name + " | "), mu: mu}
}

func (w *linePrefixer) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)

	for {
		end := bytes.IndexByte(w.partial, '\n')
		if end < 0 && len(w.partial) < maxPartialLine {
			break
		}
		if end < 0 {
			end = maxPartialLine - 1
		}

		line := append(append([]byte{}, w.prefix...), w.partial[:end+1]...)
		if line[len(line)-1] != '\n' {
			line = append(line, '\n')
		}
		w.mu.Lock()
		_, _ = w.out.Write(line)
		w.mu.Unlock()

		w.partial = w.partial[end+1:]
	}

	w.partial = append([]byte(nil), w.partial...)
	return len(p), nil
}
