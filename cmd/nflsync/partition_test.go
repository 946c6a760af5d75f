package main

import (
	"context"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nflsync/nflsync/adapters/hazelcast/hazelcasttest"
	"github.com/nflsync/nflsync/adapters/mongo"
)

// Ports of every node inside its own namespace. Each node has its own
// namespace, so they never collide with another node or another test.
const (
	partitionListenAddr   = "127.0.0.1:8080"
	partitionRemotePort   = "6330"
	partitionProviderPort = 6331
)

// TestClusterPartition runs three nodes, each in its own network namespace
// joined by a bridge, and cuts the polling node off from the bridge
// mid-season. It checks that the cut-off node notifies its clients with
// NODE_STATUS and close code 1012 and then exits. It checks that the other
// side takes over polling on one node and runs the cut-off node's player
// actors. Every client must end with the whole season, those of the cut-off
// node after they moved to another node and resumed there. MongoDB and Hazelcast stay reachable from every node through
// proxies on the node's loopback, so the cut separates the nodes only from
// each other.
func TestClusterPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Hazelcast, FerretDB and three nflsync processes in network namespaces")
	}
	requireNetworkNamespaces(t)
	binary := buildBinary(t)
	member := hazelcasttest.StartMember(t)
	embedded, err := mongo.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("start embedded FerretDB: %v", err)
	}
	t.Cleanup(func() { _ = embedded.Close() })
	mongoURI, err := url.Parse(embedded.URI())
	if err != nil {
		t.Fatalf("parse FerretDB URI %s: %v", embedded.URI(), err)
	}

	network := newTestNetwork(t, 3)
	var specs []nodeSpec
	for i := range 3 {
		namespace := network.Namespace(i)
		proxyIntoNamespace(t, namespace, mongoURI.Host)
		proxyIntoNamespace(t, namespace, member.Address())
		specs = append(specs, nodeSpec{
			netns:        namespace,
			listenAddr:   partitionListenAddr,
			bindAddr:     net.JoinHostPort(network.NodeIP(i), partitionRemotePort),
			providerPort: partitionProviderPort,
		})
	}
	nodes := startNodes(t, binary, embedded.URI(), member.Address(), specs)
	polling := waitForOnePoller(t, nodes)

	// The cut-off node is the polling node, the harder case: polling and
	// its share of the player actors must move to the majority side.
	cutIndex := slices.Index(nodes, polling)
	cut := nodes[cutIndex]

	// Clients follow two players, one follower per player on every node.
	// A follower whose connection ends moves on to the next node, as
	// behind a load balancer, and resumes there.
	players := []string{mahomesID, "00-0034857"}
	var followers []*playerFollower
	var firstNode []int
	var running sync.WaitGroup
	stopFollowing := make(chan struct{})
	for i := range nodes {
		for _, playerID := range players {
			follower := &playerFollower{playerID: playerID, points: make(map[int]string)}
			followers = append(followers, follower)
			firstNode = append(firstNode, i)
			running.Add(1)
			go func() {
				defer running.Done()
				for attempt := 0; !closed(stopFollowing); attempt++ {
					if err := follower.follow(nodes[(i+attempt)%len(nodes)]); err != nil {
						time.Sleep(200 * time.Millisecond)
					}
				}
			}()
		}
	}
	t.Cleanup(func() {
		close(stopFollowing)
		for _, follower := range followers {
			follower.mu.Lock()
			if follower.conn != nil {
				follower.conn.Close()
			}
			follower.mu.Unlock()
		}
		running.Wait()
	})

	waitFor(t, 90*time.Second, "four weeks announced", func() bool {
		points, _ := followers[0].snapshot()
		return len(points) >= 4
	})
	weeksAtCut := 0
	for i, follower := range followers {
		if firstNode[i] != cutIndex {
			points, _ := follower.snapshot()
			weeksAtCut = max(weeksAtCut, len(points))
		}
	}
	playerActorsBefore := make(map[string]float64)
	for _, node := range nodes {
		playerActorsBefore[node.name], _ = node.scrape(playerActorsMetric)
	}
	cutAt := time.Now()
	network.Cut(cutIndex)
	t.Logf("cut %s, the polling node, off at %s; player actors by node: %v", cut.name,
		cutAt.Format(time.RFC3339Nano), playerActorsBefore)

	// The cut-off node's clients get NODE_STATUS and a close frame, and
	// move.
	for i, follower := range followers {
		if firstNode[i] != cutIndex {
			continue
		}
		var notice followerClose
		waitFor(t, 30*time.Second, "a client of "+cut.name+" gets NODE_STATUS", func() bool {
			follower.mu.Lock()
			defer follower.mu.Unlock()
			for _, ended := range follower.closes {
				if ended.node == cut.name && ended.at.After(cutAt) {
					notice = ended
					return true
				}
			}
			return false
		})
		t.Logf("follower of %s on %s: NODE_STATUS %q, close code %d, reconnect_after_ms %d, %s after the cut",
			follower.playerID, cut.name, notice.status, notice.code, notice.reconnectAfter.Milliseconds(),
			notice.at.Sub(cutAt).Round(10*time.Millisecond))
		if notice.status != "isolated" {
			t.Errorf("follower of %s on %s: NODE_STATUS status %q, want \"isolated\"", follower.playerID, cut.name, notice.status)
		}
		if notice.code != websocket.CloseServiceRestart {
			t.Errorf("follower of %s on %s: close code %d, want %d", follower.playerID, cut.name, notice.code, websocket.CloseServiceRestart)
		}
		if notice.reconnectAfter <= 0 {
			t.Errorf("follower of %s on %s: reconnect_after_ms %d, want > 0", follower.playerID, cut.name, notice.reconnectAfter.Milliseconds())
		}
	}

	// The majority side counts two members and goes on polling on one
	// of its nodes, which run the cut-off node's player actors too.
	for _, node := range nodes {
		if node == cut {
			continue
		}
		waitFor(t, 30*time.Second, node.name+" sees 2 members", func() bool {
			members, ok := node.scrape("nflsync_cluster_members")
			return ok && members == 2
		})
	}
	t.Logf("the majority side sees 2 members %s after the cut", time.Since(cutAt).Round(10*time.Millisecond))
	waitFor(t, 30*time.Second, "polling moves to the majority side", func() bool {
		growing := pollingNodes(nodes, 2*time.Second)
		return len(growing) == 1 && growing[0] != cut
	})
	t.Logf("polling moved to the majority side %s after the cut", time.Since(cutAt).Round(10*time.Millisecond))
	checkActorsMoved(t, nodes, cut, playerActorsBefore)

	// The cut-off node stops with an error, because the other members
	// have blocked its member id for good and it has blocked theirs.
	select {
	case <-cut.exited:
	case <-time.After(120 * time.Second):
		t.Fatalf("%s still runs 120 s after it was cut off, want it stopped", cut.name)
	}
	t.Logf("%s exited with %s, %s after the cut", cut.name, cut.command.ProcessState,
		time.Since(cutAt).Round(10*time.Millisecond))
	if code := cut.command.ProcessState.ExitCode(); code != 1 {
		t.Errorf("%s exit code %d after it was cut off, want 1", cut.name, code)
	}

	// The other side's clients, the moved ones included, keep getting
	// changes while the partition lasts.
	waitFor(t, 60*time.Second, "three more weeks on the majority side", func() bool {
		for _, follower := range followers {
			if points, _ := follower.snapshot(); len(points) < weeksAtCut+3 {
				return false
			}
		}
		return true
	})

	// NOTE: the test does not restart the cut-off node after healing the
	// link. A restarted node is a new member id, which the others accept
	// as they accept any node that starts late, but here its index
	// creation waited for over 90 s on the embedded FerretDB, which the
	// replay's writes keep busy.
	network.Heal(cutIndex)

	// Every client ends with the whole season, and none received a week
	// twice on one connection, as two PLAYER_UPDATEs or in a SNAPSHOT and
	// a PLAYER_UPDATE.
	for i, follower := range followers {
		want := seasonReference(t, follower.playerID)
		deadline := time.Now().Add(3 * time.Minute)
		for {
			points, _ := follower.snapshot()
			if equalWeeks(points, want) {
				break
			}
			if time.Now().After(deadline) {
				follower.mu.Lock()
				node, errorMessages := follower.node, follower.errors
				follower.mu.Unlock()
				t.Fatalf("follower of %s, first on %s, now on %s: got weeks %v, want %v; ERROR messages: %v",
					follower.playerID, nodes[firstNode[i]].name, node, points, want, errorMessages)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if _, duplicates := follower.snapshot(); len(duplicates) > 0 {
			t.Errorf("follower of %s got a week twice as PLAYER_UPDATE on one connection: %v", follower.playerID, duplicates)
		}
		follower.mu.Lock()
		if len(follower.snapshotRepeats) > 0 {
			t.Errorf("follower of %s got a week in a SNAPSHOT and again as PLAYER_UPDATE on one connection: %v",
				follower.playerID, follower.snapshotRepeats)
		}
		follower.mu.Unlock()
		if firstNode[i] == cutIndex {
			follower.mu.Lock()
			resumes := slices.Clone(follower.resumes)
			follower.mu.Unlock()
			if len(resumes) == 0 || resumes[0] {
				t.Errorf("follower of %s moved off %s: resume ACKs %v, want \"resumed\":false first (another node's epoch)",
					follower.playerID, cut.name, resumes)
			}
		}
	}
}
