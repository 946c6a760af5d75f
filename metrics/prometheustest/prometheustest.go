//go:build linux

package prometheustest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DefaultWait bounds each wait for the server: start-up, a scrape, a rule
// evaluation. With 1 s scrape and evaluation intervals each step normally
// takes a few seconds, and the margin is for a loaded CI machine.
const DefaultWait = 60 * time.Second

// Job is the job label of the scraped target, which the production alert
// rules select on (up{job="nflsync"}).
const Job = "nflsync"

// forClause matches the `for:` duration of an alert rule.
var forClause = regexp.MustCompile(`(?m)^(\s+for:\s*)\S+\s*$`)

// Config describes the server to start.
type Config struct {
	// Target is the host:port that Prometheus scrapes every second.
	Target string

	// MetricsPath is the scraped path; "/metrics" when empty.
	MetricsPath string

	// RulesFile is an alert rules file to load, with every `for:` duration
	// replaced by 1s; no rules when empty.
	RulesFile string

	// Wait bounds each wait; DefaultWait when zero.
	Wait time.Duration
}

// Server is a Prometheus process started by Start.
type Server struct {
	baseURL string
	wait    time.Duration
	output  *lockedBuffer
	client  *http.Client
}

// Sample is one series of an instant query result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Alert is one pending or firing alert.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// Start starts Prometheus as config describes and waits until it is ready.
// The server is killed, with its whole process group, when the test ends.
func Start(t testing.TB, config Config) *Server {
	t.Helper()

	binary := RequireTool(t, "prometheus")
	dir := t.TempDir()
	configPath := writeConfig(t, dir, config)

	address := FreeLoopbackAddress(t)
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

	wait := config.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	server := &Server{
		baseURL: "http://" + address,
		wait:    wait,
		output:  output,
		client:  &http.Client{Timeout: 5 * time.Second},
	}
	server.WaitFor(t, "Prometheus to be ready", func() (bool, string) {
		response, err := server.client.Get(server.baseURL + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		response.Body.Close()
		return response.StatusCode == http.StatusOK, response.Status
	})
	return server
}

// writeConfig writes prometheus.yml, and the rules with `for:` cut to 1 s,
// into dir, and returns the path of prometheus.yml.
func writeConfig(t testing.TB, dir string, config Config) string {
	t.Helper()

	ruleFiles := "[]"
	if config.RulesFile != "" {
		rules, err := os.ReadFile(config.RulesFile)
		if err != nil {
			t.Fatalf("read alert rules: %v", err)
		}
		rules = forClause.ReplaceAll(rules, []byte("${1}1s"))
		if err := os.WriteFile(filepath.Join(dir, "alerts.yml"), rules, 0o644); err != nil {
			t.Fatalf("write test alert rules: %v", err)
		}
		ruleFiles = "[alerts.yml]"
	}

	metricsPath := config.MetricsPath
	if metricsPath == "" {
		metricsPath = "/metrics"
	}

	text := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: %s
scrape_configs:
  - job_name: %s
    metrics_path: %s
    static_configs:
      - targets: [%q]
`, ruleFiles, Job, metricsPath, config.Target)
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatalf("write test config: %v", err)
	}
	return path
}

// FreeLoopbackAddress returns a 127.0.0.1 address whose port was free a
// moment ago. Another process can take the port before the caller listens
// on it, which is unlikely enough for tests.
func FreeLoopbackAddress(t testing.TB) string {
	t.Helper()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	address := listener.Addr().String()
	listener.Close()
	return address
}

// URL returns the server's base URL, such as http://127.0.0.1:41234.
func (s *Server) URL() string {
	return s.baseURL
}

// Output returns what the server has written to stdout and stderr so far.
func (s *Server) Output() string {
	return s.output.String()
}

// WaitFor polls check every 200 ms until it returns true. After the wait
// bound it fails the test with what, check's last detail and the server's
// output.
func (s *Server) WaitFor(t testing.TB, what string, check func() (done bool, detail string)) {
	t.Helper()

	deadline := time.Now().Add(s.wait)
	for {
		done, detail := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last result: %s\nprometheus output:\n%s",
				s.wait, what, detail, s.output.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// WaitForValue waits until expr returns exactly one series with value want.
func (s *Server) WaitForValue(t testing.TB, expr string, want float64) {
	t.Helper()

	s.WaitForSample(t, expr, fmt.Sprintf("== %v", want), func(value float64) bool { return value == want })
}

// WaitForSample waits until expr returns exactly one series whose value
// accept takes, and returns that value. condition describes accept in the
// failure message, such as ">= 3".
func (s *Server) WaitForSample(t testing.TB, expr, condition string, accept func(float64) bool) float64 {
	t.Helper()

	var value float64
	s.WaitFor(t, expr+" "+condition, func() (bool, string) {
		samples, err := s.Query(expr)
		if err != nil {
			return false, err.Error()
		}
		if len(samples) != 1 {
			return false, fmt.Sprintf("%d series", len(samples))
		}
		value = samples[0].Value
		return accept(value), fmt.Sprintf("value %v", value)
	})
	return value
}

// Query runs an instant query and returns each series of a vector result.
// A scalar or string result returns no samples.
func (s *Server) Query(expr string) ([]Sample, error) {
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

	samples := make([]Sample, 0, len(vector))
	for _, element := range vector {
		text, _ := element.Value[1].(string)
		value, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("parse sample value %q: %w", text, err)
		}
		samples = append(samples, Sample{Labels: element.Metric, Value: value})
	}
	return samples, nil
}

// Alerts returns the pending and firing alerts.
func (s *Server) Alerts() ([]Alert, error) {
	data, err := s.get("/api/v1/alerts", nil)
	if err != nil {
		return nil, err
	}

	var result struct {
		Alerts []Alert `json:"alerts"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		return nil, fmt.Errorf("parse alerts: %w", err)
	}
	return result.Alerts, nil
}

// WaitForAlert waits until the alert named name fires with every label of
// labels, and returns it.
func (s *Server) WaitForAlert(t testing.TB, name string, labels map[string]string) Alert {
	t.Helper()

	var firing Alert
	s.WaitFor(t, name+" to fire", func() (bool, string) {
		alerts, err := s.Alerts()
		if err != nil {
			return false, err.Error()
		}
		for _, alert := range alerts {
			if alert.Labels["alertname"] != name {
				continue
			}
			if alert.State != "firing" {
				return false, "state " + alert.State
			}
			for label, value := range labels {
				if alert.Labels[label] != value {
					return false, fmt.Sprintf("labels %v, want %s=%q", alert.Labels, label, value)
				}
			}
			firing = alert
			return true, ""
		}
		return false, fmt.Sprintf("not active; active alerts: %v", alerts)
	})
	return firing
}

// RuleLastEvaluation returns when Prometheus last evaluated the alert rule
// named alertName, or an error when the rule is not loaded or its last
// evaluation failed.
func (s *Server) RuleLastEvaluation(alertName string) (time.Time, error) {
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

// WaitForEvaluations waits until the alert rule named alertName has been
// evaluated twice after the call, so that a following Alerts reflects the
// series scraped before the call.
func (s *Server) WaitForEvaluations(t testing.TB, alertName string) {
	t.Helper()

	since := time.Now()
	s.WaitFor(t, "two evaluations of "+alertName, func() (bool, string) {
		evaluated, err := s.RuleLastEvaluation(alertName)
		if err != nil {
			return false, err.Error()
		}
		return evaluated.After(since.Add(time.Second)), "last evaluation " + evaluated.String()
	})
}

// apiResponse is the envelope of every Prometheus HTTP API response.
type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

func (s *Server) get(path string, query url.Values) (json.RawMessage, error) {
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
