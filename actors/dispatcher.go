package actors

import (
	"runtime"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// workerDispatcher runs actor mailboxes on a fixed set of long-lived
// goroutines instead of protoactor's goroutine per scheduling. A new
// goroutine starts with a 2 KB stack, which a player actor's diff and
// scoring outgrow. Each of the thousand player mailboxes of a poll thus
// paid for a goroutine start and a stack copy, about half of the actor work
// of a poll where nothing changed (CPU profile of BenchmarkIdlePoll).
//
// Schedule never blocks: when the queue is full, the mailbox runs on a new
// goroutine as with protoactor's default dispatcher.
type workerDispatcher struct {
	queue      chan func()
	throughput int
}

// The player dispatcher is shared by every pipeline of the process, so
// that tests that start many pipelines do not start many worker pools.
var (
	playerDispatcherOnce sync.Once
	playerDispatcherPool *workerDispatcher
)

// playerDispatcher returns the dispatcher of the player actors. It has 4
// workers per GOMAXPROCS, because a player actor that activates reads its
// state from the mirror, and those reads should overlap.
//
// NOTE: with a remote mirror (Hazelcast), a first poll after a start thus
// runs at most 4×GOMAXPROCS of those reads at once, where protoactor's
// dispatcher ran one per player. That cold start was not measured.
func playerDispatcher() actor.Dispatcher {
	playerDispatcherOnce.Do(func() {
		playerDispatcherPool = newWorkerDispatcher(4*runtime.GOMAXPROCS(0), 4096, 300)
	})
	return playerDispatcherPool
}

// newWorkerDispatcher starts workers goroutines, which run for the life of
// the process. throughput is the number of messages a mailbox handles
// before it yields, as for actor.NewDefaultDispatcher.
func newWorkerDispatcher(workers, queueSize, throughput int) *workerDispatcher {
	d := &workerDispatcher{queue: make(chan func(), queueSize), throughput: throughput}
	for range workers {
		go func() {
			for run := range d.queue {
				run()
			}
		}()
	}
	return d
}

// Schedule queues run for a worker, or runs it on a new goroutine when the
// queue is full.
func (d *workerDispatcher) Schedule(run func()) {
	select {
	case d.queue <- run:
	default:
		go run()
	}
}

// Throughput returns the number of messages a mailbox handles per turn.
func (d *workerDispatcher) Throughput() int {
	return d.throughput
}
