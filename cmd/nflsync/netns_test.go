package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// testNetworkPrefix starts the name of every network namespace that a test
// creates, followed by the test process's pid, so that a later run can
// delete the namespaces of a run that was killed before its cleanup.
const testNetworkPrefix = "nflsync-test-"

// testNetworkSubnet is the private /24 of the node addresses: node i has
// testNetworkSubnet.(i+1). Every run uses it, because each run's
// addresses live in that run's own namespaces.
const testNetworkSubnet = "10.77.0"

// testNetwork is a set of Linux network namespaces that a test creates with
// iproute2: one namespace per node and a switch namespace whose bridge joins
// them, each node through a veth pair (eth0 in the node, n<i> on the
// bridge). The test process stays in its own namespace and reaches a node
// through the node's loopback, by dialing from a thread that entered the
// node's namespace (dialInNamespace).
type testNetwork struct {
	t        *testing.T
	switchNS string
	nodes    []string
}

// requireNetworkNamespaces fails the test unless this process may create
// network namespaces with iproute2. It fails rather than skips, so that a
// run without them does not pass silently.
func requireNetworkNamespaces(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test creates network namespaces and veth pairs with iproute2 and must run as root (euid %d)", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("this test needs iproute2's ip command: %v. Install iproute2 (make test-deps does)", err)
	}

	probe := testNetworkPrefix + strconv.Itoa(os.Getpid()) + "-probe"
	if output, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Fatalf("this test needs Linux network namespaces, but ip netns add failed: %v\n%s", err, output)
	}
	if output, err := exec.Command("ip", "netns", "del", probe).CombinedOutput(); err != nil {
		t.Fatalf("ip netns del %s: %v\n%s", probe, err, output)
	}
}

// newTestNetwork creates the switch and count node namespaces, deleted when
// the test ends, also when it fails.
func newTestNetwork(t *testing.T, count int) *testNetwork {
	t.Helper()
	deleteStaleNamespaces(t)

	var random [3]byte
	_, _ = rand.Read(random[:])
	prefix := testNetworkPrefix + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(random[:])
	network := &testNetwork{t: t, switchNS: prefix + "-switch"}

	network.addNamespace(network.switchNS)
	network.ip("-n", network.switchNS, "link", "add", "br0", "type", "bridge")
	network.ip("-n", network.switchNS, "link", "set", "br0", "up")
	for i := range count {
		node := fmt.Sprintf("%s-node%d", prefix, i+1)
		network.addNamespace(node)
		network.nodes = append(network.nodes, node)

		port := network.switchPort(i)
		network.ip("link", "add", "eth0", "netns", node, "type", "veth", "peer", "name", port, "netns", network.switchNS)
		network.ip("-n", network.switchNS, "link", "set", port, "master", "br0")
		network.ip("-n", network.switchNS, "link", "set", port, "up")
		network.ip("-n", node, "link", "set", "lo", "up")
		network.ip("-n", node, "addr", "add", network.NodeIP(i)+"/24", "dev", "eth0")
		network.ip("-n", node, "link", "set", "eth0", "up")
	}
	return network
}

// addNamespace creates a namespace and registers its deletion. Deleting it
// also deletes the veth ends and the bridge inside.
func (n *testNetwork) addNamespace(name string) {
	n.t.Helper()
	n.ip("netns", "add", name)
	n.t.Cleanup(func() {
		if output, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			n.t.Errorf("ip netns del %s: %v\n%s", name, err, output)
		}
	})
}

// ip runs one iproute2 command and fails the test when it fails.
func (n *testNetwork) ip(args ...string) {
	n.t.Helper()
	if output, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		n.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, output)
	}
}

func (n *testNetwork) switchPort(i int) string {
	return "n" + strconv.Itoa(i+1)
}

// NodeIP returns node i's address on the bridge.
func (n *testNetwork) NodeIP(i int) string {
	return testNetworkSubnet + "." + strconv.Itoa(i+1)
}

// Namespace returns node i's namespace name.
func (n *testNetwork) Namespace(i int) string {
	return n.nodes[i]
}

// Cut sets node i's port on the bridge down. The node's own veth end stays
// up without a carrier, so its packets to the other nodes are dropped
// rather than refused, as in a real partition. Its loopback is untouched.
func (n *testNetwork) Cut(i int) {
	n.t.Helper()
	n.ip("-n", n.switchNS, "link", "set", n.switchPort(i), "down")
}

// Heal sets node i's port on the bridge up again.
func (n *testNetwork) Heal(i int) {
	n.t.Helper()
	n.ip("-n", n.switchNS, "link", "set", n.switchPort(i), "up")
}

// deleteStaleNamespaces deletes the namespaces of earlier test processes
// that are gone, such as a run killed by its timeout before its cleanup.
func deleteStaleNamespaces(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, entry := range entries {
		rest, found := strings.CutPrefix(entry.Name(), testNetworkPrefix)
		if !found {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + pidText); err == nil {
			continue
		}
		if output, err := exec.Command("ip", "netns", "del", entry.Name()).CombinedOutput(); err != nil {
			t.Logf("delete stale namespace %s of pid %d: %v\n%s", entry.Name(), pid, err, output)
		}
	}
}

// inNamespace runs fn on an OS thread that entered the network namespace ns.
// A socket that fn creates stays in ns for its whole life, whichever thread
// uses it later. The thread is not reused when it cannot return to this
// process's namespace.
func inNamespace(ns string, fn func() error) error {
	result := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Unlocked only after the thread is back in its own namespace;
		// otherwise Go ends the thread when this goroutine returns.

		target, err := os.Open(filepath.Join("/run/netns", ns))
		if err != nil {
			runtime.UnlockOSThread()
			result <- fmt.Errorf("open namespace %s: %w", ns, err)
			return
		}
		defer target.Close()
		original, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			result <- fmt.Errorf("open this thread's namespace: %w", err)
			return
		}
		defer original.Close()

		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			result <- fmt.Errorf("enter namespace %s: %w", ns, err)
			return
		}
		fnErr := fn()
		if err := unix.Setns(int(original.Fd()), unix.CLONE_NEWNET); err != nil {
			result <- fmt.Errorf("return from namespace %s: %w", ns, err)
			return
		}
		runtime.UnlockOSThread()
		result <- fnErr
	}()
	return <-result
}

// dialInNamespace returns a dial function, for an http.Transport or a
// websocket.Dialer, whose connections start in the namespace ns.
func dialInNamespace(ns string) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		var conn net.Conn
		err := inNamespace(ns, func() error {
			var dialErr error
			conn, dialErr = (&net.Dialer{}).DialContext(ctx, network, address)
			return dialErr
		})
		return conn, err
	}
}

// proxyIntoNamespace listens on address inside the namespace ns and forwards
// every connection to the same address in the test's namespace, so that
// processes in ns reach a server that the test started on 127.0.0.1 under
// the address that server advertises. It stops when the test ends.
func proxyIntoNamespace(t *testing.T, ns, address string) {
	t.Helper()
	var listener net.Listener
	err := inNamespace(ns, func() error {
		var listenErr error
		listener, listenErr = net.Listen("tcp", address)
		return listenErr
	})
	if err != nil {
		t.Fatalf("listen on %s in namespace %s: %v", address, ns, err)
	}

	var mu sync.Mutex
	var open []net.Conn
	stopped := false
	t.Cleanup(func() {
		listener.Close()
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		for _, conn := range open {
			conn.Close()
		}
	})

	go func() {
		for {
			inside, err := listener.Accept()
			if err != nil {
				return
			}
			outside, err := net.Dial("tcp", address)
			if err != nil {
				inside.Close()
				continue
			}
			mu.Lock()
			if stopped {
				mu.Unlock()
				inside.Close()
				outside.Close()
				return
			}
			open = append(open, inside, outside)
			mu.Unlock()

			go pipe(inside, outside)
			go pipe(outside, inside)
		}
	}()
}

// pipe copies from one connection to the other and closes both at the end.
func pipe(from, to net.Conn) {
	_, _ = io.Copy(to, from)
	from.Close()
	to.Close()
}
