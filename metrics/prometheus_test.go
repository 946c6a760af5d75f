//go:build linux

package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// prometheusWait bounds each wait for the Prometheus server: start-up, a
// scrape, a rule evaluation. With 1 s scrape and evaluation intervals every
// step normally takes a few seconds, and the margin is for a loaded CI
// machine.
const prometheusWait = 60 * time.Second

// forClause matches the `for:` duration of an alert rule.
var forClause = regexp.MustCompile(`(?m)^(\s+for:\s*)\S+\s*$`)

// lockedBuffer collects the server's output, which exec writes from its own
// goroutine while the test may read it.
type lockedBuffer struct {
	mu     sync.Mutex
	buffer bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.String()
}

// prometheusServer is a Prometheus process started by a test.
type prometheusServer struct {
	baseURL string
	output  *lockedBuffer
	client  *http.Client
}

// startPrometheus starts Debian's prometheus binary on a free loopback port
// with the production alert rules, their `for:` durations cut to 1 s, and a
// config that scrapes target every second. The server is killed, with its
// whole process group, when the test ends.
func startPrometheus(t *testing.T, target string) *prometheusServer {
	t.Helper()

	binary := requireTool(t, "prometheus")
	dir := t.TempDir()

	rules, err := os.ReadFile(filepath.Join(prometheusDir, "alerts.yml"))
	if err != nil {
		t.Fatalf("read alert rules: %v", err)
	}
	rules = forClause.ReplaceAll(rules, []byte("${1}1s"))
	if err := os.WriteFile(filepath.Join(dir, "alerts.yml"), rules, 0o644); err != nil {
		t.Fatalf("write test alert rules: %v", err)
	}

	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - alerts.yml
scrape_configs:
  - job_name: nflsync
    metrics_path: %s
    static_configs:
      - targets: [%q]
`, Path, target)
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatalf("write test config: %v", err)
	}

	address := freeLoopbackAddress(t)
	output := &lockedBuffer{}
	command := exec.Command(binary,
		"--config.file="+configPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+address,
		"--log.level=warn",
	)
	command.Dir = dir
	command.Stdout, command.Stderr = output, output
	command.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := command.Start(); err != nil {
		t.Fatalf("start %s: %v", binary, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-command.Process.Pid, syscall.SIGKILL)
		_ = command.Wait()
	})

	server := &prometheusServer{
		baseURL: "http://" + address,
		output:  output,
		client:  &http.Client{Timeout: 5 * time.Second},
	}
	server.waitFor(t, "Prometheus to be ready", func() (bool, string) {
		response, err := server.client.Get(server.baseURL + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		response.Body.Close()
		return response.StatusCode == http.StatusOK, response.Status
	})
	return server
}

// freeLoopbackAddress returns a 127.0.0.1 address whose port was free a
// moment ago.
func freeLoopbackAddress(t *testing.T) string {
	t.Helper()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	address := listener.Addr().String()
	listener.Close()
	return address
}

// waitFor polls check every 200 ms until it returns true, and fails the test
// with check's last detail and the server's output after prometheusWait.
func (s *prometheusServer) waitFor(t *testing.T, what string, check func() (done bool, detail string)) {
	t.Helper()

	deadline := time.Now().Add(prometheusWait)
	for {
		done, detail := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last result: %s\nprometheus output:\n%s",
				prometheusWait, what, detail, s.output.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// apiResponse is the envelope of every Prometheus HTTP API response.
type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

func (s *prometheusServer) get(path string, query url.Values) (json.RawMessage, error) {
	response, err := s.client.Get(s.baseURL + path + "?" + query.Encode())
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()

	body, err := io.ReadAll(response.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}

	var envelope apiResponse
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, fmt.Errorf("parse %s response %q: %w", path, body, err)
	}
	if envelope.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", path, envelope.ErrorType, envelope.Error)
	}
	return envelope.Data, nil
}

// query runs an instant query and returns each result series' labels and
// value.
func (s *prometheusServer) query(expr string) ([]vectorSample, error) {
	data, err := s.get("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return nil, err
	}

	var result struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		return nil, fmt.Errorf("parse query result: %w", err)
	}
	if result.ResultType != "vector" {
		return nil, nil
	}

	var vector []struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	if err := json.Unmarshal(result.Result, &vector); err != nil {
		return nil, fmt.Errorf("parse vector: %w", err)
	}

	samples := make([]vectorSample, 0, len(vector))
	for _, element := range vector {
		text, _ := element.Value[1].(string)
		value, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("parse sample value %q: %w", text, err)
		}
		samples = append(samples, vectorSample{labels: element.Metric, value: value})
	}
	return samples, nil
}

type vectorSample struct {
	labels map[string]string
	value  float64
}

// waitForValue waits until expr returns exactly one series with value want.
func (s *prometheusServer) waitForValue(t *testing.T, expr string, want float64) {
	t.Helper()

	s.waitFor(t, fmt.Sprintf("%s == %v", expr, want), func() (bool, string) {
		samples, err := s.query(expr)
		if err != nil {
			return false, err.Error()
		}
		if len(samples) != 1 {
			return false, fmt.Sprintf("%d series", len(samples))
		}
		return samples[0].value == want, fmt.Sprintf("value %v", samples[0].value)
	})
}

type activeAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

func (s *prometheusServer) alerts() ([]activeAlert, error) {
	data, err := s.get("/api/v1/alerts", nil)
	if err != nil {
		return nil, err
	}

	var result struct {
		Alerts []activeAlert `json:"alerts"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		return nil, fmt.Errorf("parse alerts: %w", err)
	}
	return result.Alerts, nil
}

// ruleLastEvaluation returns when Prometheus last evaluated the alert rule
// named alertName.
func (s *prometheusServer) ruleLastEvaluation(alertName string) (time.Time, error) {
	data, err := s.get("/api/v1/rules", url.Values{"type": {"alert"}})
	if err != nil {
		return time.Time{}, err
	}

	var result struct {
		Groups []struct {
			Rules []struct {
				Name           string    `json:"name"`
				Health         string    `json:"health"`
				LastError      string    `json:"lastError"`
				LastEvaluation time.Time `json:"lastEvaluation"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		return time.Time{}, fmt.Errorf("parse rules: %w", err)
	}

	for _, group := range result.Groups {
		for _, rule := range group.Rules {
			if rule.Name != alertName {
				continue
			}
			if rule.Health == "err" {
				return time.Time{}, fmt.Errorf("rule %s failed: %s", alertName, rule.LastError)
			}
			return rule.LastEvaluation, nil
		}
	}
	return time.Time{}, fmt.Errorf("rule %s not loaded", alertName)
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

	server.waitForValue(t, `up{job="nflsync"}`, 1)
	server.waitForValue(t, `nflsync_sync_cycles_total{outcome="ok"}`, 2)
	server.waitForValue(t, `nflsync_sync_cycles_total{outcome="error"}`, 0)
	server.waitForValue(t, `nflsync_last_successful_sync_timestamp_seconds`, lastSync)
	server.waitForValue(t, `nflsync_sessions_connected`, 3)
	server.waitForValue(t, `nflsync_source_requests_total{source="nflverse", outcome="server_error"}`, 0)

	// Two evaluations after the healthy series arrived, the source-failing
	// alert must be neither pending nor firing.
	healthySince := time.Now()
	server.waitFor(t, "two evaluations of NflsyncSourceFailing", func() (bool, string) {
		evaluated, err := server.ruleLastEvaluation("NflsyncSourceFailing")
		if err != nil {
			return false, err.Error()
		}
		return evaluated.After(healthySince.Add(time.Second)), "last evaluation " + evaluated.String()
	})
	alerts, err := server.alerts()
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

	server.waitFor(t, "NflsyncSourceFailing to fire", func() (bool, string) {
		alerts, err := server.alerts()
		if err != nil {
			return false, err.Error()
		}
		for _, alert := range alerts {
			if alert.Labels["alertname"] != "NflsyncSourceFailing" {
				continue
			}
			if alert.State != "firing" {
				return false, "state " + alert.State
			}
			if alert.Labels["source"] != SourceNflverse || alert.Labels["severity"] != "warning" {
				return false, fmt.Sprintf("labels %v", alert.Labels)
			}
			if !strings.Contains(alert.Annotations["summary"], "requests to nflverse fail") {
				return false, fmt.Sprintf("summary %q", alert.Annotations["summary"])
			}
			return true, ""
		}
		return false, fmt.Sprintf("not active; active alerts: %v", alerts)
	})
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
		if _, err := server.query(expr); err != nil {
			t.Errorf("panel %s: query %s failed: %v", query.where, expr, err)
		}
	}
}
