package espn

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
)

// ScoreboardSource returns the current scoreboard. Client fetches it from
// ESPN, and LiveReplay plays saved snapshots.
type ScoreboardSource interface {
	Scoreboard(ctx context.Context, query ScoreboardQuery) (*Scoreboard, error)
}

var (
	_ ScoreboardSource = (*Client)(nil)
	_ ScoreboardSource = (*LiveReplay)(nil)
)

// LiveReplay is a ScoreboardSource that plays saved scoreboard snapshots in
// order of capture time, one per call, so that a demo or a test can show
// games moving without ESPN. After the last snapshot it keeps returning the
// last one, marked NotModified. It is safe for concurrent use.
type LiveReplay struct {
	mu        sync.Mutex
	snapshots []*Scoreboard
	next      int
}

// NewLiveReplay returns a replay of the snapshots, sorted by CapturedAt.
// Snapshots with equal times keep their order. A snapshot without a capture
// time is an error, because its place in the replay is unknown.
func NewLiveReplay(snapshots []*Scoreboard) (*LiveReplay, error) {
	if len(snapshots) == 0 {
		return nil, fmt.Errorf("live replay: no snapshots")
	}
	sorted := make([]*Scoreboard, len(snapshots))
	for i, snapshot := range snapshots {
		if snapshot == nil || snapshot.CapturedAt.IsZero() {
			return nil, fmt.Errorf("live replay: snapshot %d has no capture time", i)
		}
		sorted[i] = snapshot
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CapturedAt.Before(sorted[j].CapturedAt) })
	return &LiveReplay{snapshots: sorted}, nil
}

// ReadLiveReplay reads saved scoreboard responses that carry a top-level
// capturedAt time and returns their replay.
func ReadLiveReplay(paths ...string) (*LiveReplay, error) {
	snapshots := make([]*Scoreboard, 0, len(paths))
	for _, path := range paths {
		body, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("live replay: %w", err)
		}
		board, err := ParseScoreboard(body)
		if err != nil {
			return nil, fmt.Errorf("live replay %s: %w", path, err)
		}
		if board.CapturedAt.IsZero() {
			return nil, fmt.Errorf("live replay %s: missing capturedAt", path)
		}
		snapshots = append(snapshots, board)
	}
	return NewLiveReplay(snapshots)
}

// Scoreboard returns the next snapshot and ignores query. The context is
// checked so that a cancelled poll fails as a real one would.
func (r *LiveReplay) Scoreboard(ctx context.Context, _ ScoreboardQuery) (*Scoreboard, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	r.mu.Lock()
	defer r.mu.Unlock()

	if r.next < len(r.snapshots) {
		snapshot := r.snapshots[r.next]
		r.next++
		return snapshot, nil
	}
	repeat := *r.snapshots[len(r.snapshots)-1]
	repeat.NotModified = true
	return &repeat, nil
}

// Remaining returns the number of snapshots not yet played.
func (r *LiveReplay) Remaining() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.snapshots) - r.next
}
