package nflverse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// polled is one file's rows as a Load uses them.
type polled[T any] struct {
	value    T
	warnings []string
}

// pollFile returns the parsed content of <tag>/<name>.<format>. It
// downloads the file only when the release's timestamp.json changed since
// the cached copy was downloaded or when there is no cached copy, and then
// with a conditional GET. A file with zero rows after one with rows returns
// the earlier rows and a warning. rows counts the rows of a parsed file.
func pollFile[T any](ctx context.Context, p *poll, tag, name string,
	readCSV func(io.Reader, string) (T, error),
	readParquet func(io.ReaderAt, int64, string) (T, error),
	rows func(T) int) (polled[T], error) {
	s := p.source
	path := tag + "/" + name + "." + string(s.options.Format)

	stamp, err := p.stamp(ctx, tag)
	if err != nil {
		return polled[T]{}, err
	}

	cached := s.files[path]
	if cached == nil || stamp == "" || cached.stamp != stamp {
		parse := func(body []byte, url string) (any, int, error) {
			var value T
			var err error
			if s.options.Format == FormatParquet {
				value, err = readParquet(bytes.NewReader(body), int64(len(body)), url)
			} else {
				value, err = readCSV(bytes.NewReader(body), url)
			}
			if err != nil {
				return nil, 0, err
			}
			return value, rows(value), nil
		}

		updated, err := s.get(ctx, path, cached, parse)
		if err != nil {
			return polled[T]{}, err
		}
		updated.stamp = stamp
		s.files[path] = updated
		cached = updated
	}
	p.used[path] = true

	result := polled[T]{value: cached.value.(T)}
	if cached.rows == 0 && cached.lastRows != nil {
		result.value = cached.lastRows.(T)
		result.warnings = append(result.warnings, fmt.Sprintf(
			"%s has zero rows after having rows; the previous rows are kept", path))
	}
	return result, nil
}

// stamp returns the last_updated value of the release tag's timestamp.json,
// read once per poll with a conditional GET. It returns "" when the file is
// missing or invalid, so that data files are then checked by conditional
// GET alone.
func (p *poll) stamp(ctx context.Context, tag string) (string, error) {
	if stamp, ok := p.stamps[tag]; ok {
		return stamp, nil
	}

	s := p.source
	path := tag + "/timestamp.json"
	cached, err := s.get(ctx, path, s.files[path], parseTimestamp)
	switch {
	case isNotFound(err):
		cached = nil
	case errors.Is(err, errInvalidTimestamp):
		slog.Warn("ignoring invalid nflverse timestamp", "file", path, "error", err)
		cached = nil
	case err != nil:
		return "", fmt.Errorf("load %s: %w", path, err)
	}

	stamp := ""
	if cached != nil {
		s.files[path] = cached
		p.used[path] = true
		stamp = cached.value.(string)
	}
	p.stamps[tag] = stamp
	return stamp, nil
}

var errInvalidTimestamp = errors.New("invalid timestamp.json")

// parseTimestamp returns the last_updated value of a timestamp.json body,
// such as {"last_updated": "2025-12-16 09:12:34 EST"}, as text.
func parseTimestamp(body []byte, url string) (any, int, error) {
	var stamp struct {
		LastUpdated json.RawMessage `json:"last_updated"`
	}
	if err := json.Unmarshal(body, &stamp); err != nil {
		return nil, 0, fmt.Errorf("%w: %s: %w", errInvalidTimestamp, url, err)
	}
	if len(stamp.LastUpdated) == 0 || string(stamp.LastUpdated) == "null" {
		return nil, 0, fmt.Errorf("%w: %s has no last_updated", errInvalidTimestamp, url)
	}
	return string(stamp.LastUpdated), 1, nil
}

// get downloads path with a conditional GET against cached (nil when there
// is none) and parses the body. It retries server errors, network errors,
// truncated bodies and rate limits up to MaxAttempts in all. A 304 returns a
// copy of cached. It never changes cached.
func (s *HTTPSource) get(ctx context.Context, path string, cached *cachedFile,
	parse func(body []byte, url string) (any, int, error)) (*cachedFile, error) {
	url := s.options.BaseURL + "/" + path

	for attempt := 1; ; attempt++ {
		result, retry, err := s.attempt(ctx, path, url, cached, parse)
		if err == nil {
			return result, nil
		}
		if !retry.ok || attempt >= s.options.MaxAttempts || ctx.Err() != nil {
			return nil, err
		}

		wait := retry.after
		if wait <= 0 {
			wait = s.backoff(attempt)
		}
		slog.Warn("retrying nflverse download", "file", path, "attempt", attempt, "wait", wait, "error", err)
		if sleepErr := sleep(ctx, wait); sleepErr != nil {
			return nil, fmt.Errorf("%w; stopped waiting to retry: %w", err, sleepErr)
		}
	}
}

// retry is whether a failed attempt may be retried, and the wait that the
// server requested, if any.
type retry struct {
	ok    bool
	after time.Duration
}

// attempt makes one request. It reports its outcome to the observer.
func (s *HTTPSource) attempt(ctx context.Context, path, url string, cached *cachedFile,
	parse func(body []byte, url string) (any, int, error)) (*cachedFile, retry, error) {
	observe := func(outcome string, bytes int64) {
		if s.options.Observer != nil {
			s.options.Observer.RequestDone(path, outcome, bytes)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, s.options.RequestTimeout)
	defer cancel()

	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, retry{}, err
	}
	request.Header.Set("User-Agent", "nflsync")
	if cached != nil && cached.etag != "" {
		request.Header.Set("If-None-Match", cached.etag)
	}
	if cached != nil && cached.lastModified != "" {
		request.Header.Set("If-Modified-Since", cached.lastModified)
	}

	response, err := s.options.Client.Do(request)
	if err != nil {
		observe(OutcomeNetworkError, 0)
		return nil, retry{ok: true}, err
	}
	defer response.Body.Close()

	switch code := response.StatusCode; {
	case code == http.StatusOK:
		return s.readResponse(response, url, cached, parse, observe)

	case code == http.StatusNotModified && cached != nil:
		observe(OutcomeNotModified, 0)
		revalidated := *cached
		return &revalidated, retry{}, nil

	case code == http.StatusNotFound:
		observe(OutcomeNotFound, 0)
		return nil, retry{}, newStatusError(url, response)

	case code == http.StatusTooManyRequests || code == http.StatusForbidden && isRateLimited(response.Header):
		observe(OutcomeRateLimited, 0)
		err := newStatusError(url, response)
		wait, _ := rateLimitWait(response.Header, time.Now())
		if wait > s.options.MaxRateLimitWait {
			err.detail = fmt.Sprintf("rate limited for %s, longer than the %s limit; try again later",
				wait.Round(time.Second), s.options.MaxRateLimitWait)
			return nil, retry{}, err
		}
		return nil, retry{ok: true, after: wait}, err

	case code >= 500:
		observe(OutcomeServerError, 0)
		return nil, retry{ok: true}, newStatusError(url, response)

	default:
		observe(OutcomeInvalid, 0)
		return nil, retry{}, newStatusError(url, response)
	}
}

// readResponse reads and parses a 200 response body.
func (s *HTTPSource) readResponse(response *http.Response, url string, cached *cachedFile,
	parse func(body []byte, url string) (any, int, error), observe func(string, int64)) (*cachedFile, retry, error) {
	body, err := io.ReadAll(io.LimitReader(response.Body, s.options.MaxBodyBytes+1))
	if err != nil {
		observe(OutcomeNetworkError, int64(len(body)))
		return nil, retry{ok: true}, fmt.Errorf("GET %s: read body after %d bytes: %w", url, len(body), err)
	}
	if int64(len(body)) > s.options.MaxBodyBytes {
		observe(OutcomeInvalid, int64(len(body)))
		return nil, retry{}, fmt.Errorf("GET %s: body is larger than the %d byte limit", url, s.options.MaxBodyBytes)
	}
	if response.ContentLength >= 0 && int64(len(body)) != response.ContentLength {
		observe(OutcomeInvalid, int64(len(body)))
		return nil, retry{ok: true}, fmt.Errorf("GET %s: body has %d bytes, Content-Length is %d (truncated download?)",
			url, len(body), response.ContentLength)
	}

	value, rows, err := parse(body, url)
	if err != nil {
		observe(OutcomeInvalid, int64(len(body)))
		return nil, retry{}, err
	}
	observe(OutcomeOK, int64(len(body)))

	downloaded := &cachedFile{
		etag:         response.Header.Get("ETag"),
		lastModified: response.Header.Get("Last-Modified"),
		value:        value,
		rows:         rows,
	}
	switch {
	case rows > 0:
		downloaded.lastRows = value
	case cached != nil:
		downloaded.lastRows = cached.lastRows
	}
	return downloaded, retry{}, nil
}

// backoff returns the wait before attempt+1: RetryBaseDelay doubled per
// earlier attempt and capped at RetryMaxDelay, of which a random half is
// jitter so that several nodes do not retry in step.
func (s *HTTPSource) backoff(attempt int) time.Duration {
	delay := s.options.RetryMaxDelay
	if shift := attempt - 1; shift < 30 {
		delay = min(s.options.RetryBaseDelay<<shift, s.options.RetryMaxDelay)
	}
	half := delay / 2
	return half + rand.N(half+1)
}

// isRateLimited reports whether a 403 response is GitHub's rate limit
// rather than a refusal: it has Retry-After, or X-RateLimit-Remaining 0.
func isRateLimited(header http.Header) bool {
	return header.Get("Retry-After") != "" || header.Get("X-RateLimit-Remaining") == "0"
}

// rateLimitWait returns how long a rate limited response asks to wait:
// Retry-After in seconds or as an HTTP date, else X-RateLimit-Reset in Unix
// seconds. ok is false when neither header is valid.
func rateLimitWait(header http.Header, now time.Time) (wait time.Duration, ok bool) {
	if value := header.Get("Retry-After"); value != "" {
		if seconds, err := strconv.ParseInt(value, 10, 64); err == nil && seconds >= 0 {
			return time.Duration(min(seconds, 1<<30)) * time.Second, true
		}
		if at, err := http.ParseTime(value); err == nil {
			return max(at.Sub(now), 0), true
		}
	}
	if value := header.Get("X-RateLimit-Reset"); value != "" {
		if unix, err := strconv.ParseInt(value, 10, 64); err == nil {
			return max(time.Unix(unix, 0).Sub(now), 0), true
		}
	}
	return 0, false
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()

	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// statusError is a response with a status code that is not 200 or 304.
type statusError struct {
	url    string
	status string
	code   int
	detail string
}

func newStatusError(url string, response *http.Response) *statusError {
	// Drain a little of the body so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(response.Body, 64<<10))
	return &statusError{url: url, status: response.Status, code: response.StatusCode}
}

func (e *statusError) Error() string {
	message := fmt.Sprintf("GET %s: unexpected status %s", e.url, e.status)
	if e.detail != "" {
		message += ": " + e.detail
	}
	return message
}
