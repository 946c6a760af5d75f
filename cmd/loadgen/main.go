// Command loadgen is the fan-out load test of nflsync. It opens many
// WebSocket sessions against a running nflsync on this machine, subscribes
// each to players (and a league), waits for the replay's next ticks and
// reports the change-to-client latency, whether every message arrived, and
// the server's resident memory and CPU time.
//
// Latency is the time from a message's detected_at (when the server's
// player or game actor found the change) to the moment this process read
// it, so it includes this process's own scheduling on a shared machine.
// Loss is exact: the hub numbers each stream's messages without gaps, so a
// gap in seq, or a final seq beyond the last one received, is a lost
// message.
//
// `make load` starts a replay server and runs this command; see
// docs/BENCHMARKS.md for results. `loadgen burst-replay` writes a replay
// whose ticks after the first change a set number of players.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	url         string
	sessions    int
	players     int
	league      string
	leagues     int
	adminKey    string
	season      int
	statsFile   string
	playerIDs   string
	sourceAddrs int
	connectRate int
	bursts      int
	duration    time.Duration
	settle      time.Duration
	quiet       time.Duration
	serverPID   int
	metricsURL  string
	seed        uint64
}

// sessionsPerSourceAddress stays below the 28,232 ephemeral ports of
// Linux's default ip_local_port_range (32768-60999), which bounds the
// connections from one source address.
const sessionsPerSourceAddress = 20000

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	opts := &options{}
	flags := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(stderr, "usage: loadgen [flags]\n       loadgen burst-replay -from DIR -out DIR -players N (see loadgen burst-replay -h)\n\nflags:\n")
		flags.PrintDefaults()
	}
	flags.StringVar(&opts.url, "url", "ws://127.0.0.1:8080/ws", "WebSocket URL of the nflsync server; only 127.0.0.0/8 hosts")
	flags.IntVar(&opts.sessions, "sessions", 2000, "number of WebSocket sessions to open")
	flags.IntVar(&opts.players, "players", 15, "players each session subscribes to, chosen at random")
	flags.StringVar(&opts.league, "league", "", "league_id each session also subscribes to; empty subscribes none")
	flags.IntVar(&opts.leagues, "leagues", 0,
		fmt.Sprintf("leagues of %d teams of %d players to create (needs -admin-key); each session then follows one team's league "+
			"and its %d players instead of -players chosen at random, and -league must be empty", teamsPerLeague, rosterSize, rosterSize))
	flags.StringVar(&opts.adminKey, "admin-key", "", "the server's NFL_SYNC_ADMIN_API_KEY, with which -leagues creates leagues")
	flags.IntVar(&opts.season, "season", 2024, "season of the leagues that -leagues creates")
	flags.StringVar(&opts.statsFile, "stats", "testdata/replay/2024/stats_player_week_2024.csv.gz",
		"nflverse weekly stats file whose player_ids the sessions choose from")
	flags.StringVar(&opts.playerIDs, "player-ids", "", "file of gsis_ids, one per line, used instead of -stats")
	flags.IntVar(&opts.sourceAddrs, "source-addrs", 0,
		fmt.Sprintf("local addresses 127.0.0.2, 127.0.0.3, … to connect from; 0 takes one per %d sessions", sessionsPerSourceAddress))
	flags.IntVar(&opts.connectRate, "connect-rate", 2000, "new connections per second")
	flags.IntVar(&opts.bursts, "bursts", 1, "bursts of live messages to measure before stopping")
	flags.DurationVar(&opts.duration, "duration", 5*time.Minute, "time limit of the whole run")
	flags.DurationVar(&opts.settle, "settle", 5*time.Second, "wait after every session is subscribed before the idle sample")
	flags.DurationVar(&opts.quiet, "quiet", 3*time.Second, "time without live messages that ends a burst")
	flags.IntVar(&opts.serverPID, "server-pid", 0, "pid of the nflsync server; 0 finds the process listening on the URL's port")
	flags.StringVar(&opts.metricsURL, "metrics-url", "",
		"the server's Prometheus /metrics URL for heap and goroutine counts; empty takes /metrics on the -url host, \"off\" reads none")
	flags.Uint64Var(&opts.seed, "seed", 1, "seed of the player choice")
	if err := flags.Parse(args); err != nil {
		return nil, err
	}
	if flags.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q; the only subcommand is burst-replay", flags.Args())
	}

	switch {
	case opts.sessions <= 0 || opts.sessions > 1_000_000:
		return nil, fmt.Errorf("invalid -sessions %d: use 1 to 1000000", opts.sessions)
	case opts.players < 0 || opts.players > 199:
		return nil, fmt.Errorf("invalid -players %d: use 0 to 199 (a session follows at most 200 streams)", opts.players)
	case opts.players == 0 && opts.league == "" && opts.leagues == 0:
		return nil, fmt.Errorf("nothing to subscribe: set -players above 0, -league or -leagues")
	case opts.leagues < 0 || opts.leagues > 100_000:
		return nil, fmt.Errorf("invalid -leagues %d: use 0 to 100000", opts.leagues)
	case opts.leagues > 0 && (opts.league != "" || opts.adminKey == ""):
		return nil, fmt.Errorf("-leagues needs -admin-key and an empty -league")
	case opts.sourceAddrs < 0 || opts.sourceAddrs > 250:
		return nil, fmt.Errorf("invalid -source-addrs %d: use 0 to 250", opts.sourceAddrs)
	case opts.connectRate <= 0:
		return nil, fmt.Errorf("invalid -connect-rate %d: use a number above 0", opts.connectRate)
	case opts.bursts <= 0:
		return nil, fmt.Errorf("invalid -bursts %d: use a number above 0", opts.bursts)
	case opts.duration <= 0 || opts.quiet <= 0 || opts.settle < 0:
		return nil, fmt.Errorf("-duration and -quiet must be above 0, -settle at least 0")
	}
	if opts.metricsURL == "" {
		if parsed, err := url.Parse(opts.url); err == nil {
			opts.metricsURL = "http://" + parsed.Host + "/metrics"
		}
	}
	if opts.sourceAddrs == 0 {
		opts.sourceAddrs = (opts.sessions + sessionsPerSourceAddress - 1) / sessionsPerSourceAddress
	}
	return opts, nil
}

// checkLoopbackURL rejects a URL whose host is not a 127.0.0.0/8 address or
// localhost, so that the load test never aims at another machine. It returns
// the port.
func checkLoopbackURL(raw string) (int, error) {
	parsed, err := url.Parse(raw)
	if err != nil {
		return 0, fmt.Errorf("invalid -url %q: %w", raw, err)
	}
	if parsed.Scheme != "ws" {
		return 0, fmt.Errorf("invalid -url %q: use a ws:// URL", raw)
	}

	host := parsed.Hostname()
	ip := net.ParseIP(host)
	if host == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	}
	if ip == nil || ip.To4() == nil || ip.To4()[0] != 127 {
		return 0, fmt.Errorf("invalid -url %q: the host must be a 127.0.0.0/8 address", raw)
	}

	port, err := strconv.Atoi(parsed.Port())
	if err != nil {
		port = 80
	}
	return port, nil
}

// raiseOpenFileLimit raises the soft RLIMIT_NOFILE to what sessions
// connections need, or to the hard limit when that is lower.
func raiseOpenFileLimit(sessions int) (uint64, error) {
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		return 0, fmt.Errorf("read the open file limit: %w", err)
	}

	// The verifier connections, stdio and /proc reads need a few more.
	needed := uint64(sessions) + 64
	if limit.Cur >= needed {
		return limit.Cur, nil
	}
	limit.Cur = min(needed, limit.Max)
	if needed > limit.Max {
		limit.Max = needed
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit); err == nil {
			return limit.Cur, nil
		}
		limit.Max = limit.Cur
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		return 0, fmt.Errorf("raise the open file limit to %d: %w", limit.Cur, err)
	}
	return limit.Cur, nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "burst-replay" {
		return runBurstReplay(args[1:], stdout, stderr)
	}

	opts, err := parseFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
		}
		return 2
	}
	port, err := checkLoopbackURL(opts.url)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, opts.duration)
	defer cancel()

	report := &reporter{out: stdout}
	if err := loadTest(ctx, opts, port, report); err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 1
	}
	return 0
}

// loadTest runs the phases: connect and subscribe, idle, bursts, check.
func loadTest(ctx context.Context, opts *options, port int, report *reporter) error {
	fileLimit, err := raiseOpenFileLimit(opts.sessions)
	if err != nil {
		return err
	}
	if fileLimit < uint64(opts.sessions)+64 {
		return fmt.Errorf("open file limit %d is below the %d that %d sessions need, and the hard limit cannot be raised "+
			"without CAP_SYS_RESOURCE: lower -sessions or raise ulimit -Hn", fileLimit, opts.sessions+64, opts.sessions)
	}

	source, err := loadPlayers(opts)
	if err != nil {
		return err
	}
	server, err := findServer(opts, port)
	if err != nil {
		return err
	}
	report.header(opts, source, server, fileLimit)

	var leagues []loadLeague
	if opts.leagues > 0 {
		if leagues, err = planLeagues(opts.seed, source.rosterableIDs(), opts.leagues); err != nil {
			return err
		}
		start := time.Now()
		if err := createLeagues(ctx, opts.url, opts.adminKey, opts.season, leagues); err != nil {
			return err
		}
		report.printf("leagues: created %d leagues of %d teams of %d players in %s",
			len(leagues), teamsPerLeague, rosterSize, time.Since(start).Round(time.Millisecond))
	}

	baseline, err := waitQuiet(ctx, server)
	if err != nil {
		return err
	}
	report.sample("baseline (before connecting)", baseline)
	baselineRuntime := report.runtime("baseline", opts.metricsURL, nil, 0)

	clients, err := connectAll(ctx, opts, source, leagues, report)
	if err != nil {
		return err
	}
	defer closeAll(clients)

	idle, err := waitIdle(ctx, opts, server)
	if err != nil {
		return err
	}
	report.idle(baseline, idle, countOpen(clients))
	report.runtime("idle", opts.metricsURL, baselineRuntime, countOpen(clients))

	windows := measureBursts(ctx, opts, server, report)

	finalSeqs, err := readFinalSeqs(opts, clients)
	if err != nil {
		return err
	}
	time.Sleep(time.Second) // lets messages still in flight arrive
	for _, c := range clients {
		c.freeze()
	}

	report.bursts(splitBursts(clients, windows), source, opts.sessions)
	report.delivery(compareDelivery(clients, finalSeqs), clients)
	return nil
}

func loadPlayers(opts *options) (*playerSource, error) {
	if opts.playerIDs != "" {
		return readPlayerIDs(opts.playerIDs)
	}
	return readStatsPlayers(opts.statsFile)
}

// sourceAddress returns the i-th local address, 127.0.0.2 onwards.
func sourceAddress(i int) net.IP {
	return net.IPv4(127, 0, 0, byte(2+i))
}

// chooseSessionPlayers returns the players of session i, the same for the
// same -seed.
// sessionActions returns the subscribe actions of session i: its team's
// league and roster when loadgen created leagues, else -players chosen at
// random and -league.
func sessionActions(opts *options, ids []string, leagues []loadLeague, i int) [][]byte {
	if len(leagues) > 0 {
		league, team := sessionLeague(i, len(leagues))
		return subscribeActions(leagues[league].rosters[team], leagues[league].id)
	}
	return subscribeActions(chooseSessionPlayers(opts, ids, i), opts.league)
}

func chooseSessionPlayers(opts *options, ids []string, i int) []string {
	random := rand.New(rand.NewPCG(opts.seed, uint64(i)))
	return choosePlayers(random, ids, opts.players)
}
