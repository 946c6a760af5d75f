package metrics

import "time"

// SessionRecorder records the WebSocket session counts of actors.SessionMetrics
// into Metrics.
type SessionRecorder struct{ metrics *Metrics }

// Sessions returns the recorder that the WebSocket adapter's session actors
// report to.
func (m *Metrics) Sessions() SessionRecorder { return SessionRecorder{metrics: m} }

// SessionOpened counts a connected session.
func (r SessionRecorder) SessionOpened() { r.metrics.SessionsConnected.Inc() }

// SessionClosed counts a disconnected session.
func (r SessionRecorder) SessionClosed() { r.metrics.SessionsConnected.Dec() }

// SubscriptionAdded counts a subscription of a stream kind.
func (r SessionRecorder) SubscriptionAdded(kind string) {
	r.metrics.Subscriptions.WithLabelValues(kind).Inc()
}

// SubscriptionRemoved counts a removed subscription of a stream kind.
func (r SessionRecorder) SubscriptionRemoved(kind string) {
	r.metrics.Subscriptions.WithLabelValues(kind).Dec()
}

// MessageSent counts a message queued on a connection.
func (r SessionRecorder) MessageSent(messageType string) {
	r.metrics.MessagesSent.WithLabelValues(messageType).Inc()
}

// MessageDropped counts a message that a slow client's queue had no room for.
func (r SessionRecorder) MessageDropped(messageType string) {
	r.metrics.MessagesDropped.WithLabelValues(messageType).Inc()
}

// SlowClientDisconnected counts a client closed for falling behind.
func (r SessionRecorder) SlowClientDisconnected() { r.metrics.SlowClientDisconnects.Inc() }

// DeliveryLatency observes the time from publishing a change to queueing it
// on a connection.
func (r SessionRecorder) DeliveryLatency(latency time.Duration) {
	r.metrics.DeliveryLatency.Observe(latency.Seconds())
}

// Targets of ObserveStateWrite.
const (
	TargetMirror = "mirror"
	TargetStore  = "store"
)

// ObserveStateWrite records one batch write to the mirror or the store:
// its duration and, when err is not nil, an error for the operation.
func (m *Metrics) ObserveStateWrite(target, operation string, duration time.Duration, err error) {
	switch target {
	case TargetMirror:
		m.MirrorWriteDuration.Observe(duration.Seconds())
		if err != nil {
			m.MirrorErrors.WithLabelValues(operation).Inc()
		}
	case TargetStore:
		m.StoreWriteDuration.Observe(duration.Seconds())
		if err != nil {
			m.StoreErrors.WithLabelValues(operation).Inc()
		}
	}
}

// SetMirrorWriteThroughPaused sets MirrorWriteThroughPaused to 1 when
// paused, else to 0. It is the StateKeeper's write-through observer.
func (m *Metrics) SetMirrorWriteThroughPaused(paused bool) {
	value := 0.0
	if paused {
		value = 1
	}
	m.MirrorWriteThroughPaused.Set(value)
}
