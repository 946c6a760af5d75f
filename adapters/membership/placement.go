package membership

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
)

// Placement locates nflsync's virtual actors (actors.KindPlayer, KindGame,
// KindLeague) through the cluster's identity lookup. The lookup is
// protoactor's disthash: rendezvous hashing of the identity over the
// current members picks the owner, whose placement actor activates the
// actor on first use. Each Locate that misses the cache is one request to
// the owner, so the PIDs are cached until the topology changes, when owners
// move.
//
// Create it with NewPlacement before the pipeline, and hand it to Start,
// which binds it to the cluster. Until then Locate returns nil.
type Placement struct {
	mu      sync.Mutex
	cluster *cluster.Cluster
	cache   map[placementKey]*actor.PID

	// generation counts the cache resets, so that a Locate that started
	// before a topology change does not store an owner that is no longer
	// one.
	generation uint64
}

type placementKey struct{ identity, kind string }

// NewPlacement returns a Placement that is not bound to a cluster yet.
func NewPlacement() *Placement {
	return &Placement{cache: make(map[placementKey]*actor.PID)}
}

// Locate returns the PID of the identity's actor of kind, activating it on
// its owner, or nil when the placement is not bound, the kind is not
// registered or the owner did not reply within protoactor's activation
// timeout (5 s).
func (p *Placement) Locate(identity, kind string) *actor.PID {
	key := placementKey{identity: identity, kind: kind}
	p.mu.Lock()
	member, pid, generation := p.cluster, p.cache[key], p.generation
	p.mu.Unlock()
	if pid != nil || member == nil {
		return pid
	}

	pid = member.Get(identity, kind)
	if pid == nil {
		return nil
	}

	p.mu.Lock()
	if p.generation == generation {
		p.cache[key] = pid
	}
	p.mu.Unlock()
	return pid
}

// Forget drops every cache entry for pid.
func (p *Placement) Forget(pid *actor.PID) {
	p.mu.Lock()
	defer p.mu.Unlock()

	for key, cached := range p.cache {
		if cached.Equal(pid) {
			delete(p.cache, key)
		}
	}
}

func (p *Placement) bind(member *cluster.Cluster) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cluster = member
}

// reset empties the cache after a topology change.
func (p *Placement) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.cache)
	p.generation++
}
