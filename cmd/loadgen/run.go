package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	gorilla "github.com/gorilla/websocket"
)

// server is the nflsync process under test.
type server struct {
	pid int
}

func findServer(opts *options, port int) (*server, error) {
	if opts.serverPID > 0 {
		return &server{pid: opts.serverPID}, nil
	}
	pid, err := findListeningPID(port)
	if err != nil {
		return nil, err
	}
	return &server{pid: pid}, nil
}

func (s *server) sample() (processSample, error) {
	return sampleProcess(s.pid)
}

// connectWorkers is the number of sessions that dial and upgrade at once.
const connectWorkers = 64

// connectAll opens opts.sessions sessions at up to opts.connectRate per
// second, sends their subscribe actions and waits until every action has a
// reply (ACK or ERROR). A session that fails to connect is reported and left out.
func connectAll(ctx context.Context, opts *options, source *playerSource, leagues []loadLeague, report *reporter) ([]*client, error) {
	start := time.Now()
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		pace := time.NewTicker(max(time.Second/time.Duration(opts.connectRate), time.Microsecond))
		defer pace.Stop()
		for i := range opts.sessions {
			select {
			case <-ctx.Done():
				return
			case <-pace.C:
			}
			select {
			case <-ctx.Done():
				return
			case jobs <- i:
			}
		}
	}()

	var (
		mu        sync.Mutex
		clients   = make([]*client, 0, opts.sessions)
		failures  int
		firstFail error
		ready     sync.WaitGroup
		workers   sync.WaitGroup
	)
	for range connectWorkers {
		workers.Go(func() {
			for i := range jobs {
				ws, err := dialClient(ctx, opts.url, sourceAddress(i%opts.sourceAddrs))
				if err == nil {
					c := &client{ws: ws, ready: ready.Done,
						actions: sessionActions(opts, source.ids, leagues, i)}
					ready.Add(1)
					if err = c.start(); err == nil {
						mu.Lock()
						clients = append(clients, c)
						mu.Unlock()
						continue
					}
					ws.Close()
				}

				mu.Lock()
				failures++
				if firstFail == nil {
					firstFail = err
				}
				mu.Unlock()
			}
		})
	}
	workers.Wait()
	connected := time.Since(start)

	answered := make(chan struct{})
	go func() {
		ready.Wait()
		close(answered)
	}()
	select {
	case <-answered:
	case <-ctx.Done():
		closeAll(clients)
		return nil, fmt.Errorf("timed out waiting for the ACKs of %d sessions: raise -duration", len(clients))
	}

	report.setup(len(clients), failures, firstFail, connected, time.Since(start), clients)
	if len(clients) == 0 {
		return nil, fmt.Errorf("no session connected: %w", firstFail)
	}
	return clients, nil
}

// quietCPU is the server CPU time per second below which it counts as
// idle: 2% of one core.
const quietCPU = 20 * time.Millisecond

// waitQuiet waits until the server has used less than quietCPU in one
// second, so that the baseline is taken after its first sync cycle, and
// returns the sample then. It gives up waiting after a minute.
func waitQuiet(ctx context.Context, server *server) (processSample, error) {
	previous, err := server.sample()
	if err != nil {
		return previous, err
	}

	giveUp := time.Now().Add(time.Minute)
	for time.Now().Before(giveUp) {
		select {
		case <-ctx.Done():
			return previous, fmt.Errorf("stopped before the baseline sample: %w", ctx.Err())
		case <-time.After(time.Second):
		}

		sample, err := server.sample()
		if err != nil {
			return sample, err
		}
		if sample.cpu-previous.cpu < quietCPU {
			return sample, nil
		}
		previous = sample
	}
	return previous, nil
}

// waitIdle waits opts.settle, so that the SNAPSHOTs after the subscribes
// are sent and the server is idle, and then samples the server.
func waitIdle(ctx context.Context, opts *options, server *server) (processSample, error) {
	select {
	case <-ctx.Done():
		return processSample{}, fmt.Errorf("stopped before the idle sample: %w", ctx.Err())
	case <-time.After(opts.settle):
	}
	return server.sample()
}

// monitorPeriod is how often the burst monitor samples the server and the
// live message count.
const monitorPeriod = 50 * time.Millisecond

// measureBursts waits for opts.bursts bursts of live messages, each ended
// by opts.quiet without one, or until ctx is done.
func measureBursts(ctx context.Context, opts *options, server *server, report *reporter) []burstWindow {
	ticker := time.NewTicker(monitorPeriod)
	defer ticker.Stop()

	var (
		windows    []burstWindow
		current    burstWindow
		inBurst    bool
		lastCount  = liveMessages.Load()
		lastChange time.Time
		atChange   processSample
		ownChange  time.Duration
		previous   = mustSample(server)
		ownBefore  = ownCPUTime()
		syncBefore = readSync(opts.metricsURL)
	)
	current.after = time.Now()
	report.waiting(opts)

	for len(windows) < opts.bursts {
		select {
		case <-ctx.Done():
			report.stoppedEarly(len(windows), opts.bursts)
			if inBurst {
				current.until = time.Now()
				current.serverAfter = mustSample(server)
				windows = append(windows, current)
			}
			return windows
		case <-ticker.C:
		}

		now := time.Now()
		sample := mustSample(server)
		own := ownCPUTime()
		if count := liveMessages.Load(); count != lastCount {
			lastCount, lastChange, atChange, ownChange = count, now, sample, own
			if !inBurst {
				inBurst = true
				current.serverBefore = previous
				ownBefore = own
			}
		}

		if !inBurst {
			previous = sample
			continue
		}
		current.peakRSS = max(current.peakRSS, sample.rssBytes)
		if now.Sub(lastChange) < opts.quiet {
			continue
		}

		// The burst's CPU ends at its last message; its RSS is sampled
		// after the quiet period.
		current.until = now
		current.serverAfter = sample
		current.serverAfter.cpu = atChange.cpu
		current.serverAfter.at = atChange.at
		current.ownCPU = ownChange - ownBefore
		syncAfter := readSync(opts.metricsURL)
		current.cycleStart, current.cycles = cycleStart(syncBefore, syncAfter)
		syncBefore = syncAfter
		windows = append(windows, current)
		report.burstSeen(len(windows), current)

		current = burstWindow{after: now}
		inBurst = false
		previous = sample
	}
	return windows
}

// readSync returns the server's sync cycle metrics, or nil when they
// cannot be read.
func readSync(metricsURL string) map[string]float64 {
	if metricsURL == "off" {
		return nil
	}
	values, err := readMetrics(metricsURL, metricLastSync, metricSyncSeconds, metricSyncCount)
	if err != nil || len(values) < 3 {
		return nil
	}
	return values
}

// cycleStart returns the wall time at which the last sync cycle between two
// readings began (its end minus its duration) and the number of cycles that
// ended between them. The start is known only when exactly one did.
func cycleStart(before, after map[string]float64) (time.Time, int) {
	if before == nil || after == nil {
		return time.Time{}, 0
	}
	cycles := int(after[metricSyncCount] - before[metricSyncCount])
	if cycles != 1 {
		return time.Time{}, cycles
	}

	duration := after[metricSyncSeconds] - before[metricSyncSeconds]
	end := after[metricLastSync]
	start := end - duration
	seconds := int64(start)
	return time.Unix(seconds, int64((start-float64(seconds))*1e9)), 1
}

func mustSample(server *server) processSample {
	sample, err := server.sample()
	if err != nil {
		// The server exited: the figures after this point are zero,
		// and the delivery check reports the closed sessions.
		return processSample{at: time.Now()}
	}
	return sample
}

// ownCPUTime returns this process's user and system CPU time.
func ownCPUTime() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// verifierStreams is the number of streams one verifier session
// subscribes to. Each subscribe queues an ACK and a SNAPSHOT page, and 60
// of each stay well within the server's default send queue of 256
// messages, which 200 subscribes at once overflow.
const verifierStreams = 60

// readFinalSeqs subscribes fresh sessions to every stream the clients
// follow and returns each stream's seq from the ACKs: the seq of the last
// message published on it.
func readFinalSeqs(opts *options, clients []*client) (map[string]uint64, error) {
	seen := make(map[string]bool)
	var streams []string
	for _, c := range clients {
		c.mu.Lock()
		for stream := range c.streams {
			if !seen[stream] {
				seen[stream] = true
				streams = append(streams, stream)
			}
		}
		c.mu.Unlock()
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	finalSeqs := make(map[string]uint64, len(streams))
	for start := 0; start < len(streams); start += verifierStreams {
		batch := streams[start:min(start+verifierStreams, len(streams))]
		if err := readSeqs(ctx, opts.url, batch, finalSeqs); err != nil {
			return nil, fmt.Errorf("read the final seq of %d streams: %w", len(batch), err)
		}
	}
	return finalSeqs, nil
}

func readSeqs(ctx context.Context, url string, streams []string, finalSeqs map[string]uint64) error {
	ws, err := dialClient(ctx, url, sourceAddress(0))
	if err != nil {
		return err
	}
	defer ws.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = ws.SetReadDeadline(deadline)
	}

	for _, stream := range streams {
		kind, id, found := strings.Cut(stream, ":")
		if !found {
			return fmt.Errorf("invalid stream key %q", stream)
		}
		action := mustMarshal(map[string]string{"action": "subscribe_" + kind, kind + "_id": id})
		if err := ws.WriteMessage(gorilla.TextMessage, action); err != nil {
			return err
		}
	}

	for answered := 0; answered < len(streams); {
		_, message, err := ws.ReadMessage()
		if err != nil {
			return err
		}
		var reply replyMessage
		switch messageType(message) {
		case "ACK":
			if err := json.Unmarshal(message, &reply); err != nil {
				return fmt.Errorf("invalid ACK: %w", err)
			}
			if reply.Seq != nil {
				finalSeqs[reply.Stream] = *reply.Seq
			}
			answered++
		case "ERROR":
			return fmt.Errorf("server rejected a verifier subscribe: %s", truncate(message, 200))
		}
	}
	return nil
}

// closeAll closes every session's TCP connection without a close frame.
func closeAll(clients []*client) {
	for _, c := range clients {
		c.ws.Close()
	}
}

func countOpen(clients []*client) int {
	open := 0
	for _, c := range clients {
		if closed, _ := c.closed(); !closed {
			open++
		}
	}
	return open
}
