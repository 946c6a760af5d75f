package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// nflsyncNodes are the Compose services that deploy/prometheus/prometheus.yml
// scrapes.
var nflsyncNodes = []string{"nflsync-1", "nflsync-2", "nflsync-3"}

// checkCompose checks the compose file beyond the compose-spec schema and
// returns the violations. composeDir is the directory that relative bind
// mounts start from.
func checkCompose(compose map[string]any, composeDir string, scrapeTargets []string) []error {
	var problems []error
	services := lookupMap(compose, "services")

	for _, name := range sortedKeys(services) {
		service := lookupMap(services, name)
		image := lookupString(service, "image")
		problems = append(problems, checkImageTag("compose service "+name, image)...)
		if lookupMap(service, "healthcheck") == nil {
			problems = append(problems, fmt.Errorf("compose service %s has no healthcheck", name))
		}
		problems = append(problems, checkBindMounts(name, lookupList(service, "volumes"), composeDir)...)
	}

	for _, name := range nflsyncNodes {
		service := lookupMap(services, name)
		if service == nil {
			problems = append(problems, fmt.Errorf("compose service %s is missing", name))
			continue
		}
		if !slices.Contains(scrapeTargets, name+":9090") {
			problems = append(problems, fmt.Errorf("prometheus.yml does not scrape %s:9090 (targets: %v)", name, scrapeTargets))
		}
		for _, dependency := range []string{"mongo", "hazelcast"} {
			if condition := lookupString(service, "depends_on", dependency, "condition"); condition != "service_healthy" {
				problems = append(problems, fmt.Errorf("compose service %s: depends_on %s condition %q, want service_healthy", name, dependency, condition))
			}
		}
		environment := lookupMap(service, "environment")
		if uri := lookupString(environment, "NFL_SYNC_MONGO_URI"); !strings.Contains(uri, "//mongo:") {
			problems = append(problems, fmt.Errorf("compose service %s: NFL_SYNC_MONGO_URI %q does not name the mongo service", name, uri))
		}
		if addresses := lookupString(environment, "NFL_SYNC_HAZELCAST_ADDRESSES"); addresses != "hazelcast:5701" {
			problems = append(problems, fmt.Errorf("compose service %s: NFL_SYNC_HAZELCAST_ADDRESSES %q, want hazelcast:5701", name, addresses))
		}
		problems = append(problems, checkComposeClusterNode(name, service, environment)...)
		clusterName := lookupString(environment, "NFL_SYNC_HAZELCAST_CLUSTER_NAME")
		if memberName := lookupString(services, "hazelcast", "environment", "HZ_CLUSTERNAME"); clusterName != memberName {
			problems = append(problems, fmt.Errorf("compose service %s: NFL_SYNC_HAZELCAST_CLUSTER_NAME %q differs from the member's HZ_CLUSTERNAME %q", name, clusterName, memberName))
		}
	}

	if image := lookupString(services, "hazelcast", "image"); image != "hazelcast/hazelcast:5.5.0" {
		problems = append(problems, fmt.Errorf("compose service hazelcast: image %q, want hazelcast/hazelcast:5.5.0", image))
	}
	if condition := lookupString(services, "grafana", "depends_on", "prometheus", "condition"); condition != "service_healthy" {
		problems = append(problems, fmt.Errorf("compose service grafana: depends_on prometheus condition %q, want service_healthy", condition))
	}
	return problems
}

// checkComposeClusterNode checks that a node joins the nflsync cluster:
// it binds the cluster ports on its own service name, lists every node as a
// peer and exposes both ports to the other containers.
func checkComposeClusterNode(name string, service, environment map[string]any) []error {
	var problems []error
	if lookupString(environment, "NFL_SYNC_CLUSTER_NAME") == "" {
		problems = append(problems, fmt.Errorf("compose service %s: NFL_SYNC_CLUSTER_NAME is empty", name))
	}
	bindAddr := lookupString(environment, "NFL_SYNC_CLUSTER_BIND_ADDR")
	if host, _, _ := strings.Cut(bindAddr, ":"); host != name {
		problems = append(problems, fmt.Errorf("compose service %s: NFL_SYNC_CLUSTER_BIND_ADDR %q, want %s:PORT, the name the other nodes reach it at", name, bindAddr, name))
	}
	providerPort := lookupString(environment, "NFL_SYNC_CLUSTER_PROVIDER_PORT")
	peers := strings.Split(lookupString(environment, "NFL_SYNC_CLUSTER_PEERS"), ",")
	for _, node := range nflsyncNodes {
		if !slices.Contains(peers, node+":"+providerPort) {
			problems = append(problems, fmt.Errorf("compose service %s: NFL_SYNC_CLUSTER_PEERS %v lacks %s:%s", name, peers, node, providerPort))
		}
	}
	var exposed []string
	for _, port := range lookupList(service, "expose") {
		exposed = append(exposed, fmt.Sprint(port))
	}
	for _, port := range []string{providerPort, portOf(bindAddr)} {
		if !slices.Contains(exposed, port) {
			problems = append(problems, fmt.Errorf("compose service %s: expose %v lacks cluster port %s", name, exposed, port))
		}
	}
	return problems
}

// checkImageTag returns an error unless image names an explicit version.
func checkImageTag(owner, image string) []error {
	if image == "" {
		return []error{fmt.Errorf("%s has no image", owner)}
	}
	lastPart := image[strings.LastIndex(image, "/")+1:]
	_, tag, tagged := strings.Cut(lastPart, ":")
	if strings.Contains(image, "@sha256:") {
		return nil
	}
	if !tagged || tag == "latest" {
		return []error{fmt.Errorf("%s: image %q needs a pinned tag, not latest or none", owner, image)}
	}
	return nil
}

// checkBindMounts returns an error for each short-syntax bind mount whose
// source path does not exist. Named volumes have no "/" or "." prefix.
func checkBindMounts(service string, volumes []any, composeDir string) []error {
	var problems []error
	for _, volume := range volumes {
		text, ok := volume.(string)
		if !ok {
			continue
		}
		source, _, _ := strings.Cut(text, ":")
		if !strings.HasPrefix(source, ".") && !strings.HasPrefix(source, "/") {
			continue
		}
		if _, err := os.Stat(filepath.Join(composeDir, source)); err != nil {
			problems = append(problems, fmt.Errorf("compose service %s mounts %s, which does not exist: %w", service, source, err))
		}
	}
	return problems
}

// prometheusTargets returns every static target of prometheus.yml.
func prometheusTargets(t *testing.T) []string {
	t.Helper()
	documents, err := decodeYAMLDocuments(readFile(t, "deploy/prometheus/prometheus.yml"))
	if err != nil || len(documents) != 1 {
		t.Fatalf("decode deploy/prometheus/prometheus.yml: %d documents, %v", len(documents), err)
	}
	var targets []string
	for _, job := range lookupList(documents[0], "scrape_configs") {
		for _, static := range lookupList(job, "static_configs") {
			for _, target := range lookupList(static, "targets") {
				if text, ok := target.(string); ok {
					targets = append(targets, text)
				}
			}
		}
	}
	return targets
}

func decodeCompose(t *testing.T, data []byte) map[string]any {
	t.Helper()
	documents, err := decodeYAMLDocuments(data)
	if err != nil || len(documents) != 1 {
		t.Fatalf("decode compose file: %d documents, %v", len(documents), err)
	}
	return documents[0]
}

func TestComposeStack(t *testing.T) {
	compose := decodeCompose(t, readFile(t, "deploy/docker-compose.yml"))

	reportProblems(t, checkCompose(compose, filepath.Join(repoRoot, "deploy"), prometheusTargets(t)))

	grafanaVolumes := fmt.Sprint(lookupList(compose, "services", "grafana", "volumes"))
	provider := string(readFile(t, "deploy/grafana/provisioning/dashboards/nflsync.yml"))
	if !strings.Contains(provider, "path: /var/lib/grafana/dashboards") || !strings.Contains(grafanaVolumes, ":/var/lib/grafana/dashboards/nflsync.json") {
		t.Errorf("grafana mounts %s, but the dashboard provider reads /var/lib/grafana/dashboards", grafanaVolumes)
	}
}

func TestComposeRejectsBrokenFiles(t *testing.T) {
	text := string(readFile(t, "deploy/docker-compose.yml"))
	cases := map[string]struct{ old, new string }{
		"latest tag":          {"image: mongo:7.0", "image: mongo:latest"},
		"missing mount":       {"./grafana/nflsync.json:", "./grafana/missing.json:"},
		"unscraped node":      {"  nflsync-3:\n", "  nflsync-4:\n"},
		"unhealthy condition": {"condition: service_healthy", "condition: service_started"},
		"cluster name":        {"HZ_CLUSTERNAME: nflsync", "HZ_CLUSTERNAME: dev"},
		"missing peer":        {",nflsync-3:6330", ""},
		"wrong bind host":     {"NFL_SYNC_CLUSTER_BIND_ADDR: nflsync-2:6331", "NFL_SYNC_CLUSTER_BIND_ADDR: 0.0.0.0:6331"},
		"unexposed port":      {`    - "6331"`, `    - "6332"`},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(text, edit.old) {
				t.Fatalf("deploy/docker-compose.yml lacks %q; update this case", edit.old)
			}
			compose := decodeCompose(t, []byte(strings.ReplaceAll(text, edit.old, edit.new)))

			problems := checkCompose(compose, filepath.Join(repoRoot, "deploy"), prometheusTargets(t))

			if len(problems) == 0 {
				t.Errorf("checkCompose passed a compose file with %q replaced by %q", edit.old, edit.new)
			}
		})
	}
}
