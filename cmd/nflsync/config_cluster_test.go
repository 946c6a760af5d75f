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

func TestClusterConfigSize(t *testing.T) {
	automanaged := map[string]string{
		"NFL_SYNC_CLUSTER_NAME":        "prod",
		"NFL_SYNC_CLUSTER_BIND_ADDR":   "10.0.0.5:6331",
		"NFL_SYNC_CLUSTER_PEERS":       "10.0.0.5:6330,10.0.0.6:6330,10.0.0.7:6330",
		"NFL_SYNC_HAZELCAST_ADDRESSES": "10.0.0.9:5701",
		"NFL_SYNC_MONGO_URI":           "mongodb://10.0.0.8:27017",
	}
	cfg, err := loadConfig(func(name string) string { return automanaged[name] })
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if cfg.ClusterProvider != "automanaged" {
		t.Errorf("default provider %q, want automanaged", cfg.ClusterProvider)
	}
	if cfg.ClusterSize != 3 {
		t.Errorf("size without NFL_SYNC_CLUSTER_SIZE = %d, want the 3 peers", cfg.ClusterSize)
	}

	automanaged["NFL_SYNC_CLUSTER_SIZE"] = "3"
	cfg, err = loadConfig(func(name string) string { return automanaged[name] })
	if err != nil {
		t.Fatalf("loadConfig with the size of the peer list: %v", err)
	}
	if cfg.ClusterSize != 3 {
		t.Errorf("size = %d, want 3", cfg.ClusterSize)
	}

	automanaged["NFL_SYNC_CLUSTER_SIZE"] = "5"
	_, err = loadConfig(func(name string) string { return automanaged[name] })
	if err == nil || !strings.Contains(err.Error(), "NFL_SYNC_CLUSTER_SIZE") {
		t.Errorf("size 5 with 3 peers: error %v, want one naming NFL_SYNC_CLUSTER_SIZE", err)
	}
}

func TestClusterConfigKubernetesProvider(t *testing.T) {
	kubernetes := map[string]string{
		"NFL_SYNC_CLUSTER_NAME":        "prod",
		"NFL_SYNC_CLUSTER_PROVIDER":    "kubernetes",
		"NFL_SYNC_CLUSTER_SIZE":        "3",
		"NFL_SYNC_CLUSTER_BIND_ADDR":   "10.0.0.5:6331",
		"NFL_SYNC_HAZELCAST_ADDRESSES": "10.0.0.9:5701",
		"NFL_SYNC_MONGO_URI":           "mongodb://10.0.0.8:27017",
	}
	cfg, err := loadConfig(func(name string) string { return kubernetes[name] })
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if cfg.ClusterProvider != "kubernetes" {
		t.Errorf("provider %q, want kubernetes", cfg.ClusterProvider)
	}
	if cfg.ClusterSize != 3 {
		t.Errorf("size %d, want 3", cfg.ClusterSize)
	}

	for _, tc := range []struct {
		name, value, want string
	}{
		{"NFL_SYNC_CLUSTER_SIZE", "", "NFL_SYNC_CLUSTER_SIZE"},
		{"NFL_SYNC_CLUSTER_SIZE", "0", "NFL_SYNC_CLUSTER_SIZE"},
		{"NFL_SYNC_CLUSTER_SIZE", "three", "NFL_SYNC_CLUSTER_SIZE"},
		{"NFL_SYNC_CLUSTER_PEERS", "10.0.0.5:6330", "NFL_SYNC_CLUSTER_PEERS"},
		{"NFL_SYNC_CLUSTER_PROVIDER_PORT", "6330", "NFL_SYNC_CLUSTER_PROVIDER_PORT"},
		{"NFL_SYNC_CLUSTER_BIND_ADDR", "nflsync-0:6331", "NFL_SYNC_CLUSTER_BIND_ADDR"},
		{"NFL_SYNC_CLUSTER_BIND_ADDR", "0.0.0.0:6331", "NFL_SYNC_CLUSTER_BIND_ADDR"},
		{"NFL_SYNC_CLUSTER_PROVIDER", "consul", "NFL_SYNC_CLUSTER_PROVIDER"},
		{"NFL_SYNC_MONGO_URI", "", "NFL_SYNC_MONGO_URI"},
	} {
		settings := map[string]string{}
		for name, value := range kubernetes {
			settings[name] = value
		}
		settings[tc.name] = tc.value
		_, err := loadConfig(func(name string) string { return settings[name] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: error %v, want one naming %s", tc.name, tc.value, err, tc.want)
		}
	}

	// An invalid provider is rejected even without a cluster name.
	_, err = loadConfig(func(name string) string {
		return map[string]string{"NFL_SYNC_CLUSTER_PROVIDER": "consul"}[name]
	})
	if err == nil || !strings.Contains(err.Error(), "NFL_SYNC_CLUSTER_PROVIDER") {
		t.Errorf("NFL_SYNC_CLUSTER_PROVIDER=consul without a cluster: error %v", err)
	}
}
