// Package membership joins nflsync nodes into one protoactor-go cluster.
//
// Members find each other with one of two protoactor cluster providers. With
// the automanaged provider every node serves its own description over HTTP
// and polls the same list of peers, so no external service is needed. With
// the Kubernetes provider every node labels its pod and watches the labeled
// pods through the API server. A node learns the cluster's members from the
// provider's topology events and, from them:
//
//   - keeps the nflsync_cluster_members gauge equal to the member count;
//   - relays what its hub publishes to the hub relay actor of every other
//     member, which publishes it to that member's sessions;
//   - sends every league change made through its REST API to the league
//     relay actor of every other member, which hands it to that member's
//     leagues directory;
//   - decides whether it is the one node that polls the source: the member
//     with the lowest id, among members that see more than half of the
//     cluster's configured size.
package membership

// The hub relay actor owns nothing: it takes *messages.RelayedPublish from
// other members and publishes each on this node's hub with
// actors.Hub.PublishRelayed, and it replies to each *messages.RelayBarrier
// request with the same message, which shows the sender that everything it
// relayed before arrived.
//
// The league relay actor owns nothing either: it takes
// *messages.LeagueChanged from other members and sends each to this node's
// leagues directory. It sends nothing back.

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"k8s.io/client-go/rest"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/messages"
)

// RelayName is the name of the hub relay actor on every member, so that a
// member addresses another's relay as actor.NewPID(address, RelayName).
const RelayName = "hub-relay"

// LeagueRelayName is the name of the league relay actor on every member,
// addressed as actor.NewPID(address, LeagueRelayName).
const LeagueRelayName = "league-relay"

// RefreshInterval is how often the provider polls the peers. A member that
// stops responding leaves the topology on the next poll after it stopped,
// so failover takes about this long plus the first poll of the new node.
const RefreshInterval = time.Second

// protoactor remote sends the messages queued for one member in batches,
// and each batch is one gRPC message. gRPC's default limit of 4 MiB per
// message is too small: a batch of the default 1,000 ObservePlayer messages
// with a player's whole season each came to 5.2 MB, and the receiving
// member dropped the whole stream. The batch is cut to remoteBatchMessages,
// and the limit is raised to remoteMaxBatchBytes, so that 200 messages of
// up to 300 KB each fit. The largest seen are a PLAYER_STATS relay of about
// 60 KB and an ObservePlayer of a whole season of about 30 KB.
const (
	remoteBatchMessages = 200
	remoteMaxBatchBytes = 64 << 20
)

// Config configures Start.
type Config struct {
	// Name is the cluster name; members with another name are ignored.
	Name string

	// Provider is ProviderAutomanaged, the default when empty, or
	// ProviderKubernetes.
	Provider string

	// BindAddr is host:port of protoactor remote on this node. The
	// automanaged provider's HTTP endpoint binds the same host at
	// ProviderPort.
	BindAddr     string
	ProviderPort int

	// Peers are the automanaged provider's endpoints (host:port) of every
	// member, this node's included.
	Peers []string

	// Size is the number of members the cluster is meant to have. A node
	// polls and serves only while it sees more than half of them. Zero
	// means len(Peers), and the kubernetes provider requires it.
	Size int

	// Kubernetes is the API server that the kubernetes provider uses. Nil
	// means the pod's own (rest.InClusterConfig).
	Kubernetes *rest.Config

	Hub *actors.Hub

	// Leagues, when set, is this node's leagues directory: it receives the
	// league changes made through the other members, and its changes go
	// to them.
	Leagues *actors.Leagues

	// Kinds are the props of the cluster kinds this member can activate,
	// by kind name; every member must register the same kinds.
	Kinds map[string]*actor.Props

	// Placement, when set, is bound to this cluster and reset on every
	// topology change.
	Placement *Placement

	// OnTopology receives the member count after every topology change,
	// and whether those members are a majority of Size. A node that is
	// leaving gets no more calls.
	OnTopology func(members int, quorum bool)

	// OnLeadership receives true when this node becomes the one that
	// polls and false when it stops being it. Calls are serialized and
	// may block.
	OnLeadership func(leading bool)

	Logger *slog.Logger

	// clusterOptions are added to the cluster's configuration; only tests
	// set them.
	clusterOptions []cluster.ConfigOption
}

// Node is this process's membership in the cluster.
type Node struct {
	system    *actor.ActorSystem
	cluster   *cluster.Cluster
	discovery *discovery
	config    Config
	size      int
	logger    *slog.Logger

	subscription *eventSubscription

	mu      sync.Mutex
	others  []string // remote addresses of the other members
	leading bool
	leaving bool

	// callMu serializes the OnLeadership calls of the topology and of
	// Leave, so that no call to lead follows the one of Leave.
	callMu sync.Mutex

	leadership chan bool
	done       chan struct{}
	finished   chan struct{}
}

type eventSubscription struct {
	stop func()
}

// Start binds remote and, with the automanaged provider, its endpoint, joins
// the cluster and spawns the hub relay. system must not have remote started
// yet.
func Start(system *actor.ActorSystem, config Config) (*Node, error) {
	host, portText, err := net.SplitHostPort(config.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("cluster bind address %q: %w", config.BindAddr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 {
		return nil, fmt.Errorf("cluster bind address %q: the port must be a number greater than 0", config.BindAddr)
	}
	if config.Hub == nil || config.Name == "" {
		return nil, errors.New("start cluster membership: name and hub are required")
	}
	logger := config.Logger
	if logger == nil {
		logger = slog.Default()
	}

	size := config.Size
	var found *discovery
	switch config.Provider {
	case "", ProviderAutomanaged:
		if len(config.Peers) == 0 {
			return nil, errors.New("start cluster membership: missing peers, which the automanaged provider requires")
		}
		if size == 0 {
			size = len(config.Peers)
		}
		found, err = newAutomanaged(config, host, port)
	case ProviderKubernetes:
		if size <= 0 {
			return nil, errors.New("start cluster membership: missing size, which the kubernetes provider requires")
		}
		found, err = newKubernetes(config, logger)
	default:
		return nil, fmt.Errorf("start cluster membership: invalid provider %q, use %q or %q",
			config.Provider, ProviderAutomanaged, ProviderKubernetes)
	}
	if err != nil {
		return nil, err
	}

	lookup := disthash.New()
	remoteConfig := remote.Configure(host, port,
		remote.WithEndpointWriterBatchSize(remoteBatchMessages),
		remote.WithServerOptions(grpc.MaxRecvMsgSize(remoteMaxBatchBytes)),
		remote.WithDialOptions(
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(remoteMaxBatchBytes)),
		))
	kinds := make([]*cluster.Kind, 0, len(config.Kinds))
	for _, name := range slices.Sorted(maps.Keys(config.Kinds)) {
		kinds = append(kinds, cluster.NewKind(name, config.Kinds[name]))
	}
	options := append([]cluster.ConfigOption{cluster.WithKinds(kinds...)}, config.clusterOptions...)
	clusterConfig := cluster.Configure(config.Name, found.provider, lookup, remoteConfig, options...)
	member := cluster.New(system, clusterConfig)
	found.bind(member)

	node := &Node{
		system:     system,
		cluster:    member,
		discovery:  found,
		config:     config,
		size:       size,
		logger:     logger,
		leadership: make(chan bool, 1),
		done:       make(chan struct{}),
		finished:   make(chan struct{}),
	}
	go node.followLeadership()

	subscription := system.EventStream.Subscribe(func(event any) {
		if topology, ok := event.(*cluster.ClusterTopology); ok {
			node.topologyChanged(topology)
		}
	})
	node.subscription = &eventSubscription{stop: func() { system.EventStream.Unsubscribe(subscription) }}

	// The relay is in place before the first topology event, which can
	// make this node poll.
	if _, err := system.Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
		switch message := ctx.Message().(type) {
		case *messages.RelayedPublish:
			config.Hub.PublishRelayed(ctx, message.GetStream(), message.GetPayload())
		case *messages.RelayBarrier:
			ctx.Respond(message)
		}
	}), RelayName); err != nil {
		return nil, fmt.Errorf("spawn hub relay: %w", err)
	}
	config.Hub.SetRelay(node.relay)
	config.Hub.SetRelayBarrier(node.barrier)
	if config.Leagues != nil {
		if _, err := system.Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
			if changed, ok := ctx.Message().(*messages.LeagueChanged); ok {
				ctx.Send(config.Leagues.PID(), changed)
			}
		}), LeagueRelayName); err != nil {
			return nil, fmt.Errorf("spawn league relay: %w", err)
		}
		config.Leagues.SetBroadcast(node.broadcastLeague)
	}
	if config.Placement != nil {
		config.Placement.bind(member)
	}
	member.StartMember()

	attributes := []any{"cluster", config.Name, "address", system.Address(), "size", size}
	logger.Info("cluster member started", append(attributes, found.logAttributes...)...)
	return node, nil
}

// relay sends one payload to the hub relay of every other member.
func (n *Node) relay(stream string, payload []byte) {
	n.mu.Lock()
	others := n.others
	n.mu.Unlock()

	for _, address := range others {
		n.system.Root.Send(actor.NewPID(address, RelayName), &messages.RelayedPublish{Stream: stream, Payload: payload})
	}
}

// barrier sends a RelayBarrier to the hub relay of every other member and
// waits for all replies. Messages between two members arrive in order, so
// the replies mean that every payload relayed before arrived.
func (n *Node) barrier(timeout time.Duration) error {
	n.mu.Lock()
	others := n.others
	n.mu.Unlock()

	futures := make([]actor.Future, len(others))
	for i, address := range others {
		futures[i] = n.system.Root.RequestFuture(actor.NewPID(address, RelayName), &messages.RelayBarrier{}, timeout)
	}

	var failed []error
	for i, future := range futures {
		reply, err := future.Result()
		if err == nil {
			if _, ok := reply.(*messages.RelayBarrier); !ok {
				err = fmt.Errorf("unexpected reply %T", reply)
			}
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("member %s: %w", others[i], err))
		}
	}
	return errors.Join(failed...)
}

// broadcastLeague sends one league change to the league relay of every
// other member.
//
// NOTE: a starting member loads the leagues from the store before it joins,
// and this node sends it changes only once it sees it in the topology. A
// change stored in between never reaches that member's directory, which
// serves the older definition until the league's next edit or its restart.
func (n *Node) broadcastLeague(change *messages.LeagueChanged) {
	n.mu.Lock()
	others := n.others
	n.mu.Unlock()

	for _, address := range others {
		n.system.Root.Send(actor.NewPID(address, LeagueRelayName), change)
	}
}

// topologyChanged updates the relay targets, the member count and, when it
// changed, the leadership.
func (n *Node) topologyChanged(topology *cluster.ClusterTopology) {
	// The automanaged provider lists this node under the actor system's id.
	// The Kubernetes provider gives each member an id of its own (a label
	// on the pod), so there this node finds itself by its remote address,
	// the pod IP and port that remote listens on.
	selfAddress := n.system.Address()
	selfID := n.system.ID
	var listed bool
	var others, ids []string
	for _, member := range topology.GetMembers() {
		address := net.JoinHostPort(member.GetHost(), strconv.Itoa(int(member.GetPort())))
		if member.GetId() == n.system.ID || address == selfAddress {
			selfID, listed = member.GetId(), true
			continue
		}
		ids = append(ids, member.GetId())
		others = append(others, member.Address())
	}

	// The automanaged provider lists this node once its own endpoint
	// responds, and the node counts itself from the start. The Kubernetes
	// provider lists it only while its pod carries the cluster labels and
	// is ready, as it lists every other member, so this node counts itself
	// only when listed.
	counted := listed || n.config.Provider != ProviderKubernetes
	if counted {
		ids = append(ids, selfID)
	}

	// A member that reaches half of the cluster or fewer may be on the
	// small side of a partition, so it does not poll.
	quorum := counted && len(ids) > n.size/2
	leading := quorum && slices.Min(ids) == selfID

	if n.config.Placement != nil {
		n.config.Placement.reset()
	}

	n.mu.Lock()
	leaving := n.leaving
	if leaving {
		leading = false
	}
	n.others = others
	changed := leading != n.leading
	n.leading = leading
	n.mu.Unlock()

	n.logger.Info("cluster topology changed", "members", len(ids), "member_id", selfID, "listed", listed,
		"quorum", quorum, "polling_here", leading)

	// A node that leaves drops out of its own topology, which would look
	// like a lost majority.
	if leaving {
		return
	}
	if n.config.OnTopology != nil {
		n.config.OnTopology(len(ids), quorum)
	}
	if changed {
		// Only the newest leadership matters; an older one not yet
		// taken is replaced.
		select {
		case <-n.leadership:
		default:
		}
		n.leadership <- leading
	}
}

func (n *Node) followLeadership() {
	defer close(n.finished)
	for {
		select {
		case leading := <-n.leadership:
			n.callLeadership(leading)
		case <-n.done:
			return
		}
	}
}

func (n *Node) callLeadership(leading bool) {
	n.callMu.Lock()
	defer n.callMu.Unlock()

	n.mu.Lock()
	leaving := n.leaving
	n.mu.Unlock()
	if leading && leaving {
		return
	}
	n.logger.Info("cluster polling moved", "polling_here", leading)
	if n.config.OnLeadership != nil {
		n.config.OnLeadership(leading)
	}
}

// Leading reports whether this node is the one that polls.
func (n *Node) Leading() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leading
}

// Leave makes the other members drop this node, so that one of them takes
// over polling, and stops this node's polling. With the automanaged provider
// it closes the provider endpoint, which the others miss at their next poll.
// With the Kubernetes provider it removes the pod's cluster labels. The actor
// system keeps running, for the pipeline's own stop. Leaving twice is the
// same as leaving once.
func (n *Node) Leave() {
	n.mu.Lock()
	n.leaving, n.leading = true, false
	n.mu.Unlock()

	n.discovery.leave()
	n.callLeadership(false)
}

// Stop leaves the cluster, if Leave was not called, and shuts down the
// cluster, remote and the actor system.
func (n *Node) Stop() {
	n.Leave()
	n.subscription.stop()
	close(n.done)
	<-n.finished
	n.config.Hub.SetRelay(nil)
	if n.config.Leagues != nil {
		n.config.Leagues.SetBroadcast(nil)
	}
	n.cluster.Shutdown(true)
}
