package main

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nflsync/nflsync/adapters/membership"
)

// config is the serve command's configuration, read from NFL_SYNC_*
// environment variables. README.md lists every variable.
type config struct {
	Enabled           bool
	Interval          time.Duration
	OffseasonInterval time.Duration
	Source            string
	NflverseBaseURL   string
	NflverseFormat    string

	// LiveSource is liveSourceOff, liveSourceESPN or liveReplayPrefix+DIR.
	LiveSource   string
	ESPNBaseURL  string
	LiveInterval time.Duration
	ListenAddr   string
	LogFormat    string
	LogLevel     string

	// MongoURI empty means: run embedded FerretDB under DataDir.
	MongoURI      string
	MongoDatabase string
	DataDir       string

	// HazelcastAddresses empty means: an in-memory mirror (one node only).
	HazelcastAddresses   []string
	HazelcastClusterName string

	// ClusterName empty means: no cluster, this node polls on its own.
	ClusterName         string
	ClusterProvider     string
	ClusterBindAddr     string
	ClusterProviderPort int
	ClusterPeers        []string

	// ClusterSize is the member count that a majority is counted from:
	// NFL_SYNC_CLUSTER_SIZE, or len(ClusterPeers) when that is unset.
	ClusterSize int

	MetricsAddr    string
	PprofAddr      string
	AllowedOrigins string
	AuthSecret     string

	// AdminAPIKey authorizes writes to the REST API; empty disables them.
	AdminAPIKey string

	// WebSocket admission limits. Zero takes the adapters/websocket default.
	MaxConnectionsPerIP int
	ConnectionRate      int
	ConnectionBurst     int
}

// Source kinds of NFL_SYNC_SOURCE.
const (
	sourceNflverse     = "nflverse"
	sourceReplayPrefix = "replay:"
)

// Live source kinds of NFL_SYNC_LIVE_SOURCE.
const (
	liveSourceOff    = "off"
	liveSourceESPN   = "espn"
	liveReplayPrefix = "replay:"
)

// loadConfig reads the configuration through getenv and rejects invalid
// values with an error that names the variable.
func loadConfig(getenv func(string) string) (*config, error) {
	cfg := &config{
		Source:          valueOr(getenv("NFL_SYNC_SOURCE"), sourceNflverse),
		NflverseBaseURL: getenv("NFL_SYNC_NFLVERSE_BASE_URL"),
		NflverseFormat:  getenv("NFL_SYNC_NFLVERSE_FORMAT"),
		LiveSource:      valueOr(getenv("NFL_SYNC_LIVE_SOURCE"), liveSourceOff),
		ESPNBaseURL:     getenv("NFL_SYNC_ESPN_BASE_URL"),
		ListenAddr:      valueOr(getenv("NFL_SYNC_LISTEN_ADDR"), "127.0.0.1:8080"),
		LogFormat:       valueOr(getenv("NFL_SYNC_LOG_FORMAT"), "text"),
		LogLevel:        valueOr(getenv("NFL_SYNC_LOG_LEVEL"), "info"),

		MongoURI:             getenv("NFL_SYNC_MONGO_URI"),
		MongoDatabase:        valueOr(getenv("NFL_SYNC_MONGO_DATABASE"), "nflsync"),
		DataDir:              valueOr(getenv("NFL_SYNC_DATA_DIR"), "./data"),
		HazelcastAddresses:   splitList(getenv("NFL_SYNC_HAZELCAST_ADDRESSES")),
		HazelcastClusterName: valueOr(getenv("NFL_SYNC_HAZELCAST_CLUSTER_NAME"), "dev"),

		ClusterName:     getenv("NFL_SYNC_CLUSTER_NAME"),
		ClusterProvider: valueOr(getenv("NFL_SYNC_CLUSTER_PROVIDER"), membership.ProviderAutomanaged),
		ClusterBindAddr: valueOr(getenv("NFL_SYNC_CLUSTER_BIND_ADDR"), "127.0.0.1:6331"),
		ClusterPeers:    splitList(getenv("NFL_SYNC_CLUSTER_PEERS")),

		MetricsAddr:    getenv("NFL_SYNC_METRICS_ADDR"),
		PprofAddr:      getenv("NFL_SYNC_PPROF_ADDR"),
		AllowedOrigins: getenv("NFL_SYNC_ALLOWED_ORIGINS"),
		AuthSecret:     getenv("NFL_SYNC_AUTH_SECRET"),
		AdminAPIKey:    getenv("NFL_SYNC_ADMIN_API_KEY"),
	}

	var err error
	if cfg.Enabled, err = parseBool(getenv, "NFL_SYNC_ENABLED", true); err != nil {
		return nil, err
	}
	if cfg.Interval, err = parseSeconds(getenv, "NFL_SYNC_INTERVAL_SECONDS", 60); err != nil {
		return nil, err
	}
	if cfg.OffseasonInterval, err = parseSeconds(getenv, "NFL_SYNC_OFFSEASON_INTERVAL_SECONDS", 3600); err != nil {
		return nil, err
	}
	if cfg.LiveInterval, err = parseSeconds(getenv, "NFL_SYNC_LIVE_INTERVAL_SECONDS", 15); err != nil {
		return nil, err
	}
	if cfg.LiveSource != liveSourceOff && cfg.LiveSource != liveSourceESPN &&
		(!strings.HasPrefix(cfg.LiveSource, liveReplayPrefix) || cfg.LiveSource == liveReplayPrefix) {
		return nil, fmt.Errorf("invalid NFL_SYNC_LIVE_SOURCE %q: use %q, %q or %q",
			cfg.LiveSource, liveSourceOff, liveSourceESPN, liveReplayPrefix+"DIR")
	}

	if cfg.MaxConnectionsPerIP, err = parseCount(getenv, "NFL_SYNC_WS_MAX_CONNECTIONS_PER_IP"); err != nil {
		return nil, err
	}
	if cfg.ConnectionRate, err = parseCount(getenv, "NFL_SYNC_WS_CONNECTION_RATE"); err != nil {
		return nil, err
	}
	if cfg.ConnectionBurst, err = parseCount(getenv, "NFL_SYNC_WS_CONNECTION_BURST"); err != nil {
		return nil, err
	}

	if err := loadClusterConfig(getenv, cfg); err != nil {
		return nil, err
	}

	if cfg.Source != sourceNflverse && !strings.HasPrefix(cfg.Source, sourceReplayPrefix) {
		return nil, fmt.Errorf("invalid NFL_SYNC_SOURCE %q: use %q or %q", cfg.Source, sourceNflverse, sourceReplayPrefix+"DIR")
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return nil, fmt.Errorf("invalid NFL_SYNC_LOG_FORMAT %q: use text or json", cfg.LogFormat)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("invalid NFL_SYNC_LOG_LEVEL %q: use debug, info, warn or error", cfg.LogLevel)
	}
	return cfg, nil
}

// splitList splits a comma-separated list and drops empty items.
func splitList(value string) []string {
	var items []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

func valueOr(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

func parseBool(getenv func(string) string, name string, fallback bool) (bool, error) {
	value := getenv(name)
	if value == "" {
		return fallback, nil
	}
	parsed, err := strconv.ParseBool(value)
	if err != nil {
		return false, fmt.Errorf("invalid %s %q: use true or false", name, value)
	}
	return parsed, nil
}

func parseSeconds(getenv func(string) string, name string, fallback int) (time.Duration, error) {
	value := getenv(name)
	if value == "" {
		return time.Duration(fallback) * time.Second, nil
	}
	seconds, err := strconv.Atoi(value)
	if err != nil || seconds <= 0 {
		return 0, fmt.Errorf("invalid %s %q: use a whole number of seconds greater than 0", name, value)
	}
	return time.Duration(seconds) * time.Second, nil
}

// parseCount reads a whole number greater than 0, or 0 when the variable is
// unset.
func parseCount(getenv func(string) string, name string) (int, error) {
	value := getenv(name)
	if value == "" {
		return 0, nil
	}
	count, err := strconv.Atoi(value)
	if err != nil || count <= 0 {
		return 0, fmt.Errorf("invalid %s %q: use a whole number greater than 0", name, value)
	}
	return count, nil
}

// loadClusterConfig checks the NFL_SYNC_CLUSTER_* variables. Their values
// are checked always, and whether they fit together only when
// NFL_SYNC_CLUSTER_NAME is set.
func loadClusterConfig(getenv func(string) string, cfg *config) error {
	cfg.ClusterProviderPort = 6330
	providerPort := getenv("NFL_SYNC_CLUSTER_PROVIDER_PORT")
	if providerPort != "" {
		port, err := strconv.Atoi(providerPort)
		if err != nil || port <= 0 || port > 65535 {
			return fmt.Errorf("invalid NFL_SYNC_CLUSTER_PROVIDER_PORT %q: use a port number from 1 to 65535", providerPort)
		}
		cfg.ClusterProviderPort = port
	}
	if cfg.ClusterProvider != membership.ProviderAutomanaged && cfg.ClusterProvider != membership.ProviderKubernetes {
		return fmt.Errorf("invalid NFL_SYNC_CLUSTER_PROVIDER %q: use %s or %s",
			cfg.ClusterProvider, membership.ProviderAutomanaged, membership.ProviderKubernetes)
	}
	size, err := parseCount(getenv, "NFL_SYNC_CLUSTER_SIZE")
	if err != nil {
		return err
	}
	if cfg.ClusterName == "" {
		return nil
	}

	host, port, err := net.SplitHostPort(cfg.ClusterBindAddr)
	if err != nil || host == "" || port == "" || port == "0" {
		return fmt.Errorf("invalid NFL_SYNC_CLUSTER_BIND_ADDR %q: use host:port with a fixed port, such as 10.0.0.5:6331", cfg.ClusterBindAddr)
	}
	if cfg.ClusterProvider == membership.ProviderKubernetes {
		if err := checkKubernetesCluster(cfg, host, size, providerPort); err != nil {
			return err
		}
	} else {
		if len(cfg.ClusterPeers) == 0 {
			return fmt.Errorf("NFL_SYNC_CLUSTER_PEERS is empty: list every member's host:port (NFL_SYNC_CLUSTER_PROVIDER_PORT), this node's included")
		}
		if size != 0 && size != len(cfg.ClusterPeers) {
			return fmt.Errorf("NFL_SYNC_CLUSTER_SIZE is %d, but NFL_SYNC_CLUSTER_PEERS lists %d members: set it to the number of peers or leave it unset",
				size, len(cfg.ClusterPeers))
		}
		cfg.ClusterSize = len(cfg.ClusterPeers)
	}

	if len(cfg.HazelcastAddresses) == 0 {
		return fmt.Errorf("NFL_SYNC_CLUSTER_NAME needs NFL_SYNC_HAZELCAST_ADDRESSES: the node that takes over polling reads the actors' state from the shared mirror")
	}
	if cfg.MongoURI == "" {
		return fmt.Errorf("NFL_SYNC_CLUSTER_NAME needs NFL_SYNC_MONGO_URI: the nodes share one MongoDB, and the embedded FerretDB is private to its process")
	}
	return nil
}

// checkKubernetesCluster checks the settings of the kubernetes provider, which
// finds the members through the API server instead of a peer list.
func checkKubernetesCluster(cfg *config, host string, size int, providerPort string) error {
	if size == 0 {
		return fmt.Errorf("NFL_SYNC_CLUSTER_SIZE is missing: with NFL_SYNC_CLUSTER_PROVIDER=kubernetes set it to the number of replicas, which a majority is counted from")
	}
	if len(cfg.ClusterPeers) > 0 {
		return fmt.Errorf("NFL_SYNC_CLUSTER_PEERS is set, but NFL_SYNC_CLUSTER_PROVIDER=kubernetes finds the members through the Kubernetes API: remove it")
	}
	if providerPort != "" {
		return fmt.Errorf("NFL_SYNC_CLUSTER_PROVIDER_PORT is set, but NFL_SYNC_CLUSTER_PROVIDER=kubernetes has no discovery endpoint: remove it")
	}

	// The provider lists every member at its pod IP, and a node finds
	// itself in that list by the address remote listens on.
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		return fmt.Errorf("invalid NFL_SYNC_CLUSTER_BIND_ADDR %q: with NFL_SYNC_CLUSTER_PROVIDER=kubernetes use the pod's IP, such as $(POD_IP):6331", cfg.ClusterBindAddr)
	}
	cfg.ClusterSize = size
	return nil
}
