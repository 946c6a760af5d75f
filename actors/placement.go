package actors

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nflsync/nflsync/messages"
)

// Kinds of the virtual actors that a cluster places by identity: the
// identity of a player actor is its gsis_id, of a game actor its game_id and
// of a league actor its league id.
const (
	KindPlayer = "player"
	KindGame   = "game"
	KindLeague = "league"
)

// Placement finds the actor of an identity of a kind on the cluster member
// that owns it, and activates the actor there when it is not running. The
// fetcher and the leagues directory call it from their Receive. Locate
// returns nil when the identity cannot be placed now: no member owns it yet,
// or the owner did not reply. The caller then skips the identity for this
// round and logs it.
type Placement interface {
	Locate(identity, kind string) *actor.PID

	// Forget drops a PID that Locate returned and that turned out to be
	// dead, so that the next Locate requests it from the owner again.
	Forget(pid *actor.PID)
}

// locateConcurrency bounds the Placement.Locate calls in flight. A call
// that finds no cached PID is a request to the owning member, so a cycle
// after a failover makes one per player. Running them in parallel hides the
// round trips, and the bound keeps the owners' placement actors from being
// flooded.
const locateConcurrency = 16

// locateAll returns placement's PID of each item's actor of kind, in the
// order of items, with at most locateConcurrency lookups in flight. An item
// that cannot be placed now has a nil PID.
func locateAll[T any](placement Placement, items []T, kind string, identityOf func(T) string) []*actor.PID {
	pids := make([]*actor.PID, len(items))
	slots := make(chan struct{}, locateConcurrency)
	var wait sync.WaitGroup
	for i, item := range items {
		slots <- struct{}{}
		wait.Add(1)
		go func() {
			defer wait.Done()
			pids[i] = placement.Locate(identityOf(item), kind)
			<-slots
		}()
	}
	wait.Wait()
	return pids
}

// Activations counts and lists the virtual actors active on this node, by
// kind. The actors register themselves when they start and leave when they
// stop, so it is the node's own view: after a member dies, the survivors'
// counts grow by the actors that moved to them.
type Activations struct {
	gauge *prometheus.GaugeVec // nil counts nothing

	mu     sync.Mutex
	active map[string]map[*actor.PID]bool
}

// NewActivations returns an empty registry that keeps gauge, labelled by
// kind, equal to the number of active actors; gauge may be nil.
func NewActivations(gauge *prometheus.GaugeVec) *Activations {
	return &Activations{gauge: gauge, active: make(map[string]map[*actor.PID]bool)}
}

func (a *Activations) add(kind string, pid *actor.PID) {
	a.mu.Lock()
	defer a.mu.Unlock()

	if a.active[kind] == nil {
		a.active[kind] = make(map[*actor.PID]bool)
	}
	a.active[kind][pid] = true
	a.setGauge(kind)
}

func (a *Activations) remove(kind string, pid *actor.PID) {
	a.mu.Lock()
	defer a.mu.Unlock()

	delete(a.active[kind], pid)
	a.setGauge(kind)
}

func (a *Activations) setGauge(kind string) {
	if a.gauge != nil {
		a.gauge.WithLabelValues(kind).Set(float64(len(a.active[kind])))
	}
}

// Count returns the number of active actors of kind.
func (a *Activations) Count(kind string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.active[kind])
}

// PIDs returns the active actors of kind.
func (a *Activations) PIDs(kind string) []*actor.PID {
	a.mu.Lock()
	defer a.mu.Unlock()

	pids := make([]*actor.PID, 0, len(a.active[kind]))
	for pid := range a.active[kind] {
		pids = append(pids, pid)
	}
	return pids
}

// clusterIdentity returns the identity the cluster activated the actor of
// ctx for, or "" for an actor spawned outside the cluster.
func clusterIdentity(ctx actor.Context) string {
	if identity := cluster.GetClusterIdentity(ctx); identity != nil {
		return identity.GetIdentity()
	}
	return ""
}

// withActivation wraps a kind's props so that every actor registers in
// activations while it runs.
func withActivation(props *actor.Props, kind string, activations *Activations) *actor.Props {
	return props.Configure(actor.WithReceiverMiddleware(func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(ctx actor.ReceiverContext, envelope *actor.MessageEnvelope) {
			switch envelope.Message.(type) {
			case *actor.Started:
				activations.add(kind, ctx.Self())
			case *actor.Stopped:
				activations.remove(kind, ctx.Self())
			}
			next(ctx, envelope)
		}
	}))
}

// scorerOf returns the scorer named in an ObservePlayer, or fallback when
// the message names none.
func scorerOf(message *messages.ObservePlayer, fallback *actor.PID) *actor.PID {
	if message.GetScorerId() == "" {
		return fallback
	}
	return actor.NewPID(message.GetScorerAddress(), message.GetScorerId())
}

// addressable returns pid with this node's current address. A PID made
// before protoactor remote started carries the placeholder address
// "nonhost", which another member cannot send to, so a reply address or a
// scorer named in a message to a virtual actor is rebuilt with it.
func addressable(ctx actor.Context, pid *actor.PID) *actor.PID {
	return actor.NewPID(ctx.ActorSystem().Address(), pid.GetId())
}
