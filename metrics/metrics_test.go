package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNewPreinitializesLabels(t *testing.T) {
	m := New()

	cases := []struct {
		name      string
		collector prometheus.Collector
		series    int
	}{
		{"sync_cycles", m.SyncCycles, len(SyncOutcomes)},
		{"source_requests", m.SourceRequests, len(Sources) * len(RequestOutcomes)},
		{"source_downloaded_bytes", m.SourceBytes, len(Sources)},
		{"source_not_modified", m.SourceNotModified, len(Sources)},
		{"deltas", m.Deltas, len(DeltaKinds)},
		{"rows_rejected", m.RowsRejected, len(RejectReasons)},
		{"subscriptions", m.Subscriptions, len(SubscriptionKinds)},
		{"messages_sent", m.MessagesSent, len(MessageTypes)},
		{"messages_dropped", m.MessagesDropped, len(MessageTypes)},
		{"mirror_errors", m.MirrorErrors, len(MirrorOperations)},
		{"store_errors", m.StoreErrors, len(StoreOperations)},
		{"actor_restarts", m.ActorRestarts, len(ActorKinds)},
	}
	for _, c := range cases {
		if got := testutil.CollectAndCount(c.collector); got != c.series {
			t.Errorf("%s: %d series before any event, want %d", c.name, got, c.series)
		}
	}

	if got := testutil.ToFloat64(m.SyncCycles.WithLabelValues(SyncError)); got != 0 {
		t.Errorf("sync_cycles{outcome=error} = %v before any event, want 0", got)
	}
}

func TestNamesFollowConventions(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() is not sorted: %v", names)
	}

	families, err := New().Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}

	own := 0
	for _, family := range families {
		name := family.GetName()
		if !strings.HasPrefix(name, "nflsync_") {
			continue
		}
		own++

		switch family.GetType().String() {
		case "COUNTER":
			if !strings.HasSuffix(name, "_total") {
				t.Errorf("counter %s does not end in _total", name)
			}
		case "HISTOGRAM":
			if !strings.HasSuffix(name, "_seconds") {
				t.Errorf("histogram %s does not end in _seconds", name)
			}
		case "GAUGE":
			if strings.HasSuffix(name, "_total") {
				t.Errorf("gauge %s ends in _total", name)
			}
		}

		for _, metric := range family.GetMetric() {
			for _, label := range metric.GetLabel() {
				if strings.HasSuffix(label.GetName(), "_id") || label.GetName() == "league" || label.GetName() == "session" {
					t.Errorf("%s has the unbounded label %s", name, label.GetName())
				}
			}
		}

		if !slices.Contains(names, name) {
			t.Errorf("Names() lacks %s", name)
		}
	}

	// Every collector in Metrics must show up in Gather, which fails for a
	// vector whose labels New does not pre-initialize.
	if want := len(New().collectors()); own != want {
		t.Errorf("gathered %d nflsync_ families, want one per collector: %d", own, want)
	}

	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "nflsync_games_live"} {
		if !slices.Contains(names, name) {
			t.Errorf("Names() lacks %s", name)
		}
	}
}

func TestHandlerServesMetrics(t *testing.T) {
	m := New()
	m.SyncCycles.WithLabelValues(SyncOK).Add(3)
	m.LastSuccessfulSync.Set(1_700_000_000)
	m.DeliveryLatency.Observe(0.02)

	server := httptest.NewServer(m.Handler())
	defer server.Close()

	response, err := http.Get(server.URL)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer response.Body.Close()

	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	if response.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d, body %s", response.StatusCode, body)
	}

	text := string(body)
	for _, line := range []string{
		`nflsync_sync_cycles_total{outcome="ok"} 3`,
		`nflsync_sync_cycles_total{outcome="error"} 0`,
		`nflsync_last_successful_sync_timestamp_seconds 1.7e+09`,
		`nflsync_delivery_latency_seconds_bucket{le="0.025"} 1`,
		`nflsync_delivery_latency_seconds_count 1`,
		`nflsync_source_requests_total{outcome="server_error",source="nflverse"} 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

func TestMetricsAreIndependent(t *testing.T) {
	first, second := New(), New()
	first.SessionsConnected.Set(5)

	if got := testutil.ToFloat64(second.SessionsConnected); got != 0 {
		t.Errorf("second Metrics sees sessions_connected %v from the first, want 0", got)
	}
}

func TestSetMirrorWriteThroughPaused(t *testing.T) {
	m := New()
	if got := testutil.ToFloat64(m.MirrorWriteThroughPaused); got != 0 {
		t.Errorf("mirror_write_through_paused = %v before any pause, want 0", got)
	}

	m.SetMirrorWriteThroughPaused(true)
	if got := testutil.ToFloat64(m.MirrorWriteThroughPaused); got != 1 {
		t.Errorf("mirror_write_through_paused = %v while paused, want 1", got)
	}

	m.SetMirrorWriteThroughPaused(false)
	if got := testutil.ToFloat64(m.MirrorWriteThroughPaused); got != 0 {
		t.Errorf("mirror_write_through_paused = %v after resuming, want 0", got)
	}
}
