// Package hazelcasttest starts a real Hazelcast member for tests: one JVM on
// 127.0.0.1, cluster name ClusterName, no multicast and no phone-home.
//
// The member runs the jar of hazelcastmember.Version. Its path comes from
// the environment variable NFL_SYNC_HAZELCAST_JAR, or else from the local
// Maven repository, where scripts/hazelcast/fetch.sh puts it. A missing jar
// fails the test instead of skipping it.
package hazelcasttest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nflsync/nflsync/adapters/hazelcast/hazelcastmember"
)

const (
	// ClusterName is the cluster name of every test member.
	ClusterName = "nflsync-test"

	// startTimeout bounds one member start, from exec to the first client
	// connection. Starts took 1.6 to 2.1 seconds on a 2-core development
	// machine, so the margin is for busy CI runners.
	startTimeout = 90 * time.Second
)

// Member is one Hazelcast member process. Stop and Start kill and restart it
// on the same address, so a test can take the cluster away from a client and
// bring back a fresh, empty member. Its methods fail the test through t, so
// call them from the test goroutine.
type Member struct {
	t       testing.TB
	config  hazelcastmember.Config
	process *hazelcastmember.Process
}

// StartMember starts a member on a free port of 127.0.0.1 and waits until a
// client connects to it. The member is killed when the test ends, also when
// it fails or panics. If the test binary itself dies, the kernel kills the
// member too, because the process is started with a parent-death signal.
func StartMember(t testing.TB) *Member {
	t.Helper()

	jar, err := hazelcastmember.JarPath()
	if err != nil {
		t.Fatalf("hazelcasttest: %v", err)
	}
	if err := hazelcastmember.CheckJar(jar); err != nil {
		t.Fatalf("hazelcasttest: %v", err)
	}

	port, err := freePort()
	if err != nil {
		t.Fatalf("hazelcasttest: %v", err)
	}

	member := &Member{
		t: t,
		config: hazelcastmember.Config{
			Jar:         jar,
			ClusterName: ClusterName,
			Port:        port,
			Dir:         t.TempDir(),
		},
	}

	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		if member.process != nil {
			_ = member.process.Kill()
		}
		if t.Failed() {
			member.logOutput()
		}
	})

	member.Start()
	return member
}

// Address returns the member's host:port on 127.0.0.1.
func (m *Member) Address() string {
	return m.config.Address()
}

// Start starts the member process if it is not running and waits until a
// client connects to it. A restarted member is a new cluster with empty maps.
func (m *Member) Start() {
	m.t.Helper()

	if m.process != nil && !m.process.Exited() {
		return
	}

	// A member that exited by itself still holds its process entry.
	if m.process != nil {
		if err := m.process.Kill(); err != nil {
			m.t.Fatalf("hazelcasttest: clean up exited member on %s: %v", m.Address(), err)
		}
	}

	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	process, err := hazelcastmember.Start(ctx, m.config)
	if err != nil {
		m.logOutput()
		m.t.Fatalf("hazelcasttest: start member within %s: %v", startTimeout, err)
	}
	m.process = process
	m.t.Logf("hazelcasttest: member %s on %s ready in %s", hazelcastmember.Version, m.Address(),
		time.Since(started).Round(time.Millisecond))
}

// Stop kills the member with SIGKILL, as a crash would, and waits until the
// process has exited and its port is closed.
func (m *Member) Stop() {
	m.t.Helper()

	if m.process == nil {
		return
	}
	if err := m.process.Kill(); err != nil {
		m.t.Fatalf("hazelcasttest: stop member on %s: %v", m.Address(), err)
	}
}

// logOutput writes the tail of the member's log to the test log.
func (m *Member) logOutput() {
	logPath := m.config.LogPath()
	output, err := os.ReadFile(logPath)
	if err != nil {
		m.t.Logf("hazelcasttest: read member log: %v", err)
		return
	}

	const maxBytes = 8 << 10
	if len(output) > maxBytes {
		output = output[len(output)-maxBytes:]
	}
	output = bytes.TrimSpace(output)
	if len(output) == 0 {
		m.t.Logf("hazelcasttest: member log %s is empty", logPath)
		return
	}
	m.t.Logf("hazelcasttest: tail of member log %s:\n%s", logPath, output)
}

// freePort returns a port of 127.0.0.1 that was free a moment ago. Another
// process can take it before the member binds it, which fails the start.
func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}
