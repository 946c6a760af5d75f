package prometheustest

import (
	"os/exec"
	"testing"
)

// RequireTool returns the path of a Prometheus binary (prometheus or
// promtool), or fails the test with the command that installs it.
func RequireTool(t testing.TB, name string) string {
	t.Helper()

	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run scripts/prometheus/ensure.sh, which installs Debian's prometheus package (make test runs it)", name)
	}
	return path
}
