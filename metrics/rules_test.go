package metrics

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nflsync/nflsync/metrics/prometheustest"
)

// prometheusDir is deploy/prometheus, relative to this package.
var prometheusDir = filepath.Join("..", "deploy", "prometheus")

func runPromtool(t *testing.T, args ...string) {
	t.Helper()

	promtool := prometheustest.RequireTool(t, "promtool")
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
