package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// pollingMetric is the gauge that is 1 on the node that polls the source.
const pollingMetric = "nflsync_polling"

// watchPolling logs which node polls each time that changes, until ctx
// ends: the node whose nflsync_polling is 1, when exactly one has it.
func watchPolling(ctx context.Context, nodes []*node, every time.Duration) {
	client := &http.Client{Timeout: 2 * time.Second}
	failing := make(map[*node]bool)
	var polling *node

	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}

		var pollers []*node
		for _, n := range nodes {
			if n.hasExited() {
				continue
			}

			value, err := scrapeMetric(ctx, client, n.listenAddr, pollingMetric)
			if err != nil {
				// Logged once per failing spell, not once per second.
				if !failing[n] && ctx.Err() == nil {
					slog.Warn("scrape of node metrics failed", "node", n.name, "error", err)
				}
				failing[n] = true
				continue
			}
			failing[n] = false
			if value == 1 {
				pollers = append(pollers, n)
			}
		}

		if len(pollers) == 1 && pollers[0] != polling {
			polling = pollers[0]
			slog.Info("polling node found", "node", polling.name, "pid", polling.pid(),
				"kill_to_watch_failover", fmt.Sprintf("kill -9 %d", polling.pid()))
		}
	}
}

// scrapeMetric returns the sum of every series of the metric name from the
// node's /metrics.
func scrapeMetric(ctx context.Context, client *http.Client, listenAddr, name string) (float64, error) {
	url := "http://" + listenAddr + "/metrics"
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", url, err)
	}

	response, err := client.Do(request)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer response.Body.Close()

	if response.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("scrape %s: HTTP status %d", url, response.StatusCode)
	}
	value, err := sumMetric(response.Body, name)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", url, err)
	}
	return value, nil
}

// sumMetric adds up the values of every series of the metric name in a
// Prometheus text exposition.
func sumMetric(exposition io.Reader, name string) (float64, error) {
	var sum float64
	scanner := bufio.NewScanner(exposition)
	scanner.Buffer(make([]byte, 64<<10), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}

		fields := strings.Fields(line)
		value, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("invalid value in %q: %w", line, err)
		}
		sum += value
	}
	return sum, scanner.Err()
}
