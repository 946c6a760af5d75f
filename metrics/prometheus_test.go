//go:build linux

package metrics

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nflsync/nflsync/metrics/prometheustest"
)

// startPrometheus starts a real Prometheus server that scrapes target every
// second and evaluates the production alert rules with `for:` cut to 1 s.
func startPrometheus(t *testing.T, target string) *prometheustest.Server {
	t.Helper()
	return prometheustest.Start(t, prometheustest.Config{
		Target:      target,
		MetricsPath: Path,
		RulesFile:   filepath.Join(prometheusDir, "alerts.yml"),
	})
}

func TestPrometheusScrapesAndAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}

	m := New()
	mux := http.NewServeMux()
	mux.Handle(Path, m.Handler())
	target := httptest.NewServer(mux)
	t.Cleanup(target.Close)

	server := startPrometheus(t, strings.TrimPrefix(target.URL, "http://"))

	// A healthy node: two good cycles and one good request.
	lastSync := float64(time.Now().Unix())
	m.SyncCycles.WithLabelValues(SyncOK).Add(2)
	m.LastSuccessfulSync.Set(lastSync)
	m.SourceRequests.WithLabelValues(SourceNflverse, RequestOK).Inc()
	m.SessionsConnected.Set(3)

	server.WaitForValue(t, `up{job="nflsync"}`, 1)
	server.WaitForValue(t, `nflsync_sync_cycles_total{outcome="ok"}`, 2)
	server.WaitForValue(t, `nflsync_sync_cycles_total{outcome="error"}`, 0)
	server.WaitForValue(t, `nflsync_last_successful_sync_timestamp_seconds`, lastSync)
	server.WaitForValue(t, `nflsync_sessions_connected`, 3)
	server.WaitForValue(t, `nflsync_source_requests_total{source="nflverse", outcome="server_error"}`, 0)

	// Two evaluations after the healthy series arrived, the source-failing
	// alert must be neither pending nor firing.
	server.WaitForEvaluations(t, "NflsyncSourceFailing")
	alerts, err := server.Alerts()
	if err != nil {
		t.Fatalf("list alerts: %v", err)
	}
	for _, alert := range alerts {
		if alert.Labels["alertname"] == "NflsyncSourceFailing" {
			t.Fatalf("NflsyncSourceFailing is %s with only successful requests: %v", alert.State, alert)
		}
	}

	// Ten server errors against one success: a failure ratio of 10/11.
	m.SourceRequests.WithLabelValues(SourceNflverse, RequestServerError).Add(10)

	alert := server.WaitForAlert(t, "NflsyncSourceFailing", map[string]string{
		"source":   SourceNflverse,
		"severity": "warning",
	})
	if summary := alert.Annotations["summary"]; !strings.Contains(summary, "requests to nflverse fail") {
		t.Errorf("NflsyncSourceFailing summary %q lacks %q", summary, "requests to nflverse fail")
	}
}

// TestDashboardQueriesRunOnPrometheus runs every dashboard query, with the
// Grafana variables filled in, on a real Prometheus server, which rejects
// any query that is not valid PromQL.
func TestDashboardQueriesRunOnPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}

	m := New()
	mux := http.NewServeMux()
	mux.Handle(Path, m.Handler())
	target := httptest.NewServer(mux)
	t.Cleanup(target.Close)

	server := startPrometheus(t, strings.TrimPrefix(target.URL, "http://"))

	variables := strings.NewReplacer(
		"${__rate_interval}", "1m",
		"$__rate_interval", "1m",
		"${job}", "nflsync",
		"$job", "nflsync",
		"${instance}", ".*",
		"$instance", ".*",
	)
	for _, query := range dashboardQueries(loadDashboard(t).Panels) {
		expr := variables.Replace(query.expr)
		if _, err := server.Query(expr); err != nil {
			t.Errorf("panel %s: query %s failed: %v", query.where, expr, err)
		}
	}
}
