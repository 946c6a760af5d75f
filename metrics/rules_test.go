package metrics

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// prometheusDir is deploy/prometheus, relative to this package.
var prometheusDir = filepath.Join("..", "deploy", "prometheus")

// requireTool returns the path of a Prometheus binary, or fails the test
// with the command that installs it.
func requireTool(t *testing.T, name string) string {
	t.Helper()

	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run scripts/prometheus/ensure.sh, which installs Debian's prometheus package (make test runs it)", name)
	}
	return path
}

func runPromtool(t *testing.T, args ...string) {
	t.Helper()

	promtool := requireTool(t, "promtool")
	command := exec.Command(promtool, args...)
	command.Dir = prometheusDir
	output, err := command.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v in %s failed: %v\n%s", args, prometheusDir, err, output)
	}
}

func TestAlertRulesValid(t *testing.T) {
	runPromtool(t, "check", "rules", "alerts.yml")
}

func TestAlertRulesUnitTests(t *testing.T) {
	runPromtool(t, "test", "rules", "alerts_test.yml")
}

func TestPrometheusConfigValid(t *testing.T) {
	runPromtool(t, "check", "config", "prometheus.yml")
}
