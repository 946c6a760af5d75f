package membership

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/nflsync/nflsync/actors"
)

func freePort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

// TestSingleMemberPollsAndBindsOnlyItsHost starts one member whose peer list
// is itself: it counts one member, polls, and its two ports accept connections
// on 127.0.0.1 but not on 127.0.0.2, so neither listens on every address.
// Several members need several processes (see cmd/nflsync's cluster test),
// because two in one process share a protoactor global.
func TestSingleMemberPollsAndBindsOnlyItsHost(t *testing.T) {
	remotePort, providerPort := freePort(t), freePort(t)
	members := make(chan int, 16)
	leadership := make(chan bool, 4)

	system := actor.NewActorSystem()
	node, err := Start(system, Config{
		Name:         "membership-test",
		BindAddr:     "127.0.0.1:" + strconv.Itoa(remotePort),
		ProviderPort: providerPort,
		Peers:        []string{"127.0.0.1:" + strconv.Itoa(providerPort)},
		Hub:          actors.NewHub(),

		OnTopology:   func(count int, _ bool) { members <- count },
		OnLeadership: func(leading bool) { leadership <- leading },
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer node.Stop()

	select {
	case count := <-members:
		if count != 1 {
			t.Errorf("members = %d, want 1", count)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no topology within 30s")
	}
	select {
	case leading := <-leadership:
		if !leading {
			t.Error("the only member does not poll")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no leadership within 30s")
	}

	for _, port := range []int{remotePort, providerPort} {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 2*time.Second)
		if err != nil {
			t.Errorf("port %d on 127.0.0.1: %v", port, err)
		} else {
			conn.Close()
		}
		if conn, err := net.DialTimeout("tcp", "127.0.0.2:"+strconv.Itoa(port), 2*time.Second); err == nil {
			conn.Close()
			t.Errorf("port %d answers on 127.0.0.2: it is not bound to 127.0.0.1 only", port)
		}
	}

	node.Leave()
	if node.Leading() {
		t.Error("a member that left still polls")
	}
}

func TestStartRejectsBadBindAddress(t *testing.T) {
	for _, address := range []string{"", "127.0.0.1", "127.0.0.1:x", "127.0.0.1:0"} {
		_, err := Start(actor.NewActorSystem(), Config{Name: "x", BindAddr: address, Peers: []string{"127.0.0.1:1"}, Hub: actors.NewHub()})
		if err == nil {
			t.Errorf("bind address %q: no error", address)
		}
	}
}
