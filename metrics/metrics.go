// Package metrics defines every Prometheus metric that nflsync exports and
// serves them, on nflsync's own registry, at /metrics.
//
// Names follow the Prometheus conventions: the nflsync_ prefix, base units
// (seconds, bytes) and _total on counters. Labels take only the bounded
// values listed by the constants in labels.go, never a player_id, game_id,
// league or session id, so that the number of series stays fixed however
// many players, games and clients there are.
//
// New pre-initializes every label combination that the dashboard and the
// alert rules in deploy/ query, so that those series exist with value 0
// before the first event and rate() counts the first increment.
package metrics

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is the URL path the metrics handler is meant to be mounted on.
const Path = "/metrics"

const namespace = "nflsync"

// Histogram buckets, in seconds. Each set spans the range where its
// measurement is expected, mostly in 2x to 2.5x steps, so that
// histogram_quantile interpolates within a narrow bucket where it matters.
var (
	// syncDurationBuckets span one sync cycle: a poll that finds nothing
	// new is expected to take under a second, and a full download and
	// diff of a season's stats file several seconds. The last bound is the
	// fetcher's load timeout of 2 minutes, so a cycle whose load timed out
	// lands at or above it.
	syncDurationBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120}

	// scoringDurationBuckets span the scoring of one player-week under
	// every rule set, which is decimal arithmetic on a few dozen stats. We
	// expect microseconds to tens of microseconds, and the coarse upper
	// buckets catch a scorer that is starved of CPU.
	scoringDurationBuckets = []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2, 0.1}

	// deliveryLatencyBuckets span the time from change detected to the
	// message written to the socket, from 1 ms (an idle node) to 10 s (a
	// client whose writes wait behind a full queue until the write
	// timeout). The alert on its p99 uses the 1 s bound, which is a bucket
	// boundary so that the estimate is exact there.
	deliveryLatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

	// writeDurationBuckets span one batched write to Hazelcast or MongoDB:
	// a millisecond on a local network, up to the Hazelcast adapter's
	// default operation timeout of 10 s and the MongoDB adapter's 5
	// attempts with backoff, which can add up to about 30 s.
	writeDurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
)

// Metrics holds every collector that nflsync exports. Create it with New;
// all fields are set and safe for concurrent use. Label values should be
// the constants of labels.go: a value outside them creates a new series,
// which the dashboard and alerts do not know.
type Metrics struct {
	// SyncCycles counts finished sync cycles by outcome (SyncOK,
	// SyncError, SyncNotPublished, SyncSkipped).
	// Name: nflsync_sync_cycles_total{outcome}.
	SyncCycles *prometheus.CounterVec

	// SyncDuration observes the duration of a sync cycle from tick to the
	// last actor's reply, in seconds. Skipped cycles are not observed.
	// Name: nflsync_sync_duration_seconds.
	SyncDuration prometheus.Histogram

	// LastSuccessfulSync is the Unix time in seconds at which the last
	// sync cycle with outcome SyncOK finished. It is 0 until then.
	// Name: nflsync_last_successful_sync_timestamp_seconds.
	LastSuccessfulSync prometheus.Gauge

	// GamesLive is the number of games of the current week that are in
	// their live window (from 15 minutes before kickoff until final), by
	// the scheduler's count. The stale-sync alert fires only while it
	// is above 0. Name: nflsync_games_live.
	GamesLive prometheus.Gauge

	// SourceRequests counts HTTP requests to a data source by source
	// (SourceNflverse, SourceESPN) and outcome (the Request* constants).
	// Name: nflsync_source_requests_total{source,outcome}.
	SourceRequests *prometheus.CounterVec

	// SourceBytes counts response body bytes downloaded from a source,
	// after transfer decoding. Name:
	// nflsync_source_downloaded_bytes_total{source}.
	SourceBytes *prometheus.CounterVec

	// SourceNotModified counts requests that got 304 Not Modified, each a
	// download saved. Name: nflsync_source_not_modified_total{source}.
	SourceNotModified *prometheus.CounterVec

	// Deltas counts changes found, by kind (the Delta* constants). One
	// delta is one changed player-week, game, roster entry, injury or
	// leaderboard. Name: nflsync_deltas_total{kind}.
	Deltas *prometheus.CounterVec

	// RowsQuarantined counts rows dropped from a snapshot because their
	// key is missing or invalid (messages.Snapshot.Quarantined), such as a
	// stats row with a position but no player_id.
	// Name: nflsync_rows_quarantined_total.
	RowsQuarantined prometheus.Counter

	// RowsRejected counts rows that a reader dropped for another reason
	// (the Reject* constants). Name: nflsync_rows_rejected_total{reason}.
	RowsRejected *prometheus.CounterVec

	// ScoringDuration observes the scoring of one player-week under every
	// rule set, in seconds. Name: nflsync_scoring_duration_seconds.
	ScoringDuration prometheus.Histogram

	// SessionsConnected is the number of WebSocket sessions open on this
	// node. Name: nflsync_sessions_connected.
	SessionsConnected prometheus.Gauge

	// Subscriptions is the number of stream subscriptions held by this
	// node's sessions, by kind (the Subscription* constants).
	// Name: nflsync_subscriptions{kind}.
	Subscriptions *prometheus.GaugeVec

	// MessagesSent counts server messages queued to a client, by type
	// (messages.TypePlayerUpdate and the other Type constants). One
	// broadcast to 100 sessions counts 100.
	// Name: nflsync_messages_sent_total{type}.
	MessagesSent *prometheus.CounterVec

	// MessagesDropped counts server messages that were not delivered
	// because the client's queue was full or the connection was closing.
	// Name: nflsync_messages_dropped_total{type}.
	MessagesDropped *prometheus.CounterVec

	// SlowClientDisconnects counts sessions closed with the slow-consumer
	// close code because their send queue was full.
	// Name: nflsync_slow_client_disconnects_total.
	SlowClientDisconnects prometheus.Counter

	// DeliveryLatency observes, per message written to a socket, the time
	// from the moment the change was detected (DetectedUnixNano of the
	// delta) to the end of the socket write, in seconds.
	// Name: nflsync_delivery_latency_seconds.
	DeliveryLatency prometheus.Histogram

	// MirrorWriteDuration observes one batched write to the mirror
	// (Hazelcast), in seconds, failed writes included.
	// Name: nflsync_mirror_write_duration_seconds.
	MirrorWriteDuration prometheus.Histogram

	// MirrorErrors counts failed mirror operations by operation (the
	// Mirror* constants). Name: nflsync_mirror_errors_total{operation}.
	MirrorErrors *prometheus.CounterVec

	// MirrorWriteThroughPaused is 1 while the StateKeeper has paused
	// write-through to the mirror after a failed write, so that player
	// and game states reach the mirror only in batches, and 0 otherwise.
	// Name: nflsync_mirror_write_through_paused.
	MirrorWriteThroughPaused prometheus.Gauge

	// StoreWriteDuration observes one write to MongoDB, in seconds,
	// retries and failed writes included.
	// Name: nflsync_store_write_duration_seconds.
	StoreWriteDuration prometheus.Histogram

	// StoreErrors counts MongoDB operations that failed after their
	// retries, by operation (the Store* constants).
	// Name: nflsync_store_errors_total{operation}.
	StoreErrors *prometheus.CounterVec

	// ActorRestarts counts restarts of an actor by its supervisor, by
	// actor kind (the Actor* constants).
	// Name: nflsync_actor_restarts_total{actor}.
	ActorRestarts *prometheus.CounterVec

	// ClusterMembers is the number of cluster members known to this node,
	// itself included. The cluster code sets it, and a single node sets it
	// to 1. Name: nflsync_cluster_members.
	ClusterMembers prometheus.Gauge

	// Polling is 1 while this node polls the source: a standalone node with
	// polling on, or the node a cluster chose to poll. Name: nflsync_polling.
	Polling prometheus.Gauge

	// VirtualActors is the number of cluster kind actors (player, game,
	// league) active on this node, by kind; 0 on a standalone node, whose
	// player and game actors are children of the fetcher.
	// Name: nflsync_virtual_actors{kind}.
	VirtualActors *prometheus.GaugeVec

	registry *prometheus.Registry
}

// New creates the collectors, registers them with a new registry together
// with the Go runtime and process collectors, and pre-initializes every
// label combination listed in labels.go.
func New() *Metrics {
	m := &Metrics{
		SyncCycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sync_cycles_total",
			Help: "Finished sync cycles by outcome (ok, error, not_published, skipped).",
		}, []string{"outcome"}),
		SyncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "sync_duration_seconds",
			Help:    "Duration of a sync cycle, from tick to the last actor's reply, in seconds.",
			Buckets: syncDurationBuckets,
		}),
		LastSuccessfulSync: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "last_successful_sync_timestamp_seconds",
			Help: "Unix time of the end of the last successful sync cycle; 0 before the first.",
		}),
		GamesLive: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "games_live",
			Help: "Games of the current week in their live window (15 minutes before kickoff until final).",
		}),
		SourceRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "source_requests_total",
			Help: "HTTP requests to a data source by source and outcome.",
		}, []string{"source", "outcome"}),
		SourceBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "source_downloaded_bytes_total",
			Help: "Response body bytes downloaded from a data source.",
		}, []string{"source"}),
		SourceNotModified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "source_not_modified_total",
			Help: "Source requests answered with 304 Not Modified.",
		}, []string{"source"}),
		Deltas: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "deltas_total",
			Help: "Changes found, by kind (player_stats, game, roster, injury, leaderboard).",
		}, []string{"kind"}),
		RowsQuarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "rows_quarantined_total",
			Help: "Source rows dropped because their key is missing or invalid.",
		}),
		RowsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rows_rejected_total",
			Help: "Source rows dropped by a reader, by reason.",
		}, []string{"reason"}),
		ScoringDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "scoring_duration_seconds",
			Help:    "Scoring of one player-week under every rule set, in seconds.",
			Buckets: scoringDurationBuckets,
		}),
		SessionsConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "sessions_connected",
			Help: "WebSocket sessions open on this node.",
		}),
		Subscriptions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "subscriptions",
			Help: "Stream subscriptions of this node's sessions, by kind.",
		}, []string{"kind"}),
		MessagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "messages_sent_total",
			Help: "Server messages queued to a client, by type.",
		}, []string{"type"}),
		MessagesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "messages_dropped_total",
			Help: "Server messages not delivered because the client's queue was full or its connection was closing, by type.",
		}, []string{"type"}),
		SlowClientDisconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "slow_client_disconnects_total",
			Help: "Sessions closed because the client read too slowly and its send queue filled up.",
		}),
		DeliveryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "delivery_latency_seconds",
			Help:    "Time from change detected to message written to the socket, in seconds.",
			Buckets: deliveryLatencyBuckets,
		}),
		MirrorWriteDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "mirror_write_duration_seconds",
			Help:    "Duration of one batched write to the Hazelcast mirror, in seconds.",
			Buckets: writeDurationBuckets,
		}),
		MirrorErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "mirror_errors_total",
			Help: "Failed Hazelcast mirror operations, by operation.",
		}, []string{"operation"}),
		MirrorWriteThroughPaused: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "mirror_write_through_paused",
			Help: "1 while write-through to the mirror is paused after a failed write and states reach it only in batches, else 0.",
		}),
		StoreWriteDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "store_write_duration_seconds",
			Help:    "Duration of one MongoDB write, retries included, in seconds.",
			Buckets: writeDurationBuckets,
		}),
		StoreErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "store_errors_total",
			Help: "MongoDB operations that failed after their retries, by operation.",
		}, []string{"operation"}),
		ActorRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "actor_restarts_total",
			Help: "Actor restarts by a supervisor, by actor kind.",
		}, []string{"actor"}),
		ClusterMembers: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "cluster_members",
			Help: "Cluster members this node sees, itself included.",
		}),
		Polling: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "polling",
			Help: "1 while this node polls the source, else 0.",
		}),
		VirtualActors: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "virtual_actors",
			Help: "Cluster kind actors active on this node, by kind.",
		}, []string{"kind"}),
		registry: prometheus.NewRegistry(),
	}

	m.registry.MustRegister(m.collectors()...)
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.initializeLabels()
	return m
}

// collectors returns nflsync's own collectors, in field order.
func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.SyncCycles, m.SyncDuration, m.LastSuccessfulSync, m.GamesLive,
		m.SourceRequests, m.SourceBytes, m.SourceNotModified,
		m.Deltas, m.RowsQuarantined, m.RowsRejected, m.ScoringDuration,
		m.SessionsConnected, m.Subscriptions, m.MessagesSent, m.MessagesDropped,
		m.SlowClientDisconnects, m.DeliveryLatency,
		m.MirrorWriteDuration, m.MirrorErrors, m.MirrorWriteThroughPaused,
		m.StoreWriteDuration, m.StoreErrors,
		m.ActorRestarts, m.ClusterMembers, m.Polling, m.VirtualActors,
	}
}

// initializeLabels creates the series of every known label value with
// value 0.
func (m *Metrics) initializeLabels() {
	for _, outcome := range SyncOutcomes {
		m.SyncCycles.WithLabelValues(outcome)
	}

	for _, kind := range VirtualActorKinds {
		m.VirtualActors.WithLabelValues(kind)
	}

	for _, source := range Sources {
		m.SourceBytes.WithLabelValues(source)
		m.SourceNotModified.WithLabelValues(source)
		for _, outcome := range RequestOutcomes {
			m.SourceRequests.WithLabelValues(source, outcome)
		}
	}

	for _, kind := range DeltaKinds {
		m.Deltas.WithLabelValues(kind)
	}
	for _, reason := range RejectReasons {
		m.RowsRejected.WithLabelValues(reason)
	}

	for _, kind := range SubscriptionKinds {
		m.Subscriptions.WithLabelValues(kind)
	}
	for _, messageType := range MessageTypes {
		m.MessagesSent.WithLabelValues(messageType)
		m.MessagesDropped.WithLabelValues(messageType)
	}

	for _, operation := range MirrorOperations {
		m.MirrorErrors.WithLabelValues(operation)
	}
	for _, operation := range StoreOperations {
		m.StoreErrors.WithLabelValues(operation)
	}
	for _, kind := range ActorKinds {
		m.ActorRestarts.WithLabelValues(kind)
	}
}

// Registry returns the registry that holds nflsync's collectors, for tests
// and for registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry {
	return m.registry
}

// Handler returns the HTTP handler that serves the registry in the
// Prometheus text format (or OpenMetrics, when the scraper requests it). A
// collector that fails is logged and left out of the response, and the
// other metrics are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:          slogErrorLog{},
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}

// slogErrorLog passes promhttp's errors to the default slog logger.
type slogErrorLog struct{}

func (slogErrorLog) Println(v ...any) {
	slog.Error("serve metrics failed", "error", v)
}

// Names returns the sorted name of every metric family that nflsync
// exports: its own nflsync_ families and those of the Go runtime and
// process collectors. A histogram or summary family is listed once, without
// its _bucket, _sum and _count series names.
func Names() []string {
	families, err := New().registry.Gather()
	if err != nil {
		// The collectors are fixed at compile time, so a Gather error is
		// a bug in New.
		panic("metrics: gather from a new registry: " + err.Error())
	}

	names := make([]string, 0, len(families))
	for _, family := range families {
		names = append(names, family.GetName())
	}
	slices.Sort(names)
	return names
}
