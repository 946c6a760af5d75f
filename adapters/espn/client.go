// Package espn reads live NFL scores and boxscores from ESPN's public JSON
// API (site.api.espn.com, undocumented), so that nflsync can show games
// moving between nflverse's releases.
//
// Everything read here is provisional: nflverse's files stay the record.
// ESPN ids become nflverse ids only through an IDMap built from nflverse's
// schedule (espn column) and roster (espn_id column), never by name.
//
// Data: ESPN. The saved responses under testdata/espn are test fixtures.
package espn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is ESPN's site API host. cmd/nflsync reads a replacement
// from NFL_SYNC_ESPN_BASE_URL.
const DefaultBaseURL = "https://site.api.espn.com"

const (
	scoreboardPath = "/apis/site/v2/sports/football/nfl/scoreboard"
	summaryPath    = "/apis/site/v2/sports/football/nfl/summary"
)

// maxCachedURLs bounds the bodies kept for conditional requests: a week's
// scoreboard and the summaries of its live games fit well within it.
const maxCachedURLs = 64

// maxBodyBytes bounds one response body. A full week's scoreboard is about
// 300 kB and a summary about 350 kB in the saved responses.
const maxBodyBytes = 16 << 20

// UserAgent returns the User-Agent header that names nflsync and its
// version, so that ESPN can tell who sends the requests.
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "nflsync/" + version + " (+https://github.com/nflsync/nflsync)"
}

// Retry sets how a Client retries a failed request: network errors, 429 Too
// Many Requests and 5xx responses. Other responses are not retried.
type Retry struct {
	// Attempts is the number of tries in total, at least 1.
	Attempts int

	// BaseDelay is the wait before the second try. Each later wait doubles,
	// up to MaxDelay. Every wait is a random duration from half to all of
	// its bound (jitter), so that clients do not retry in step.
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// DefaultRetry makes 4 tries with waits of at most 0.5, 1 and 2 seconds.
var DefaultRetry = Retry{Attempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 4 * time.Second}

// Config configures a Client. Zero values take the defaults.
type Config struct {
	BaseURL    string       // DefaultBaseURL when empty
	Version    string       // nflsync's version for the User-Agent, "dev" when empty
	HTTPClient *http.Client // an http.Client with a 30-second timeout when nil
	Retry      Retry        // DefaultRetry when Attempts is 0
}

// Client fetches ESPN's scoreboard and summaries. It sends conditional
// requests: it keeps the last body of each URL with its ETag and
// Last-Modified and reuses the body on 304 Not Modified. A Client is safe for
// concurrent use.
type Client struct {
	baseURL   string
	userAgent string
	http      *http.Client
	retry     Retry

	mu    sync.Mutex
	cache map[string]cachedResponse // by request URL
}

type cachedResponse struct {
	etag         string
	lastModified string
	body         []byte
}

// NewClient returns a Client. A base URL that is not an absolute http or
// https URL is an error.
func NewClient(config Config) (*Client, error) {
	baseURL := config.BaseURL
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	parsed, err := url.Parse(baseURL)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return nil, fmt.Errorf("espn base URL %q is invalid: expected an absolute http or https URL such as %s", baseURL, DefaultBaseURL)
	}

	client := config.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	retry := config.Retry
	if retry.Attempts == 0 {
		retry = DefaultRetry
	}
	if retry.Attempts < 1 || retry.BaseDelay < 0 || retry.MaxDelay < retry.BaseDelay {
		return nil, fmt.Errorf("espn retry %+v is invalid: expected Attempts >= 1 and 0 <= BaseDelay <= MaxDelay", retry)
	}

	return &Client{
		baseURL:   strings.TrimSuffix(baseURL, "/"),
		userAgent: UserAgent(config.Version),
		http:      client,
		retry:     retry,
		cache:     make(map[string]cachedResponse),
	}, nil
}

// ScoreboardQuery selects a scoreboard. Zero fields are left out of the
// request, and ESPN then returns the current week.
type ScoreboardQuery struct {
	Dates      string // YYYYMMDD, or a range YYYYMMDD-YYYYMMDD
	Week       int    // 1-18 in the regular season
	SeasonType int    // 1 preseason, 2 regular season, 3 postseason
}

func (q ScoreboardQuery) values() url.Values {
	values := url.Values{}
	if q.Dates != "" {
		values.Set("dates", q.Dates)
	}
	if q.Week != 0 {
		values.Set("week", strconv.Itoa(q.Week))
	}
	if q.SeasonType != 0 {
		values.Set("seasontype", strconv.Itoa(q.SeasonType))
	}
	return values
}

// Scoreboard fetches and parses a scoreboard.
func (c *Client) Scoreboard(ctx context.Context, query ScoreboardQuery) (*Scoreboard, error) {
	body, notModified, err := c.get(ctx, scoreboardPath, query.values())
	if err != nil {
		return nil, fmt.Errorf("fetch espn scoreboard: %w", err)
	}

	board, err := ParseScoreboard(body)
	if err != nil {
		return nil, err
	}
	board.NotModified = notModified
	return board, nil
}

// Summary fetches and parses the summary of one event.
func (c *Client) Summary(ctx context.Context, espnEventID string) (*Summary, error) {
	if !isESPNID(espnEventID) {
		return nil, fmt.Errorf("fetch espn summary: invalid event id %q, expected digits", espnEventID)
	}

	body, _, err := c.get(ctx, summaryPath, url.Values{"event": {espnEventID}})
	if err != nil {
		return nil, fmt.Errorf("fetch espn summary %s: %w", espnEventID, err)
	}
	return ParseSummary(body)
}

// StatusError is a response with a status code other than 200 and 304.
type StatusError struct {
	URL        string
	StatusCode int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: unexpected status %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// retryable reports whether a try that failed with err is worth repeating.
func retryable(err error) bool {
	var status *StatusError
	if errors.As(err, &status) {
		return status.StatusCode == http.StatusTooManyRequests || status.StatusCode >= 500
	}
	return true
}

// get fetches path with query, retrying under c.retry. It returns the
// body and whether it came from the cache after a 304.
func (c *Client) get(ctx context.Context, path string, query url.Values) ([]byte, bool, error) {
	address := c.baseURL + path
	if len(query) > 0 {
		address += "?" + query.Encode()
	}

	var lastErr error
	for attempt := 1; ; attempt++ {
		body, notModified, retryAfter, err := c.try(ctx, address)
		if err == nil {
			return body, notModified, nil
		}
		lastErr = err
		if ctx.Err() != nil || !retryable(err) || attempt == c.retry.Attempts {
			break
		}

		delay := c.delay(attempt)
		if retryAfter > delay && retryAfter <= c.retry.MaxDelay {
			delay = retryAfter
		}
		slog.Warn("espn request failed, retrying", "url", address, "attempt", attempt, "delay", delay, "error", err)

		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, false, fmt.Errorf("%w (gave up after %d tries: %w)", lastErr, attempt, ctx.Err())
		case <-timer.C:
		}
	}
	return nil, false, lastErr
}

// delay returns the jittered wait after the given failed try.
func (c *Client) delay(attempt int) time.Duration {
	bound := c.retry.BaseDelay
	for i := 1; i < attempt && bound < c.retry.MaxDelay; i++ {
		bound *= 2
	}
	bound = min(bound, c.retry.MaxDelay)
	if bound <= 0 {
		return 0
	}
	return bound/2 + rand.N(bound/2+1)
}

// try makes one request. retryAfter is the server's Retry-After in seconds,
// 0 when absent.
func (c *Client) try(ctx context.Context, address string) (body []byte, notModified bool, retryAfter time.Duration, err error) {
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, address, nil)
	if err != nil {
		return nil, false, 0, err
	}
	request.Header.Set("User-Agent", c.userAgent)
	request.Header.Set("Accept", "application/json")

	c.mu.Lock()
	cached, haveCached := c.cache[address]
	c.mu.Unlock()
	if haveCached {
		if cached.etag != "" {
			request.Header.Set("If-None-Match", cached.etag)
		}
		if cached.lastModified != "" {
			request.Header.Set("If-Modified-Since", cached.lastModified)
		}
	}

	response, err := c.http.Do(request)
	if err != nil {
		return nil, false, 0, err
	}
	defer response.Body.Close()

	switch {
	case response.StatusCode == http.StatusNotModified && haveCached:
		return cached.body, true, 0, nil
	case response.StatusCode != http.StatusOK:
		_, _ = io.Copy(io.Discard, io.LimitReader(response.Body, 64<<10))
		seconds, _ := strconv.Atoi(response.Header.Get("Retry-After"))
		return nil, false, time.Duration(max(seconds, 0)) * time.Second, &StatusError{URL: address, StatusCode: response.StatusCode}
	}

	body, err = io.ReadAll(io.LimitReader(response.Body, maxBodyBytes+1))
	if err != nil {
		return nil, false, 0, fmt.Errorf("GET %s: read body: %w", address, err)
	}
	if len(body) > maxBodyBytes {
		return nil, false, 0, fmt.Errorf("GET %s: body larger than %d bytes", address, maxBodyBytes)
	}

	etag, lastModified := response.Header.Get("ETag"), response.Header.Get("Last-Modified")
	if etag != "" || lastModified != "" {
		c.mu.Lock()
		if _, replacing := c.cache[address]; !replacing && len(c.cache) >= maxCachedURLs {
			// Evict one entry, whichever map iteration gives first. Its
			// next request is then a plain GET.
			for evicted := range c.cache {
				delete(c.cache, evicted)
				break
			}
		}
		c.cache[address] = cachedResponse{etag: etag, lastModified: lastModified, body: body}
		c.mu.Unlock()
	}
	return body, false, 0, nil
}
