package actors

import (
	"sync"
	"testing"
)

// TestWorkerDispatcherRunsAll schedules more work than the queue holds
// while the workers are blocked, so some of it runs on new goroutines, and
// checks that every function ran once.
func TestWorkerDispatcherRunsAll(t *testing.T) {
	dispatcher := newWorkerDispatcher(2, 4, 10)
	release := make(chan struct{})
	var done sync.WaitGroup
	var mu sync.Mutex
	ran := make(map[int]int)

	for i := range 50 {
		done.Add(1)
		dispatcher.Schedule(func() {
			defer done.Done()
			<-release
			mu.Lock()
			ran[i]++
			mu.Unlock()
		})
	}
	close(release)
	done.Wait()

	if len(ran) != 50 {
		t.Errorf("%d distinct functions ran, want 50", len(ran))
	}
	for i, count := range ran {
		if count != 1 {
			t.Errorf("function %d ran %d times, want 1", i, count)
		}
	}
	if got := dispatcher.Throughput(); got != 10 {
		t.Errorf("Throughput = %d, want 10", got)
	}
}
