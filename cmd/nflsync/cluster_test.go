package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/hazelcast/hazelcasttest"
	"github.com/nflsync/nflsync/adapters/mongo"
	"github.com/nflsync/nflsync/adapters/nflverse"
)

// clusterNode is one nflsync process of a test cluster.
type clusterNode struct {
	name    string
	address string // NFL_SYNC_LISTEN_ADDR
	command *exec.Cmd
	logPath string
	exited  chan struct{}

	// netns is the network namespace the node runs in, empty for the
	// test's own. address is on that namespace's loopback.
	netns string

	// bindAddr is NFL_SYNC_CLUSTER_BIND_ADDR, the member's address in the
	// cluster.
	bindAddr string
}

// nodeSpec is where startNodes runs one node and what it binds.
type nodeSpec struct {
	netns        string
	listenAddr   string
	bindAddr     string // NFL_SYNC_CLUSTER_BIND_ADDR
	providerPort int
}

// dial connects to address from the node's namespace.
func (n *clusterNode) dial(ctx context.Context, network, address string) (net.Conn, error) {
	if n.netns != "" {
		return dialInNamespace(n.netns)(ctx, network, address)
	}
	return (&net.Dialer{}).DialContext(ctx, network, address)
}

// httpClient returns a client that reaches the node's listeners.
func (n *clusterNode) httpClient() *http.Client {
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: n.dial, DisableKeepAlives: true}}
}

// buildBinary builds cmd/nflsync once for the multi-process tests. Two
// members in one process would share a protoactor global that the race
// detector reports, so every node is its own process.
func buildBinary(t testing.TB) string {
	t.Helper()
	binary := filepath.Join(t.TempDir(), "nflsync")
	build := exec.Command("go", "build", "-o", binary, ".")
	if output, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, output)
	}
	return binary
}

// freeLoopbackPorts returns count ports that were free on 127.0.0.1.
func freeLoopbackPorts(t *testing.T, count int) []int {
	t.Helper()
	var listeners []net.Listener
	defer func() {
		for _, listener := range listeners {
			listener.Close()
		}
	}()
	ports := make([]int, 0, count)
	for range count {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, listener)
		ports = append(ports, listener.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// startClusterNodes starts count nflsync processes on the 2024 replay, one
// cluster on 127.0.0.1 sharing mongoURI and the Hazelcast member.
func startClusterNodes(t *testing.T, binary, mongoURI, hazelcastAddress string, count int) []*clusterNode {
	t.Helper()
	ports := freeLoopbackPorts(t, 3*count)
	var specs []nodeSpec
	for i := range count {
		specs = append(specs, nodeSpec{
			listenAddr:   "127.0.0.1:" + strconv.Itoa(ports[3*i]),
			bindAddr:     "127.0.0.1:" + strconv.Itoa(ports[3*i+1]),
			providerPort: ports[3*i+2],
		})
	}
	return startNodes(t, binary, mongoURI, hazelcastAddress, specs)
}

// startNodes starts one nflsync process per spec on the 2024 replay, one
// cluster sharing mongoURI and the Hazelcast member. A node with a netns
// runs in that namespace through `ip netns exec`.
func startNodes(t *testing.T, binary, mongoURI, hazelcastAddress string, specs []nodeSpec) []*clusterNode {
	t.Helper()
	replay, err := filepath.Abs(filepath.Join("..", "..", "testdata", "replay", "2024"))
	if err != nil {
		t.Fatal(err)
	}
	var peers []string
	for _, spec := range specs {
		host, _, err := net.SplitHostPort(spec.bindAddr)
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, net.JoinHostPort(host, strconv.Itoa(spec.providerPort)))
	}
	database := fmt.Sprintf("nflsync_cluster_%d", time.Now().UnixNano())

	// NFL_SYNC_TEST_LOGS keeps the nodes' logs after the test.
	logDir := t.TempDir()
	if os.Getenv("NFL_SYNC_TEST_LOGS") != "" {
		if logDir, err = os.MkdirTemp("", "nflsync-cluster-"); err != nil {
			t.Fatal(err)
		}
		t.Logf("node logs in %s", logDir)
	}

	var nodes []*clusterNode
	for i, spec := range specs {
		node := &clusterNode{
			name:    fmt.Sprintf("node-%d", i+1),
			address: spec.listenAddr,
			logPath: filepath.Join(logDir, fmt.Sprintf("nflsync-%d.log", i+1)),
			exited:  make(chan struct{}),
			netns:   spec.netns,

			bindAddr: spec.bindAddr,
		}
		logFile, err := os.Create(node.logPath)
		if err != nil {
			t.Fatal(err)
		}
		// `ip netns exec` execs the binary in place, so the process
		// that gets the signals below is nflsync itself.
		node.command = exec.Command(binary, "serve")
		if spec.netns != "" {
			node.command = exec.Command("ip", "netns", "exec", spec.netns, binary, "serve")
		}
		node.command.Stdout = logFile
		node.command.Stderr = logFile
		node.command.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		node.command.Env = append(os.Environ(),
			"NFL_SYNC_SOURCE=replay:"+replay,
			"NFL_SYNC_INTERVAL_SECONDS=1",
			"NFL_SYNC_OFFSEASON_INTERVAL_SECONDS=1",
			"NFL_SYNC_LISTEN_ADDR="+node.address,
			"NFL_SYNC_DATA_DIR="+t.TempDir(),
			"NFL_SYNC_MONGO_URI="+mongoURI,
			"NFL_SYNC_MONGO_DATABASE="+database,
			"NFL_SYNC_HAZELCAST_ADDRESSES="+hazelcastAddress,
			"NFL_SYNC_HAZELCAST_CLUSTER_NAME="+hazelcasttest.ClusterName,
			"NFL_SYNC_CLUSTER_NAME=nflsync-test",
			"NFL_SYNC_CLUSTER_BIND_ADDR="+spec.bindAddr,
			"NFL_SYNC_CLUSTER_PROVIDER_PORT="+strconv.Itoa(spec.providerPort),
			"NFL_SYNC_CLUSTER_PEERS="+strings.Join(peers, ","),
			"NFL_SYNC_LOG_LEVEL=info",
			"NFL_SYNC_ADMIN_API_KEY="+testAdminKey,
		)
		if err := node.command.Start(); err != nil {
			t.Fatalf("start %s: %v", node.name, err)
		}
		go func() {
			_ = node.command.Wait()
			logFile.Close()
			close(node.exited)
		}()
		t.Cleanup(func() {
			_ = node.command.Process.Signal(syscall.SIGTERM)
			select {
			case <-node.exited:
			case <-time.After(30 * time.Second):
				_ = node.command.Process.Kill()
				<-node.exited
			}
			if t.Failed() || os.Getenv("NFL_SYNC_TEST_LOGS") != "" {
				logs, _ := os.ReadFile(node.logPath)
				t.Logf("%s log:\n%s", node.name, tail(nflsyncLines(string(logs)), 80))
			}
		})
		nodes = append(nodes, node)
	}
	return nodes
}

// nflsyncLines drops protoactor's own log lines.
func nflsyncLines(text string) string {
	var kept []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.Contains(line, "component=protoactor") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

// tail returns the last lines of text.
func tail(text string, lines int) string {
	all := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(all[max(len(all)-lines, 0):], "\n")
}

// scrape returns the value of one unlabelled metric, or of the sum of a
// labelled one, from the node's /metrics. ok is false when the node does
// not respond.
func (n *clusterNode) scrape(name string) (value float64, ok bool) {
	response, err := n.httpClient().Get("http://" + n.address + "/metrics")
	if err != nil {
		return 0, false
	}
	defer response.Body.Close()
	scanner := bufio.NewScanner(response.Body)
	scanner.Buffer(make([]byte, 1024*1024), 1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		fields := strings.Fields(line)
		parsed, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err == nil {
			value += parsed
		}
	}
	return value, true
}

// waitFor polls condition every 100 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// playerFollower is a WebSocket client that follows one player through
// reconnects and keeps, per week, the PPR points it received. duplicates
// lists weeks that a PLAYER_UPDATE announced twice on one connection, and
// snapshotRepeats those that a PLAYER_UPDATE repeated after a SNAPSHOT of
// the connection had them. After a reconnect it sends resume with the last
// epoch and seq it saw, as web/nflsync.js does.
type playerFollower struct {
	playerID string

	mu              sync.Mutex
	points          map[int]string
	duplicates      []string
	snapshotRepeats []string
	node            string
	conn            *websocket.Conn

	// epoch and seq are the client's position on the player's stream.
	epoch string
	seq   uint64

	// closes records how each connection ended, and resumes the
	// "resumed" value of each resume ACK.
	closes  []followerClose
	resumes []bool

	// errors are the ERROR messages the follower got, on any connection.
	errors []string
}

// followerClose is how one connection of a follower ended.
type followerClose struct {
	node string
	at   time.Time

	// code is the close code, -1 without a close frame.
	code int

	// status is the NODE_STATUS status received last on the connection,
	// and reconnectAfter its reconnect_after_ms.
	status         string
	reconnectAfter time.Duration
}

// streamPosition is the part of a server message that moves a client's
// position, and the fields of NODE_STATUS and of a resume ACK.
type streamPosition struct {
	Type             string `json:"type"`
	Action           string `json:"action"`
	Stream           string `json:"stream"`
	Seq              uint64 `json:"seq"`
	Epoch            string `json:"epoch"`
	Resumed          *bool  `json:"resumed"`
	Status           string `json:"status"`
	ReconnectAfterMS int64  `json:"reconnect_after_ms"`
}

// follow connects to node and reads until the connection drops; it returns
// then, and the caller may call it again with another node.
func (f *playerFollower) follow(node *clusterNode) error {
	dialer := websocket.Dialer{NetDialContext: node.dial, HandshakeTimeout: 5 * time.Second}
	conn, response, err := dialer.Dial("ws://"+node.address+"/ws", nil)
	if err != nil {
		if response != nil {
			return fmt.Errorf("dial %s: %w (HTTP status %d)", node.name, err, response.StatusCode)
		}
		return fmt.Errorf("dial %s: %w", node.name, err)
	}
	stream := "player:" + f.playerID

	f.mu.Lock()
	request := `{"action":"subscribe_player","player_id":"` + f.playerID + `"}`
	if f.epoch != "" {
		request = fmt.Sprintf(`{"action":"resume","streams":[{"stream":%q,"epoch":%q,"seq":%d}]}`, stream, f.epoch, f.seq)
	}
	f.mu.Unlock()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(request)); err != nil {
		conn.Close()
		return err
	}
	f.mu.Lock()
	f.node, f.conn = node.name, conn
	f.mu.Unlock()

	// Weeks announced on this connection, by a SNAPSHOT item or a
	// PLAYER_UPDATE, and the PPR points of each.
	announced := make(map[int]string)
	announcedBy := make(map[int]string)
	ended := followerClose{node: node.name, code: -1}
	for {
		_, payload, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			var closeErr *websocket.CloseError
			if errors.As(err, &closeErr) {
				ended.code = closeErr.Code
			}
			ended.at = time.Now()
			f.mu.Lock()
			f.closes = append(f.closes, ended)
			f.mu.Unlock()
			return nil
		}
		var message serverMessage
		if err := json.Unmarshal(payload, &message); err != nil {
			conn.Close()
			return fmt.Errorf("decode %s: %w", payload, err)
		}
		var position streamPosition
		if err := json.Unmarshal(payload, &position); err != nil {
			conn.Close()
			return fmt.Errorf("decode %s: %w", payload, err)
		}
		if position.Type == "NODE_STATUS" {
			ended.status = position.Status
			ended.reconnectAfter = time.Duration(position.ReconnectAfterMS) * time.Millisecond
		}
		if position.Stream == stream && position.Epoch != "" {
			f.mu.Lock()
			if position.Type == "ACK" && position.Action == "resume" && position.Resumed != nil {
				f.resumes = append(f.resumes, *position.Resumed)
			}
			// A resumed ACK's seq is the stream's, not the client's
			// position, so it does not move the position.
			if position.Type != "ACK" || position.Resumed == nil || !*position.Resumed {
				f.epoch, f.seq = position.Epoch, position.Seq
			}
			f.mu.Unlock()
		}
		var items []json.RawMessage
		switch message.Type {
		case "ERROR":
			f.mu.Lock()
			f.errors = append(f.errors, node.name+": "+string(payload))
			f.mu.Unlock()

			// The protocol has a client whose snapshot failed
			// subscribe again.
			if strings.Contains(string(payload), `"snapshot_failed"`) {
				subscribe := `{"action":"subscribe_player","player_id":"` + f.playerID + `"}`
				if err := conn.WriteMessage(websocket.TextMessage, []byte(subscribe)); err != nil {
					conn.Close()
					return err
				}
			}
			continue
		case "SNAPSHOT":
			items = message.Items
		case "PLAYER_UPDATE":
			items = []json.RawMessage{message.Data}
		default:
			continue
		}
		for _, item := range items {
			var update playerUpdate
			if err := json.Unmarshal(item, &update); err != nil || update.PlayerID != f.playerID {
				continue
			}
			ppr := update.Points["ppr"]
			f.mu.Lock()
			if previous, seen := announced[update.Week]; seen && previous == ppr && message.Type == "PLAYER_UPDATE" {
				repeat := fmt.Sprintf("week %d on %s", update.Week, node.name)
				if announcedBy[update.Week] == "SNAPSHOT" {
					f.snapshotRepeats = append(f.snapshotRepeats, repeat)
				} else {
					f.duplicates = append(f.duplicates, repeat)
				}
			}
			announced[update.Week] = ppr
			announcedBy[update.Week] = message.Type
			f.points[update.Week] = ppr
			f.mu.Unlock()
		}
	}
}

func (f *playerFollower) snapshot() (map[int]string, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	points := make(map[int]string, len(f.points))
	for week, ppr := range f.points {
		points[week] = ppr
	}
	return points, append([]string(nil), f.duplicates...)
}

// seasonReference returns the player's nflverse PPR points per week of the
// 2024 replay, as the scorer formats them.
// Data: nflverse (https://github.com/nflverse), CC BY 4.0.
func seasonReference(t *testing.T, playerID string) map[int]string {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "replay", "2024", "stats_player_week_2024.csv.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := nflverse.ReadPlayerStats(f, path)
	if err != nil {
		t.Fatal(err)
	}
	reference := make(map[int]string)
	for _, row := range file.Players {
		if row.GetPlayerId() != playerID {
			continue
		}
		text, ok := scoring.RowLookup(row)("fantasy_points_ppr")
		if !ok {
			continue
		}
		value, err := decimal.NewFromString(text)
		if err != nil {
			t.Fatal(err)
		}
		reference[int(row.GetWeek())] = value.Round(2).StringFixed(2)
	}
	return reference
}

// TestClusterFailover runs three nodes on the 2024 replay with clients on
// every node, kills the polling node mid-season and checks that polling
// moves, that every client ends with every week's points and that no
// client receives a week twice on one connection. It also follows a league
// created through another node than the polling node to its final
// leaderboard.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Hazelcast, FerretDB and three nflsync processes")
	}
	binary := buildBinary(t)
	member := hazelcasttest.StartMember(t)
	embedded, err := mongo.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("start embedded FerretDB: %v", err)
	}
	t.Cleanup(func() { _ = embedded.Close() })

	nodes := startClusterNodes(t, binary, embedded.URI(), member.Address(), 3)

	// The clients connect once one node polls. They still subscribe
	// while cycles are relayed, which the check of SNAPSHOT repeats below
	// covers.
	polling := waitForOnePoller(t, nodes)

	// A league is created through a node that does not poll, read through
	// the polling node and followed on the third node, which survives.
	var others []*clusterNode
	for _, node := range nodes {
		if node != polling {
			others = append(others, node)
		}
	}
	leagueCheck := startClusterLeagueCheck(t, leagueIDOwnedBy(t, nodes, polling), others[0], polling, others[1])

	// Clients follow two players, one follower per player on every node.
	players := []string{mahomesID, "00-0034857"}
	var followers []*playerFollower
	var running sync.WaitGroup
	stopFollowing := make(chan struct{})
	for i := range nodes {
		for _, playerID := range players {
			follower := &playerFollower{playerID: playerID, points: make(map[int]string)}
			followers = append(followers, follower)
			running.Add(1)
			go func() {
				defer running.Done()
				// On a dropped connection the client moves on to the
				// next node that runs, as behind a load balancer.
				for attempt := 0; !closed(stopFollowing); attempt++ {
					target := nodes[(i+attempt)%len(nodes)]
					if closed(target.exited) {
						continue
					}
					if err := follower.follow(target); err != nil {
						time.Sleep(200 * time.Millisecond)
					}
				}
			}()
		}
	}

	// Kill the polling node once the replay is a few weeks in.
	waitFor(t, 90*time.Second, "four weeks announced", func() bool {
		points, _ := followers[0].snapshot()
		return len(points) >= 4
	})
	cyclesBefore := make(map[string]float64)
	playerActorsBefore := make(map[string]float64)
	for _, node := range nodes {
		cyclesBefore[node.name], _ = node.scrape("nflsync_sync_cycles_total")
		playerActorsBefore[node.name], _ = node.scrape(playerActorsMetric)
	}
	t.Logf("player actors before the kill, by node: %v", playerActorsBefore)
	leagueActorsBefore := leagueActors(nodes)
	t.Logf("league actors before the kill, by node: %v", leagueActorsBefore)
	if leagueActorsBefore[polling.name] != 1 {
		t.Errorf("the league actor runs on %v before the kill, want on %s, which the test kills", leagueActorsBefore, polling.name)
	}
	for _, node := range nodes {
		if playerActorsBefore[node.name] == 0 {
			t.Errorf("%s has no player actors before the kill: the cluster does not spread them", node.name)
		}
	}
	killedAt := time.Now()
	if err := polling.command.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-polling.exited
	t.Logf("killed %s, the polling node, at %s", polling.name, killedAt.Format(time.RFC3339Nano))

	var successor *clusterNode
	waitFor(t, 60*time.Second, "polling moves to another node", func() bool {
		for _, node := range nodes {
			if node == polling {
				continue
			}
			if cycles, _ := node.scrape("nflsync_sync_cycles_total"); cycles > cyclesBefore[node.name] {
				successor = node
				return true
			}
		}
		return false
	})
	t.Logf("polling moved to %s %s after the kill", successor.name, time.Since(killedAt).Round(10*time.Millisecond))
	for _, node := range nodes {
		if node == polling {
			continue
		}
		waitFor(t, 30*time.Second, node.name+" sees 2 members", func() bool {
			members, ok := node.scrape("nflsync_cluster_members")
			return ok && members == 2
		})
	}

	// The killed node's player actors were activated on the survivors.
	checkActorsMoved(t, nodes, polling, playerActorsBefore)

	// Every client ends with the whole season.
	for _, follower := range followers {
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
				t.Fatalf("follower of %s on %s: got weeks %v, want %v; ERROR messages: %v",
					follower.playerID, node, points, want, errorMessages)
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
	}

	// The league's client gets the whole season's totals, although the
	// league's actor may have run on the killed node.
	leagueCheck.wait(t, nodes, 3*time.Minute)

	// Exactly one node polls after the failover, too.
	if growing := pollingNodes(nodes, 3*time.Second); len(growing) != 1 {
		t.Errorf("%d nodes poll after the failover, want 1", len(growing))
	}

	close(stopFollowing)
	for _, follower := range followers {
		follower.mu.Lock()
		if follower.conn != nil {
			follower.conn.Close()
		}
		follower.mu.Unlock()
	}
	running.Wait()
}

// playerActorsMetric is the series of the virtual player actors active on
// a node.
const playerActorsMetric = `nflsync_virtual_actors{kind="player"}`

// checkActorsMoved waits until the survivors run at least as many player
// actors as the whole cluster ran before killed died, so that each of the
// killed node's actors runs again on a survivor. The replay only adds
// players from week to week, so the survivors' total can also be higher.
func checkActorsMoved(t *testing.T, nodes []*clusterNode, killed *clusterNode, before map[string]float64) {
	t.Helper()

	var total float64
	for _, count := range before {
		total += count
	}
	after := make(map[string]float64)
	waitFor(t, 60*time.Second, "the killed node's player actors run on the survivors", func() bool {
		var survivors float64
		for _, node := range nodes {
			if node == killed {
				continue
			}
			after[node.name], _ = node.scrape(playerActorsMetric)
			survivors += after[node.name]
		}
		return survivors >= total
	})
	t.Logf("player actors after the kill, by surviving node: %v (%.0f in the cluster before, %.0f on %s)",
		after, total, before[killed.name], killed.name)
}

func closed(channel chan struct{}) bool {
	select {
	case <-channel:
		return true
	default:
		return false
	}
}

func equalWeeks(got, want map[int]string) bool {
	if len(got) != len(want) {
		return false
	}
	for week, ppr := range want {
		if got[week] != ppr {
			return false
		}
	}
	return true
}

// pollingNodes returns the running nodes whose sync cycle count grows
// within window.
func pollingNodes(nodes []*clusterNode, window time.Duration) []*clusterNode {
	before := make(map[*clusterNode]float64)
	for _, node := range nodes {
		if !closed(node.exited) {
			before[node], _ = node.scrape("nflsync_sync_cycles_total")
		}
	}
	time.Sleep(window)

	var growing []*clusterNode
	for node, cycles := range before {
		if now, ok := node.scrape("nflsync_sync_cycles_total"); ok && now > cycles {
			growing = append(growing, node)
		}
	}
	return growing
}

// waitForOnePoller waits until every node counts all the others as members
// and exactly one of them polls, and returns that one. The first members to see a
// majority may choose another node before the last joins, so it waits for
// a moment when one node's cycles grow and the others' do not.
func waitForOnePoller(t *testing.T, nodes []*clusterNode) *clusterNode {
	t.Helper()
	for _, node := range nodes {
		waitFor(t, 90*time.Second, fmt.Sprintf("%s sees %d members", node.name, len(nodes)), func() bool {
			members, ok := node.scrape("nflsync_cluster_members")
			return ok && members == float64(len(nodes))
		})
	}

	var polling *clusterNode
	waitFor(t, 60*time.Second, "one node polls", func() bool {
		growing := pollingNodes(nodes, 2*time.Second)
		if len(growing) == 1 {
			polling = growing[0]
		}
		return len(growing) == 1
	})
	return polling
}
