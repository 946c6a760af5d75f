package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestParseFlagsDefaults(t *testing.T) {
	opts, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags(nil): %v", err)
	}

	want := options{
		nflsync:       "bin/nflsync",
		replay:        "testdata/replay/2024",
		interval:      5,
		adminKey:      defaultAdminKey,
		clusterName:   "nflsync-local",
		listenPort:    8081,
		bindPort:      6341,
		providerPort:  6331,
		hazelcastPort: 5701,
	}
	if opts != want {
		t.Errorf("parseFlags(nil) = %+v, want %+v", opts, want)
	}
}

func TestParseFlagsOverrides(t *testing.T) {
	args := []string{
		"-nflsync", "/opt/nflsync", "-data", "/var/tmp/cluster", "-replay", "/srv/replay",
		"-interval", "2", "-admin-key", "k", "-cluster-name", "demo", "-v",
		"-listen-port", "9001", "-bind-port", "9101", "-provider-port", "9201", "-hazelcast-port", "9301",
	}
	opts, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags(%q): %v", args, err)
	}

	want := options{
		nflsync:       "/opt/nflsync",
		dataDir:       "/var/tmp/cluster",
		replay:        "/srv/replay",
		interval:      2,
		adminKey:      "k",
		clusterName:   "demo",
		verbose:       true,
		listenPort:    9001,
		bindPort:      9101,
		providerPort:  9201,
		hazelcastPort: 9301,
	}
	if opts != want {
		t.Errorf("parseFlags = %+v, want %+v", opts, want)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	cases := []struct {
		name string
		args []string

		// message is a part of the error that names what to change.
		message string
	}{
		{"zero interval", []string{"-interval", "0"}, "invalid -interval 0"},
		{"empty admin key", []string{"-admin-key", ""}, "-admin-key is empty"},
		{"empty cluster name", []string{"-cluster-name", ""}, "-cluster-name is empty"},
		{"port above range", []string{"-listen-port", "65535"}, "invalid port 65536 for node-2 HTTP: use -listen-port"},
		{"port zero", []string{"-hazelcast-port", "0"}, "invalid port 0 for the Hazelcast member: use -hazelcast-port"},
		{"overlapping ranges", []string{"-listen-port", "6332"},
			"port 6332 is both node-1 HTTP (-listen-port) and node-2 member discovery (-provider-port)"},
		{"positional argument", []string{"serve"}, `unexpected argument "serve"`},
		{"unknown flag", []string{"-nodes", "5"}, "flag provided but not defined: -nodes"},
	}
	for _, test := range cases {
		t.Run(test.name, func(t *testing.T) {
			_, err := parseFlags(test.args, io.Discard)
			if err == nil {
				t.Fatalf("parseFlags(%q) succeeded, want an error containing %q", test.args, test.message)
			}
			if !strings.Contains(err.Error(), test.message) {
				t.Errorf("parseFlags(%q) error = %q, want it to contain %q", test.args, err, test.message)
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	var usage bytes.Buffer
	_, err := parseFlags([]string{"-h"}, &usage)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseFlags(-h) error = %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{"-nflsync", "-data", "-replay", "-interval", "-admin-key", "-v", "-listen-port"} {
		if !strings.Contains(usage.String(), name) {
			t.Errorf("usage does not list %s:\n%s", name, usage.String())
		}
	}
}

func TestNodeEnvSecondNode(t *testing.T) {
	opts, err := parseFlags([]string{"-interval", "3", "-cluster-name", "demo"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	shared := sharedSetup{
		mongoURI:         "mongodb://127.0.0.1:40000/",
		hazelcastAddress: "127.0.0.1:5701",
		replayDir:        "/repo/testdata/replay/2024",
		dataDir:          "/tmp/cluster",
	}

	env := envMap(t, nodeEnv(opts, 1, shared))

	want := map[string]string{
		"NFL_SYNC_SOURCE":                     "replay:/repo/testdata/replay/2024",
		"NFL_SYNC_INTERVAL_SECONDS":           "3",
		"NFL_SYNC_OFFSEASON_INTERVAL_SECONDS": "3",
		"NFL_SYNC_LIVE_SOURCE":                "off",
		"NFL_SYNC_LISTEN_ADDR":                "127.0.0.1:8082",
		"NFL_SYNC_METRICS_ADDR":               "",
		"NFL_SYNC_DATA_DIR":                   "/tmp/cluster/node-2",
		"NFL_SYNC_MONGO_URI":                  "mongodb://127.0.0.1:40000/",
		"NFL_SYNC_HAZELCAST_ADDRESSES":        "127.0.0.1:5701",
		"NFL_SYNC_HAZELCAST_CLUSTER_NAME":     "demo",
		"NFL_SYNC_CLUSTER_NAME":               "demo",
		"NFL_SYNC_CLUSTER_BIND_ADDR":          "127.0.0.1:6342",
		"NFL_SYNC_CLUSTER_PROVIDER_PORT":      "6332",
		"NFL_SYNC_CLUSTER_PEERS":              "127.0.0.1:6331,127.0.0.1:6332,127.0.0.1:6333",
		"NFL_SYNC_ADMIN_API_KEY":              defaultAdminKey,
	}
	for name, value := range want {
		got, ok := env[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	if len(env) != len(want) {
		t.Errorf("nodeEnv sets %d variables, want %d: %v", len(env), len(want), env)
	}
}

func TestNodeEnvDiffersPerNode(t *testing.T) {
	opts, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"NFL_SYNC_LISTEN_ADDR", "NFL_SYNC_CLUSTER_BIND_ADDR", "NFL_SYNC_CLUSTER_PROVIDER_PORT", "NFL_SYNC_DATA_DIR"} {
		seen := make(map[string]int)
		for i := range nodeCount {
			value := envMap(t, nodeEnv(opts, i, sharedSetup{dataDir: "/d"}))[name]
			if earlier, ok := seen[value]; ok {
				t.Errorf("%s = %q for both %s and %s", name, value, nodeName(earlier), nodeName(i))
			}
			seen[value] = i
		}
	}
}

// envMap turns KEY=VALUE entries into a map and fails on a repeated key.
func envMap(t *testing.T, entries []string) map[string]string {
	t.Helper()
	env := make(map[string]string)
	for _, entry := range entries {
		name, value, ok := strings.Cut(entry, "=")
		if !ok {
			t.Fatalf("entry %q has no =", entry)
		}
		if _, repeated := env[name]; repeated {
			t.Fatalf("%s set twice", name)
		}
		env[name] = value
	}
	return env
}

func TestCheckPortsFreeNamesTakenPort(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	taken := listener.Addr().(*net.TCPAddr).Port

	uses := []portUse{{port: taken, name: "node-2 HTTP", flag: "listen-port"}}
	err = checkPortsFree(uses)
	if err == nil {
		t.Fatalf("checkPortsFree succeeded on port %d, which a listener holds", taken)
	}

	message := err.Error()
	for _, part := range []string{"port " + strconv.Itoa(taken), "node-2 HTTP", "-listen-port"} {
		if !strings.Contains(message, part) {
			t.Errorf("error %q does not contain %q", message, part)
		}
	}
}

func TestCheckPortsFreeAcceptsFreePort(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := listener.Addr().(*net.TCPAddr).Port
	listener.Close()

	if err := checkPortsFree([]portUse{{port: free, name: "node-1 HTTP", flag: "listen-port"}}); err != nil {
		t.Errorf("checkPortsFree on free port %d: %v", free, err)
	}
}

func TestPortsListsEveryPortOnce(t *testing.T) {
	opts, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	uses := opts.ports()
	if len(uses) != 1+3*nodeCount {
		t.Errorf("ports() has %d entries, want %d", len(uses), 1+3*nodeCount)
	}
	want := []int{5701, 8081, 8082, 8083, 6341, 6342, 6343, 6331, 6332, 6333}
	for _, port := range want {
		found := false
		for _, use := range uses {
			found = found || use.port == port
		}
		if !found {
			t.Errorf("ports() lacks %d", port)
		}
	}
}

func TestSumMetricAddsSeries(t *testing.T) {
	exposition := `# HELP nflsync_sync_cycles_total Finished sync cycles.
# TYPE nflsync_sync_cycles_total counter
nflsync_sync_cycles_total{outcome="error"} 1
nflsync_sync_cycles_total{outcome="ok"} 12
nflsync_sync_cycles_total_other 100
nflsync_cluster_members 3
`
	cycles, err := sumMetric(strings.NewReader(exposition), "nflsync_sync_cycles_total")
	if err != nil {
		t.Fatal(err)
	}
	if cycles != 13 {
		t.Errorf("nflsync_sync_cycles_total = %v, want 13", cycles)
	}

	members, err := sumMetric(strings.NewReader(exposition), "nflsync_cluster_members")
	if err != nil {
		t.Fatal(err)
	}
	if members != 3 {
		t.Errorf("nflsync_cluster_members = %v, want 3", members)
	}
}

func TestSumMetricRejectsBadValue(t *testing.T) {
	_, err := sumMetric(strings.NewReader("nflsync_cluster_members three\n"), "nflsync_cluster_members")
	if err == nil {
		t.Error("sumMetric accepted the value three")
	}
}

func TestLinePrefixerWholeLines(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	writer := newLinePrefixer(&out, "node-2", &mu)

	for _, chunk := range []string{"first li", "ne\nsecond line\nthi", "rd"} {
		if n, err := writer.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}

	want := "node-2 | first line\nnode-2 | second line\n"
	if out.String() != want {
		t.Errorf("output = %q, want %q (the third line has no end yet)", out.String(), want)
	}
}

func TestLinePrefixerSplitsLongLine(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	writer := newLinePrefixer(&out, "node-1", &mu)

	if _, err := writer.Write(bytes.Repeat([]byte("x"), maxPartialLine+10)); err != nil {
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("wrote %d lines, want 1 piece of maxPartialLine bytes", len(lines))
	}
	if len(lines[0]) != len("node-1 | ")+maxPartialLine {
		t.Errorf("piece has %d bytes, want prefix and %d bytes", len(lines[0]), maxPartialLine)
	}
	if len(writer.partial) != 10 {
		t.Errorf("kept %d bytes of the line's rest, want 10", len(writer.partial))
	}
}

func TestRestartScriptQuotesSettings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "node-1.sh")
	env := []string{"NFL_SYNC_ADMIN_API_KEY=it's secret", "NFL_SYNC_LISTEN_ADDR=127.0.0.1:8081"}
	if err := writeRestartScript(path, "bin/nflsync", env, filepath.Join(dir, "node 1.log")); err != nil {
		t.Fatal(err)
	}

	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), `'NFL_SYNC_ADMIN_API_KEY=it'\''s secret'`) {
		t.Errorf("script does not quote the admin key:\n%s", script)
	}
	if output, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
		t.Errorf("sh -n %s: %v\n%s", path, err, output)
	}
}
