package main

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
)

// reporter prints the run's figures as plain text lines.
type reporter struct {
	out io.Writer
}

func (r *reporter) printf(format string, args ...any) {
	fmt.Fprintf(r.out, format+"\n", args...)
}

func (r *reporter) header(opts *options, source *playerSource, server *server, fileLimit uint64) {
	streams := fmt.Sprintf("%d players", opts.players)
	switch {
	case opts.leagues > 0:
		streams = fmt.Sprintf("one league of %d and its team's %d players", opts.leagues, rosterSize)
	case opts.league != "":
		streams += " + league " + opts.league
	}
	r.printf("loadgen: %d sessions × %s, from %d local source address(es) starting at 127.0.0.2, %s",
		opts.sessions, streams, opts.sourceAddrs, opts.url)
	r.printf("players: chosen at random from %d gsis_ids (seed %d)", len(source.ids), opts.seed)
	r.printf("server: pid %d; loadgen: open file limit %d, GOMAXPROCS %d", server.pid, fileLimit, runtime.GOMAXPROCS(0))
}

func (r *reporter) sample(label string, sample processSample) {
	r.printf("%s: server RSS %s, CPU time %s", label, mebibytes(sample.rssBytes), sample.cpu)
}

func (r *reporter) setup(connected, failures int, firstFail error, dialTime, ackTime time.Duration, clients []*client) {
	r.printf("setup: %d sessions connected in %s, every action answered after %s",
		connected, dialTime.Round(time.Millisecond), ackTime.Round(time.Millisecond))
	if failures > 0 {
		r.printf("setup: WARNING %d sessions failed to connect; first error: %v", failures, firstFail)
	}

	errorCounts := make(map[string]int)
	for _, c := range clients {
		c.mu.Lock()
		for _, text := range c.errors {
			errorCounts[text]++
		}
		c.mu.Unlock()
	}
	for _, text := range slices.Sorted(maps.Keys(errorCounts)) {
		r.printf("setup: WARNING %d × ERROR %s", errorCounts[text], text)
	}
}

func (r *reporter) idle(baseline, idle processSample, open int) {
	r.sample("idle (all sessions subscribed)", idle)
	perSession := float64(idle.rssBytes-baseline.rssBytes) / float64(max(open, 1))
	r.printf("idle: RSS per session %.1f KiB = (idle RSS - baseline RSS) / %d open sessions; CPU time for setup %s",
		perSession/1024, open, idle.cpu-baseline.cpu)
	if idle.rssBytes < baseline.rssBytes {
		r.printf("idle: WARNING the idle RSS is below the baseline, because the garbage collector returned memory " +
			"that the baseline held (garbage of creating leagues, for example); the per-session figure is not meaningful, " +
			"so lengthen -settle")
	}
	if early := liveMessages.Load(); early > 0 {
		r.printf("idle: WARNING %d live messages arrived before the idle sample, so a tick ran during setup "+
			"and the idle RSS includes its work; lengthen NFL_SYNC_INTERVAL_SECONDS", early)
	}
}

func (r *reporter) waiting(opts *options) {
	r.printf("waiting for %d burst(s) of live messages (a burst ends after %s without one; time limit -duration %s)",
		opts.bursts, opts.quiet, opts.duration)
}

func (r *reporter) stoppedEarly(seen, wanted int) {
	r.printf("WARNING: -duration ended the run after %d of %d bursts", seen, wanted)
}

func (r *reporter) burstSeen(index int, window burstWindow) {
	r.printf("burst %d ended; server RSS %s after it", index, mebibytes(window.serverAfter.rssBytes))
}

func (r *reporter) bursts(reports []burstReport, source *playerSource, sessions int) {
	for i, report := range reports {
		window := report.window
		r.printf("")
		r.printf("burst %d: %d messages to %d of %d sessions over %s (first to last receipt)",
			i+1, report.messages, report.sessions, sessions, report.last.Sub(report.first).Round(time.Millisecond))
		var kinds []string
		for _, kind := range slices.Sorted(maps.Keys(report.kinds)) {
			kinds = append(kinds, fmt.Sprintf("%d %s (%d bytes each on average)", report.kinds[kind], kind,
				report.kindBytes[kind]/report.kinds[kind]))
		}
		r.printf("burst %d: message types %s", i+1, strings.Join(kinds, ", "))
		if len(report.weeks) > 0 {
			r.printf("burst %d: PLAYER_UPDATE weeks %s", i+1, describeWeeks(report.weeks, source))
		}
		if report.changeLatency.count > 0 {
			r.printf("burst %d: change-to-client latency (detected_at to receipt): %s", i+1, report.changeLatency)
		} else {
			r.printf("burst %d: change-to-client latency: none, because detected_at is not wall time (a replay stamps its own clock)", i+1)
		}
		switch {
		case report.tickLatency.count > 0 && window.cycles == 1:
			r.printf("burst %d: tick-to-client latency (sync cycle start to receipt, an upper bound): %s", i+1, report.tickLatency)
			for _, kind := range slices.Sorted(maps.Keys(report.kindLatency)) {
				r.printf("burst %d:   of %s: %s", i+1, kind, report.kindLatency[kind])
			}
		case window.cycles > 1:
			r.printf("burst %d: tick-to-client latency: none, because %d sync cycles ended in the burst", i+1, window.cycles)
		}

		cpu := window.serverAfter.cpu - window.serverBefore.cpu
		wall := window.serverAfter.at.Sub(window.serverBefore.at)
		if wall > 0 {
			r.printf("burst %d: server CPU %s over %s (%.2f cores); loadgen CPU %s; server RSS %s before, peak %s, %s after",
				i+1, cpu, wall.Round(time.Millisecond), cpu.Seconds()/wall.Seconds(), window.ownCPU,
				mebibytes(window.serverBefore.rssBytes), mebibytes(window.peakRSS), mebibytes(window.serverAfter.rssBytes))
		}
	}
}

// describeWeeks lists the weeks of the PLAYER_UPDATEs received, with the
// number of player rows each has in the stats file.
func describeWeeks(weeks map[int]int, source *playerSource) string {
	var parts []string
	for _, week := range slices.Sorted(maps.Keys(weeks)) {
		part := fmt.Sprintf("%d (%d messages", week, weeks[week])
		if rows, found := source.rowsPerWeek[week]; found {
			part += fmt.Sprintf("; %d player rows in the stats file", rows)
		}
		parts = append(parts, part+")")
	}
	return strings.Join(parts, ", ")
}

func (r *reporter) delivery(result delivery, clients []*client) {
	r.printf("")
	lost := result.gaps + result.tail
	r.printf("delivery: %d of %d expected messages delivered, %d lost (%d in seq gaps, %d after the last received), %d duplicates",
		result.delivered, result.expected, lost, result.gaps, result.tail, result.duplicates)
	r.printf("delivery: expected = per session and stream, the stream's final seq (read by a fresh subscribe) minus the ACK's seq")
	if result.advanced > 0 || result.unverified > 0 {
		r.printf("delivery: WARNING %d session streams left out because a message newer than the final seq arrived, %d without a final seq",
			result.advanced, result.unverified)
	}

	closes := make(map[string]int)
	for _, c := range clients {
		closed, err := c.closed()
		if !closed {
			continue
		}
		closes[fmt.Sprintf("code %d: %v", closeCode(err), err)]++
	}
	for _, text := range slices.Sorted(maps.Keys(closes)) {
		r.printf("delivery: WARNING %d sessions ended by the server or the network, %s", closes[text], text)
	}
	if len(closes) == 0 {
		r.printf("delivery: every session stayed open")
	}
}

// runtime prints the server's Go runtime gauges and, when baseline is set,
// their growth per open session. It returns nil when they cannot be read.
func (r *reporter) runtime(label, metricsURL string, baseline map[string]float64, open int) map[string]float64 {
	if metricsURL == "off" {
		return nil
	}
	current, err := readMetrics(metricsURL, metricGoroutines, metricHeapInuse, metricStackInuse)
	if err != nil {
		r.printf("%s: server runtime metrics unavailable: %v", label, err)
		return nil
	}

	r.printf("%s: server goroutines %.0f, heap in use %s, stacks in use %s", label, current[metricGoroutines],
		mebibytes(int64(current[metricHeapInuse])), mebibytes(int64(current[metricStackInuse])))
	if baseline != nil && open > 0 {
		perSession := func(name string) float64 { return (current[name] - baseline[name]) / float64(open) }
		// Heap in use is left out per session: it depends on when the
		// server last collected garbage, so the difference is noise.
		r.printf("%s: per session %.2f goroutines, stacks %.1f KiB", label,
			perSession(metricGoroutines), perSession(metricStackInuse)/1024)
	}
	return current
}
