// Package hazelcastmember runs a Hazelcast member as a child process: one JVM
// from the Hazelcast jar, bound to 127.0.0.1, with no multicast and no
// phone-home. The tests (hazelcasttest) and cmd/localcluster start their
// members with it.
package hazelcastmember

import (
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
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
)

const (
	// Version is the Hazelcast member version that nflsync runs against.
	// Keep it equal to the version in scripts/hazelcast/fetch.sh.
	Version = "5.5.0"

	// JarEnv names the environment variable that overrides the jar path.
	JarEnv = "NFL_SYNC_HAZELCAST_JAR"

	// mainClass is the member's entry point in the hazelcast jar of Version.
	mainClass = "com.hazelcast.core.server.HazelcastMemberStarter"

	// stopTimeout bounds the wait for a killed member to exit and release its
	// port.
	stopTimeout = 30 * time.Second
)

// Config is the settings of one member: its jar, cluster name, port and
// directory.
type Config struct {
	// Jar is the path of the Hazelcast jar of Version.
	Jar string

	// ClusterName is the member's cluster name, which clients must use.
	ClusterName string

	// Port is the member's port on 127.0.0.1.
	Port int

	// Dir is the directory of the member's configuration files and of its
	// log, member.log. It must exist.
	Dir string
}

// Address returns the member's host:port on 127.0.0.1.
func (c Config) Address() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port))
}

// LogPath returns the path of the member's log, which takes the JVM's
// standard output and error.
func (c Config) LogPath() string {
	return filepath.Join(c.Dir, "member.log")
}

// Process is one running member. Kill stops it.
type Process struct {
	config  Config
	address string

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

// CheckJar returns an error that names scripts/hazelcast/fetch.sh and
// NFL_SYNC_HAZELCAST_JAR when jar does not exist.
func CheckJar(jar string) error {
	if _, err := os.Stat(jar); err != nil {
		return fmt.Errorf("hazelcast %s jar not found at %s (%w): run scripts/hazelcast/fetch.sh or set %s",
			Version, jar, err, JarEnv)
	}
	return nil
}

// Start writes the member's configuration into config.Dir, starts the JVM
// and waits until a Hazelcast client completes its handshake with the
// member, or until ctx ends. On an error the member is killed again.
//
// The JVM runs in its own process group, so a Ctrl-C in the terminal does
// not reach it, and with a parent-death signal, so the kernel kills it when
// the process that started it dies.
func Start(ctx context.Context, config Config) (*Process, error) {
	if err := writeConfig(config); err != nil {
		return nil, err
	}

	p := &Process{
		config:  config,
		address: config.Address(),
	}
	if err := p.spawn(); err != nil {
		return nil, fmt.Errorf("start hazelcast member on %s: %w", p.address, err)
	}

	if err := p.waitReady(ctx); err != nil {
		_ = p.Kill()
		return nil, fmt.Errorf("hazelcast member on %s not ready (log %s): %w", p.address, p.LogPath(), err)
	}
	return p, nil
}

// Address returns the member's host:port on 127.0.0.1.
func (p *Process) Address() string {
	return p.address
}

// LogPath returns the path of the member's log.
func (p *Process) LogPath() string {
	return p.config.LogPath()
}

// PID returns the process id of the JVM, or 0 once it was killed.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()

	if p.process == nil {
		return 0
	}
	return p.process.Pid
}

// Exited reports whether the JVM has exited, by itself or through Kill.
func (p *Process) Exited() bool {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
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

// Kill sends SIGKILL to the member's process group, as a crash would, and
// waits until the JVM has exited and its port refuses connections. It does
// nothing when the member was killed before.
func (p *Process) Kill() error {
	p.mu.Lock()
	process, exited := p.process, p.exited
	p.process, p.exited = nil, nil
	p.mu.Unlock()
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
	for portOpen(p.address) {
		if time.Now().After(deadline) {
			return fmt.Errorf("port %s still open %s after the member exited", p.address, stopTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// spawn execs the JVM in its own process group. The goroutine that starts it
// stays locked to its OS thread until the process exits, because Pdeathsig
// fires when the thread that forked the child exits, not the whole process.
func (p *Process) spawn() error {
	logFile, err := os.OpenFile(p.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open member log: %w", err)
	}

	cmd := exec.Command(javaPath(), javaArgs(p.config)...)
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

	p.mu.Lock()
	p.process = cmd.Process
	p.exited = exited
	p.mu.Unlock()
	return nil
}

// javaArgs returns the JVM command line. The --add-modules, --add-exports
// and --add-opens flags are the ones that Hazelcast 5.5 lists in its start-up
// warning on Java 9 and later, for access to JDK internal APIs.
func javaArgs(config Config) []string {
	return []string{
		"-Xms128m",
		"-Xmx512m",
		"-XX:+UseSerialGC",
		"-XX:TieredStopAtLevel=1",
		"-Dhazelcast.config=" + filepath.Join(config.Dir, "hazelcast.yaml"),
		"-Dhazelcast.phone.home.enabled=false",
		"-Dhazelcast.logging.type=jdk",
		"-Djava.util.logging.config.file=" + filepath.Join(config.Dir, "logging.properties"),
		"-Djava.net.preferIPv4Stack=true",
		"--add-modules", "java.se",
		"--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
		"--add-opens", "java.base/java.lang=ALL-UNNAMED",
		"--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
		"--add-opens", "java.management/sun.management=ALL-UNNAMED",
		"--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
		"-cp", config.Jar,
		mainClass,
	}
}

// waitReady polls until the port accepts connections and a Go client
// completes its handshake with the member, or ctx ends.
func (p *Process) waitReady(ctx context.Context) error {
	for {
		if p.Exited() {
			return errors.New("member process exited during start-up")
		}

		err := connectClient(ctx, p.address, p.config.ClusterName)
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

// connectClient starts a client against address and shuts it down again.
func connectClient(ctx context.Context, address, clusterName string) error {
	if !portOpen(address) {
		return fmt.Errorf("port %s closed", address)
	}

	config := hazelcast.NewConfig()
	config.Cluster.Name = clusterName
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
// shows whether the member was starved or its client was slow.
func writeConfig(config Config) error {
	member := fmt.Sprintf(`hazelcast:
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
`, config.ClusterName, config.Port, config.Port, config.Port)
	if err := os.WriteFile(filepath.Join(config.Dir, "hazelcast.yaml"), []byte(member), 0o644); err != nil {
		return fmt.Errorf("write member config: %w", err)
	}

	logging := `handlers=java.util.logging.ConsoleHandler
.level=WARNING
java.util.logging.ConsoleHandler.level=INFO
com.hazelcast.internal.diagnostics.HealthMonitor.level=INFO
`
	if err := os.WriteFile(filepath.Join(config.Dir, "logging.properties"), []byte(logging), 0o644); err != nil {
		return fmt.Errorf("write member logging config: %w", err)
	}
	return nil
}
