package main

import (
	"fmt"
	"slices"
	"time"
)

// latencySummary is a latency distribution.
type latencySummary struct {
	count                int
	p50, p90, p99, worst time.Duration
}

// summarize returns the percentiles of latencies by the nearest-rank method.
// It sorts latencies in place.
func summarize(latencies []time.Duration) latencySummary {
	if len(latencies) == 0 {
		return latencySummary{}
	}
	slices.Sort(latencies)
	return latencySummary{
		count: len(latencies),
		p50:   percentile(latencies, 50),
		p90:   percentile(latencies, 90),
		p99:   percentile(latencies, 99),
		worst: latencies[len(latencies)-1],
	}
}

// percentile returns the nearest-rank p-th percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func (s latencySummary) String() string {
	if s.count == 0 {
		return "no timed messages"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (%d messages)",
		milliseconds(s.p50), milliseconds(s.p90), milliseconds(s.p99), milliseconds(s.worst), s.count)
}

func milliseconds(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func mebibytes(bytes int64) string {
	return fmt.Sprintf("%.1f MiB", float64(bytes)/(1<<20))
}

// burstWindow is one burst of live messages as the monitor saw it: from the
// end of the previous quiet period to the start of the next one.
type burstWindow struct {
	after, until time.Time

	// serverBefore and serverAfter are the server's samples around the
	// burst, and peakRSS the largest RSS sampled during it.
	serverBefore, serverAfter processSample
	peakRSS                   int64

	// ownCPU is the load generator's own CPU time during the burst.
	ownCPU time.Duration

	// cycleStart is the wall time at which the server's sync cycle of
	// this burst began, from its /metrics; zero when unknown. cycles is
	// the number of cycles that ended during the window.
	cycleStart time.Time
	cycles     int
}

// burstReport is the count, spread and latency of one burst's messages.
type burstReport struct {
	window   burstWindow
	messages int
	sessions int
	weeks    map[int]int
	kinds    map[string]int
	// kindBytes is the total size of each message type's messages.
	kindBytes map[string]int
	first     time.Time
	last      time.Time

	// changeLatency is measured from each message's detected_at, and
	// tickLatency from the start of the sync cycle that found the change.
	changeLatency latencySummary
	tickLatency   latencySummary

	// kindLatency is the tick-to-client latency of each message type, which
	// shows the stage of the server that delivers late.
	kindLatency map[string]latencySummary
}

// wallClockSkew is how far detected_at may be from the receipt time and
// still count as wall time. A replay stamps detected_at with its own clock,
// months or years in the past.
const wallClockSkew = time.Hour

// splitBursts assigns every receipt to the burst whose window contains it.
// Receipts outside every window, such as those of a tick during setup, are
// left out.
func splitBursts(clients []*client, windows []burstWindow) []burstReport {
	reports := make([]burstReport, len(windows))
	changeLatencies := make([][]time.Duration, len(windows))
	tickLatencies := make([][]time.Duration, len(windows))
	kindLatencies := make([]map[string][]time.Duration, len(windows))
	for i := range reports {
		kindLatencies[i] = make(map[string][]time.Duration)
		reports[i] = burstReport{window: windows[i], weeks: make(map[int]int), kinds: make(map[string]int),
			kindBytes: make(map[string]int)}
	}

	for _, c := range clients {
		c.mu.Lock()
		receipts := c.receipts
		c.mu.Unlock()

		counted := make([]bool, len(windows))
		for _, r := range receipts {
			index := slices.IndexFunc(windows, func(w burstWindow) bool { return r.at.After(w.after) && !r.at.After(w.until) })
			if index < 0 {
				continue
			}

			report := &reports[index]
			report.messages++
			report.kinds[r.kind]++
			report.kindBytes[r.kind] += r.size
			if !counted[index] {
				counted[index] = true
				report.sessions++
			}
			if r.week > 0 && r.kind == "PLAYER_UPDATE" {
				report.weeks[r.week]++
			}
			if report.first.IsZero() || r.at.Before(report.first) {
				report.first = r.at
			}
			if r.at.After(report.last) {
				report.last = r.at
			}
			if change := r.at.Sub(r.detectedAt); !r.detectedAt.IsZero() && change.Abs() < wallClockSkew {
				changeLatencies[index] = append(changeLatencies[index], change)
			}
			if start := windows[index].cycleStart; !start.IsZero() {
				tickLatencies[index] = append(tickLatencies[index], r.at.Sub(start))
				kindLatencies[index][r.kind] = append(kindLatencies[index][r.kind], r.at.Sub(start))
			}
		}
	}

	for i := range reports {
		reports[i].changeLatency = summarize(changeLatencies[i])
		reports[i].tickLatency = summarize(tickLatencies[i])
		reports[i].kindLatency = make(map[string]latencySummary)
		for kind, latencies := range kindLatencies[i] {
			reports[i].kindLatency[kind] = summarize(latencies)
		}
	}
	return reports
}

// delivery compares what the sessions received with the streams' seqs at
// the end. expected is, per session and stream, the final seq minus the
// ACK's seq.
type delivery struct {
	expected   uint64
	delivered  uint64
	gaps       uint64 // messages missing between two received ones
	tail       uint64 // messages after the last received one
	duplicates int

	// advanced counts session streams that received a message newer than
	// the final seq read, so a tick raced the check; they are left out.
	advanced int

	// unverified counts session streams whose final seq is unknown.
	unverified int
}

func compareDelivery(clients []*client, finalSeqs map[string]uint64) delivery {
	var result delivery
	for _, c := range clients {
		c.mu.Lock()
		for stream, state := range c.streams {
			final, known := finalSeqs[stream]
			switch {
			case !known:
				result.unverified++
				continue
			case state.lastSeq > final:
				result.advanced++
				continue
			}

			result.expected += final - state.ackSeq
			result.delivered += uint64(state.received)
			result.gaps += state.missing
			result.tail += final - state.lastSeq
			result.duplicates += state.duplicates
		}
		c.mu.Unlock()
	}
	return result
}
