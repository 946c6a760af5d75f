// Package hazelcasttest starts a real Hazelcast member for tests: one JVM on
// 127.0.0.1, cluster name ClusterName, no multicast and no phone-home.
//
// The member runs the jar of Hazelcast Version. Its path comes from the
// environment variable NFL_SYNC_HAZELCAST_JAR, or else from the local Maven
// repository, where scripts/hazelcast/fetch.sh puts it. A missing jar fails
// the test instead of skipping it.
package hazelcasttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
)

const (
	// Version is the Hazelcast member version that tests run against. Keep it
	// equal to the version in scripts/hazelcast/fetch.sh.
	Version = "5.5.0"

	// ClusterName is the cluster name of every test member.
	ClusterName = "nflsync-test"

	// JarEnv names the environment variable that overrides the jar path.
	JarEnv = "NFL_SYNC_HAZELCAST_JAR"

	// mainClass is the member's entry point in the hazelcast jar of Version.
	mainClass = "com.hazelcast.core.server.HazelcastMemberStarter"

	// startTimeout bounds one member start, from exec to the first client
	// connection. Starts took 1.6 to 2.1 seconds on a 2-core development
	// machine, so the margin is for busy CI runners.
	startTimeout = 90 * time.Second

	// stopTimeout bounds the wait for a killed member to exit and release its
	// port.
	stopTimeout = 30 * time.Second
)

// Member is one Hazelcast member process. Stop and Start kill and restart it
// on the same address, so a test can take the cluster away from a client and
// bring back a fresh, empty member. Its methods fail the test through t, so
// call them from the test goroutine.
type Member struct {
	t          testing.TB
	jar        string
	configPath string
	logPath    string
	address    string

	mu      sync.Mutex
	process *os.Process
	exited  chan struct{}
}

// JarPath returns the path of the Hazelcast jar: $NFL_SYNC_HAZELCAST_JAR when
// it is set, or else the jar of Version in ~/.m2/repository.
func JarPath() (string, error) {
	if path := os.Getenv(JarEnv); path != "" {
		return path, nil
	}

	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the local Maven repository: %w", err)
	}
	return filepath.Join(home, ".m2", "repository", "com", "hazelcast", "hazelcast", Version,
		"hazelcast-"+Version+".jar"), nil
}

// StartMember starts a member on a free port of 127.0.0.1 and waits until a
// client connects to it. The member is killed when the test ends, also when
// it fails or panics. If the test binary itself dies, the kernel kills the
// member too, because the process is started with a parent-death signal.
func StartMember(t testing.TB) *Member {
	t.Helper()

	jar, err := JarPath()
	if err != nil {
		t.Fatalf("hazelcasttest: %v", err)
	}
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("hazelcasttest: Hazelcast %s jar not found at %s (%v): run scripts/hazelcast/fetch.sh or set %s",
			Version, jar, err, JarEnv)
	}

	port, err := freePort()
	if err != nil {
		t.Fatalf("hazelcasttest: %v", err)
	}

	dir := t.TempDir()
	member := &Member{
		t:          t,
		jar:        jar,
		configPath: filepath.Join(dir, "hazelcast.yaml"),
		logPath:    filepath.Join(dir, "member.log"),
		address:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
	}
	if err := writeConfig(dir, member.configPath, port); err != nil {
		t.Fatalf("hazelcasttest: %v", err)
	}

	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		member.kill()
		if t.Failed() {
			member.logOutput()
		}
	})

	member.Start()
	return member
}

// Address returns the member's host:port on 127.0.0.1.
func (m *Member) Address() string {
	return m.address
}

// Start starts the member process if it is not running and waits until a
// client connects to it. A restarted member is a new cluster with empty maps.
func (m *Member) Start() {
	m.t.Helper()

	if !m.hasExited() {
		return
	}

	// A member that exited by itself still holds its process entry.
	if err := m.kill(); err != nil {
		m.t.Fatalf("hazelcasttest: clean up exited member on %s: %v", m.address, err)
	}

	started := time.Now()
	if err := m.spawn(); err != nil {
		m.t.Fatalf("hazelcasttest: start member on %s: %v", m.address, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := m.waitReady(ctx); err != nil {
		m.kill()
		m.logOutput()
		m.t.Fatalf("hazelcasttest: member on %s not ready after %s: %v", m.address, startTimeout, err)
	}
	m.t.Logf("hazelcasttest: member %s on %s ready in %s", Version, m.address, time.Since(started).Round(time.Millisecond))
}

// Stop kills the member with SIGKILL, as a crash would, and waits until the
// process has exited and its port is closed.
func (m *Member) Stop() {
	m.t.Helper()

	if err := m.kill(); err != nil {
		m.t.Fatalf("hazelcasttest: stop member on %s: %v", m.address, err)
	}
}

// spawn execs the JVM in its own process group. The goroutine that starts it
// stays locked to its OS thread until the process exits, because Pdeathsig
// fires when the thread that forked the child exits, not the whole process.
func (m *Member) spawn() error {
	logFile, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open member log: %w", err)
	}

	cmd := exec.Command(javaPath(), m.javaArgs()...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}

	startErr := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		// The thread is not unlocked: Go ends it when this goroutine returns,
		// which is after the member process has exited.

		defer close(exited)
		defer logFile.Close()

		if err := cmd.Start(); err != nil {
			startErr <- err
			return
		}
		startErr <- nil
		_ = cmd.Wait()
	}()

	if err := <-startErr; err != nil {
		<-exited
		return fmt.Errorf("exec %s: %w", cmd.Path, err)
	}

	m.mu.Lock()
	m.process = cmd.Process
	m.exited = exited
	m.mu.Unlock()
	return nil
}

// javaArgs returns the JVM command line. The --add-modules, --add-exports
// and --add-opens flags are the ones that Hazelcast 5.5 lists in its start-up
// warning on Java 9 and later, for access to JDK internal APIs.
func (m *Member) javaArgs() []string {
	return []string{
		"-Xms128m",
		"-Xmx512m",
		"-XX:+UseSerialGC",
		"-XX:TieredStopAtLevel=1",
		"-Dhazelcast.config=" + m.configPath,
		"-Dhazelcast.phone.home.enabled=false",
		"-Dhazelcast.logging.type=jdk",
		"-Djava.util.logging.config.file=" + filepath.Join(filepath.Dir(m.configPath), "logging.properties"),
		"-Djava.net.preferIPv4Stack=true",
		"--add-modules", "java.se",
		"--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
		"--add-opens", "java.base/java.lang=ALL-UNNAMED",
		"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
		"--add-opens", "java.management/sun.management=ALL-UNNAMED",
		"--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
		"-cp", m.jar,
		mainClass,
	}
}

// waitReady polls until the port accepts connections and a Go client
// completes its handshake with the member, or ctx ends.
func (m *Member) waitReady(ctx context.Context) error {
	for {
		if m.hasExited() {
			return errors.New("member process exited during start-up")
		}

		err := connectClient(ctx, m.address)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}

		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (m *Member) hasExited() bool {
	m.mu.Lock()
	exited := m.exited
	m.mu.Unlock()
	if exited == nil {
		return true
	}

	select {
	case <-exited:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL to the member's process group and waits until it has
// exited and its port refuses connections. It does nothing when the member
// is not running.
func (m *Member) kill() error {
	m.mu.Lock()
	process, exited := m.process, m.exited
	m.process, m.exited = nil, nil
	m.mu.Unlock()
	if process == nil {
		return nil
	}

	if err := syscall.Kill(-process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", process.Pid, err)
	}

	select {
	case <-exited:
	case <-time.After(stopTimeout):
		return fmt.Errorf("process %d still running %s after SIGKILL", process.Pid, stopTimeout)
	}

	deadline := time.Now().Add(stopTimeout)
	for portOpen(m.address) {
		if time.Now().After(deadline) {
			return fmt.Errorf("port %s still open %s after the member exited", m.address, stopTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// logOutput writes the tail of the member's log to the test log.
func (m *Member) logOutput() {
	output, err := os.ReadFile(m.logPath)
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
		m.t.Logf("hazelcasttest: member log %s is empty", m.logPath)
		return
	}
	m.t.Logf("hazelcasttest: tail of member log %s:\n%s", m.logPath, output)
}

// connectClient starts a client against address and shuts it down again.
func connectClient(ctx context.Context, address string) error {
	if !portOpen(address) {
		return fmt.Errorf("port %s closed", address)
	}

	config := hazelcast.NewConfig()
	config.Cluster.Name = ClusterName
	config.Cluster.Network.SetAddresses(address)
	config.Cluster.ConnectionStrategy.Timeout = types.Duration(5 * time.Second)
	config.Logger.Level = logger.OffLevel
	config.Stats.Enabled = false

	client, err := hazelcast.StartNewClientWithConfig(ctx, config)
	if err != nil {
		return fmt.Errorf("connect client: %w", err)
	}
	return client.Shutdown(ctx)
}

func portOpen(address string) bool {
	conn, err := net.DialTimeout("tcp", address, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
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

func javaPath() string {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		return filepath.Join(home, "bin", "java")
	}
	return "java"
}

// writeConfig writes the member configuration and a java.util.logging
// configuration that keeps warnings, errors and the health monitor's
// reports. The health monitor of Hazelcast 5.5 logs at INFO every 20 s
// while process or system CPU or heap use is above 70 %. Its lines carry
// GC counts and times and the operation queue sizes, so the member log
// that a failed test prints tells a starved member from a slow client.
func writeConfig(dir, configPath string, port int) error {
	config := fmt.Sprintf(`hazelcast:
  cluster-name: %s
  network:
    public-address: 127.0.0.1:%d
    reuse-address: true
    port:
      auto-increment: false
      port: %d
    join:
      auto-detection:
        enabled: false
      multicast:
        enabled: false
      tcp-ip:
        enabled: true
        member-list:
          - 127.0.0.1:%d
    interfaces:
      enabled: true
      interfaces:
        - 127.0.0.1
  jet:
    enabled: false
  properties:
    hazelcast.phone.home.enabled: false
    hazelcast.socket.bind.any: false
    hazelcast.shutdownhook.enabled: false
`, ClusterName, port, port, port)
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return fmt.Errorf("write member config: %w", err)
	}

	logging := `handlers=java.util.logging.ConsoleHandler
.level=WARNING
java.util.logging.ConsoleHandler.level=INFO
com.hazelcast.internal.diagnostics.HealthMonitor.level=INFO
`
	if err := os.WriteFile(filepath.Join(dir, "logging.properties"), []byte(logging), 0o644); err != nil {
		return fmt.Errorf("write member logging config: %w", err)
	}
	return nil
}
