package metrics

import (
	"net/http"
	"strings"
	"sync"
)

// Dependency is something a node needs before it is ready to serve.
type Dependency string

// The dependencies that Readiness tracks.
const (
	// DependencySource is ready once a sync cycle has reached the data
	// source (any outcome but a network error), so the node has or will
	// soon have data to send.
	DependencySource Dependency = "source"

	// DependencyStore is ready while the MongoDB store is connected.
	DependencyStore Dependency = "store"

	// DependencyMirror is ready while the Hazelcast mirror is connected.
	DependencyMirror Dependency = "mirror"
)

// Readiness tracks the dependencies a node requires and serves /readyz. It
// is safe for concurrent use.
type Readiness struct {
	mu       sync.Mutex
	required []Dependency
	ready    map[Dependency]bool
}

// NewReadiness returns a Readiness that requires the given dependencies,
// none of them ready yet. A node without MongoDB or Hazelcast leaves those
// out, so that /readyz does not wait for them forever.
func NewReadiness(required ...Dependency) *Readiness {
	return &Readiness{required: required, ready: make(map[Dependency]bool)}
}

// SetSourceReached records whether a sync cycle has reached the source.
// The fetcher sets it once after its first cycle that got a response.
func (r *Readiness) SetSourceReached(reached bool) {
	r.Set(DependencySource, reached)
}

// SetStoreConnected records whether the MongoDB store is connected.
func (r *Readiness) SetStoreConnected(connected bool) {
	r.Set(DependencyStore, connected)
}

// SetMirrorConnected records whether the Hazelcast mirror is connected.
func (r *Readiness) SetMirrorConnected(connected bool) {
	r.Set(DependencyMirror, connected)
}

// Set records whether one dependency is ready. Setting a dependency that is
// not required has no effect on Ready.
func (r *Readiness) Set(dependency Dependency, ready bool) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.ready[dependency] = ready
}

// Ready reports whether every required dependency is ready, and returns
// the ones that are not, in the order they were passed to NewReadiness.
func (r *Readiness) Ready() (ready bool, missing []Dependency) {
	r.mu.Lock()
	defer r.mu.Unlock()

	for _, dependency := range r.required {
		if !r.ready[dependency] {
			missing = append(missing, dependency)
		}
	}
	return len(missing) == 0, missing
}

// ServeHTTP serves /readyz: 200 with "ready" when every required
// dependency is ready, else 503 with one line per dependency that is not.
func (r *Readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	ready, missing := r.Ready()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")

	if ready {
		_, _ = w.Write([]byte("ready\n"))
		return
	}

	var body strings.Builder
	for _, dependency := range missing {
		body.WriteString("not ready: " + describeNotReady(dependency) + "\n")
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(body.String()))
}

func describeNotReady(dependency Dependency) string {
	switch dependency {
	case DependencySource:
		return "source not reached yet"
	case DependencyStore:
		return "MongoDB store not connected"
	case DependencyMirror:
		return "Hazelcast mirror not connected"
	default:
		return string(dependency) + " not ready"
	}
}
