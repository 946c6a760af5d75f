package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

const (
	// nodeCount is the number of nflsync nodes, the smallest cluster in
	// which one node can die and the others keep a majority.
	nodeCount = 3

	// defaultAdminKey is the NFL_SYNC_ADMIN_API_KEY of every node unless
	// -admin-key sets another. It is printed at start, so use it on
	// 127.0.0.1 only.
	defaultAdminKey = "localcluster-dev-key"
)

// options is the command line of localcluster.
type options struct {
	// nflsync is the path of the nflsync binary that each node runs.
	nflsync string

	// dataDir contains the FerretDB files, the member's files and the node
	// logs. Empty means a new directory under os.TempDir.
	dataDir string

	// replay is the directory of the replayed season (NFL_SYNC_SOURCE).
	replay string

	// interval is NFL_SYNC_INTERVAL_SECONDS and
	// NFL_SYNC_OFFSEASON_INTERVAL_SECONDS of every node.
	interval int

	adminKey    string
	clusterName string
	verbose     bool

	// The first port of each kind. Node i (0-based) uses first port + i.
	listenPort    int
	bindPort      int
	providerPort  int
	hazelcastPort int
}

// parseFlags parses the command line. It returns flag.ErrHelp after -h, and
// writes usage and errors to output.
func parseFlags(args []string, output io.Writer) (options, error) {
	var opts options
	flags := flag.NewFlagSet("localcluster", flag.ContinueOnError)
	flags.SetOutput(output)
	flags.Usage = func() {
		fmt.Fprintf(output, "Usage: localcluster [flags]\n\n"+
			"Runs %d nflsync nodes, one Hazelcast member and one embedded FerretDB on 127.0.0.1\n"+
			"until Ctrl-C. `make cluster` builds bin/nflsync and fetches the Hazelcast jar first.\n\n", nodeCount)
		flags.PrintDefaults()
	}

	flags.StringVar(&opts.nflsync, "nflsync", "bin/nflsync", "path of the nflsync binary that each node runs (make build writes bin/nflsync)")
	flags.StringVar(&opts.dataDir, "data", "", "directory of the FerretDB files, the Hazelcast member's files and the node logs; a run on the same directory continues where the last stopped (default a new directory under $TMPDIR or /tmp)")
	flags.StringVar(&opts.replay, "replay", "testdata/replay/2024", "directory of the replayed season (NFL_SYNC_SOURCE=replay:DIR)")
	flags.IntVar(&opts.interval, "interval", 5, "seconds between polls, each of which reveals one more replayed week (NFL_SYNC_INTERVAL_SECONDS and NFL_SYNC_OFFSEASON_INTERVAL_SECONDS)")
	flags.StringVar(&opts.adminKey, "admin-key", defaultAdminKey, "bearer key for league writes under /api/v1 (NFL_SYNC_ADMIN_API_KEY)")
	flags.StringVar(&opts.clusterName, "cluster-name", "nflsync-local", "protoactor and Hazelcast cluster name (NFL_SYNC_CLUSTER_NAME)")
	flags.BoolVar(&opts.verbose, "v", false, "also copy each node's log to standard output, each line prefixed with the node name")
	flags.IntVar(&opts.listenPort, "listen-port", 8081, "HTTP and WebSocket port of the first node; node N uses this port + N-1 (NFL_SYNC_LISTEN_ADDR)")
	flags.IntVar(&opts.bindPort, "bind-port", 6341, "protoactor remote port of the first node; node N uses this port + N-1 (NFL_SYNC_CLUSTER_BIND_ADDR)")
	flags.IntVar(&opts.providerPort, "provider-port", 6331, "member-discovery port of the first node; node N uses this port + N-1 (NFL_SYNC_CLUSTER_PROVIDER_PORT)")
	flags.IntVar(&opts.hazelcastPort, "hazelcast-port", 5701, "port of the Hazelcast member (NFL_SYNC_HAZELCAST_ADDRESSES)")

	if err := flags.Parse(args); err != nil {
		return options{}, err
	}
	if flags.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q: localcluster takes flags only (-h lists them)", flags.Arg(0))
	}

	if err := opts.validate(); err != nil {
		return options{}, err
	}
	return opts, nil
}

// validate checks the values that parsing accepts but the nodes would
// reject, and that no port is used twice.
func (o options) validate() error {
	if o.interval < 1 {
		return fmt.Errorf("invalid -interval %d: use a whole number of seconds, 1 or more", o.interval)
	}
	if o.adminKey == "" {
		return errors.New("-admin-key is empty, which makes every node reject every league write: set a key")
	}
	if o.clusterName == "" {
		return errors.New("-cluster-name is empty: set a name, because an empty one runs standalone nodes")
	}

	seen := make(map[int]portUse)
	for _, use := range o.ports() {
		if use.port < 1 || use.port > 65535 {
			return fmt.Errorf("invalid port %d for %s: use -%s to choose a first port that leaves room for %d nodes below 65536",
				use.port, use.name, use.flag, nodeCount)
		}
		if earlier, ok := seen[use.port]; ok {
			return fmt.Errorf("port %d is both %s (-%s) and %s (-%s): change one of the flags",
				use.port, earlier.name, earlier.flag, use.name, use.flag)
		}
		seen[use.port] = use
	}
	return nil
}

// portUse is one port of 127.0.0.1 that the cluster binds, what binds it
// and the flag that sets it.
type portUse struct {
	port int
	name string
	flag string
}

// ports returns every port that the member and the nodes bind, except the
// FerretDB port, which the operating system chooses.
func (o options) ports() []portUse {
	uses := []portUse{{port: o.hazelcastPort, name: "the Hazelcast member", flag: "hazelcast-port"}}
	for i := range nodeCount {
		name := nodeName(i)
		uses = append(uses,
			portUse{port: o.listenPort + i, name: name + " HTTP", flag: "listen-port"},
			portUse{port: o.bindPort + i, name: name + " protoactor remote", flag: "bind-port"},
			portUse{port: o.providerPort + i, name: name + " member discovery", flag: "provider-port"},
		)
	}
	return uses
}

// nodeName returns the name of node i (0-based): node-1, node-2, ...
func nodeName(i int) string {
	return "node-" + strconv.Itoa(i+1)
}

// listenAddr returns NFL_SYNC_LISTEN_ADDR of node i.
func (o options) listenAddr(i int) string {
	return loopback(o.listenPort + i)
}

// bindAddr returns NFL_SYNC_CLUSTER_BIND_ADDR of node i.
func (o options) bindAddr(i int) string {
	return loopback(o.bindPort + i)
}

// peers returns NFL_SYNC_CLUSTER_PEERS, the discovery endpoints of every
// node, which is the same for each node.
func (o options) peers() string {
	endpoints := make([]string, 0, nodeCount)
	for i := range nodeCount {
		endpoints = append(endpoints, loopback(o.providerPort+i))
	}
	return strings.Join(endpoints, ",")
}

func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
