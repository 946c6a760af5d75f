package main

import (
	"strings"
	"testing"
)

func TestClusterConfig(t *testing.T) {
	clustered := map[string]string{
		"NFL_SYNC_CLUSTER_NAME":        "prod",
		"NFL_SYNC_CLUSTER_BIND_ADDR":   "10.0.0.5:6331",
		"NFL_SYNC_CLUSTER_PEERS":       "10.0.0.5:6330, 10.0.0.6:6330,10.0.0.7:6330",
		"NFL_SYNC_HAZELCAST_ADDRESSES": "10.0.0.9:5701",
		"NFL_SYNC_MONGO_URI":           "mongodb://10.0.0.8:27017",
	}
	cfg, err := loadConfig(func(name string) string { return clustered[name] })
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if cfg.ClusterProviderPort != 6330 || len(cfg.ClusterPeers) != 3 || cfg.ClusterPeers[1] != "10.0.0.6:6330" {
		t.Errorf("provider port %d, peers %q", cfg.ClusterProviderPort, cfg.ClusterPeers)
	}

	// Without a cluster name nothing else is required, as before.
	cfg, err = loadConfig(func(string) string { return "" })
	if err != nil || cfg.ClusterName != "" {
		t.Fatalf("default config: %v, cluster %q", err, cfg.ClusterName)
	}

	for _, tc := range []struct {
		name, value, want string
	}{
		{"NFL_SYNC_CLUSTER_BIND_ADDR", "10.0.0.5", "NFL_SYNC_CLUSTER_BIND_ADDR"},
		{"NFL_SYNC_CLUSTER_BIND_ADDR", ":6331", "NFL_SYNC_CLUSTER_BIND_ADDR"},
		{"NFL_SYNC_CLUSTER_PEERS", "", "NFL_SYNC_CLUSTER_PEERS"},
		{"NFL_SYNC_HAZELCAST_ADDRESSES", "", "NFL_SYNC_HAZELCAST_ADDRESSES"},
		{"NFL_SYNC_MONGO_URI", "", "NFL_SYNC_MONGO_URI"},
		{"NFL_SYNC_CLUSTER_PROVIDER_PORT", "70000", "NFL_SYNC_CLUSTER_PROVIDER_PORT"},
	} {
		settings := map[string]string{}
		for name, value := range clustered {
			settings[name] = value
		}
		settings[tc.name] = tc.value
		_, err := loadConfig(func(name string) string { return settings[name] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: error %v, want one naming %s", tc.name, tc.value, err, tc.want)
		}
	}
}
