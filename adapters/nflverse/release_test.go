package nflverse

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRelease is an httptest server that serves the real test files under
// nflverse's release paths, with a timestamp.json per release tag, ETag and
// Last-Modified validators and conditional GETs (http.ServeContent). Tests
// change files and timestamps, and make a path misbehave with override.
type fakeRelease struct {
	t      *testing.T
	server *httptest.Server

	mu       sync.Mutex
	stamps   map[string]string // last_updated by release tag
	files    map[string][]byte // content by path under the base URL
	override map[string]http.HandlerFunc
	requests []fakeRequest
}

// fakeRequest is one request the server answered.
type fakeRequest struct {
	path   string
	status int
	bytes  int
	at     time.Time
	header http.Header
}

// releaseLastModified is the Last-Modified time of every served file.
var releaseLastModified = time.Date(2025, 1, 20, 9, 0, 0, 0, time.UTC)

// newFakeRelease serves the 2024 season in every format: the stats, roster
// and injuries files, and a schedule of seasons 2023-2025 (CSV) or 2024
// (parquet).
func newFakeRelease(t *testing.T) *fakeRelease {
	t.Helper()
	release := &fakeRelease{
		t:        t,
		stamps:   map[string]string{},
		files:    map[string][]byte{},
		override: map[string]http.HandlerFunc{},
	}
	for _, tag := range []string{"schedules", "stats_player", "rosters", "injuries"} {
		release.stamps[tag] = "2025-01-20 04:00:00 EST"
	}

	for path, content := range releaseFiles(t) {
		release.files[path] = content
	}

	release.server = httptest.NewServer(http.HandlerFunc(release.serve))
	t.Cleanup(release.server.Close)
	return release
}

var (
	releaseFilesOnce   sync.Once
	releaseFilesByPath map[string][]byte
)

// releaseFiles returns the served files by path, read and compressed once
// per test binary because gzip is slow under the race detector. The
// contents are shared and must not be changed.
func releaseFiles(t *testing.T) map[string][]byte {
	releaseFilesOnce.Do(func() {
		files := map[string][]byte{}
		stats := readTestdataBytes(t, "stats_player/stats_player_week_2024.csv.gz")
		files["stats_player/stats_player_week_2024.csv.gz"] = stats
		files["stats_player/stats_player_week_2024.csv"] = gunzip(t, stats)
		for name, source := range map[string]string{
			"schedules/games":        "schedules/games.csv",
			"rosters/roster_2024":    "rosters/roster_2024.csv",
			"injuries/injuries_2024": "injuries/injuries_2024.csv",
		} {
			content := readTestdataBytes(t, source)
			files[name+".csv"] = content
			files[name+".csv.gz"] = gzipBytes(t, content)
		}
		for _, name := range []string{
			"schedules/games", "stats_player/stats_player_week_2024", "rosters/roster_2024", "injuries/injuries_2024",
		} {
			files[name+".parquet"] = readFileBytes(t, filepath.Join(parquetDir, name+".parquet"))
		}
		releaseFilesByPath = files
	})
	if releaseFilesByPath == nil {
		t.Fatal("reading the release files failed in an earlier test")
	}
	return releaseFilesByPath
}

// setCSV serves content as <name>.csv and <name>.csv.gz.
func (f *fakeRelease) setCSV(name string, content []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()

	f.files[name+".csv"] = content
	f.files[name+".csv.gz"] = gzipBytes(f.t, content)
}

// touch changes the last_updated value of every release tag, so that the
// source checks its data files again.
func (f *fakeRelease) touch() {
	f.mu.Lock()
	defer f.mu.Unlock()

	for tag := range f.stamps {
		f.stamps[tag] += "+"
	}
}

func (f *fakeRelease) setFile(path string, content []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()

	if content == nil {
		delete(f.files, path)
		return
	}
	f.files[path] = content
}

func (f *fakeRelease) file(path string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.files[path]
}

func (f *fakeRelease) setOverride(path string, handler http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()

	if handler == nil {
		delete(f.override, path)
		return
	}
	f.override[path] = handler
}

func (f *fakeRelease) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests = append(f.requests, fakeRequest{
			path: path, status: recorder.status, bytes: recorder.bytes, at: time.Now(), header: r.Header.Clone(),
		})
	}()

	f.mu.Lock()
	handler := f.override[path]
	content, found := f.files[path]
	tag, isStamp := strings.CutSuffix(path, "/timestamp.json")
	stamp, stampFound := f.stamps[tag]
	f.mu.Unlock()

	switch {
	case handler != nil:
		handler(recorder, r)
	case isStamp && stampFound:
		serveContent(recorder, r, []byte(fmt.Sprintf(`{"last_updated":%q}`, stamp)))
	case found:
		serveContent(recorder, r, content)
	default:
		http.NotFound(recorder, r)
	}
}

// serveContent answers with content, its ETag and Last-Modified, and 304 to
// a matching conditional GET.
func serveContent(w http.ResponseWriter, r *http.Request, content []byte) {
	sum := sha256.Sum256(content)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(w, r, "", releaseLastModified, bytes.NewReader(content))
}

// dataRequests returns the requests of data files, not of timestamp.json.
func (f *fakeRelease) dataRequests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()

	var requests []fakeRequest
	for _, request := range f.requests {
		if !strings.HasSuffix(request.path, "/timestamp.json") {
			requests = append(requests, request)
		}
	}
	return requests
}

func (f *fakeRelease) requestsOf(path string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()

	var requests []fakeRequest
	for _, request := range f.requests {
		if request.path == path {
			requests = append(requests, request)
		}
	}
	return requests
}

func (f *fakeRelease) resetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	n, err := r.ResponseWriter.Write(p)
	r.bytes += n
	return n, err
}

// recordingObserver records every outcome.
type recordingObserver struct {
	mu       sync.Mutex
	outcomes []string // "file outcome"
}

func (o *recordingObserver) RequestDone(file, outcome string, _ int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes = append(o.outcomes, file+" "+outcome)
}

func (o *recordingObserver) count(file, outcome string) int {
	o.mu.Lock()
	defer o.mu.Unlock()

	n := 0
	for _, recorded := range o.outcomes {
		if recorded == file+" "+outcome {
			n++
		}
	}
	return n
}

func gzipBytes(t testing.TB, content []byte) []byte {
	t.Helper()
	var compressed bytes.Buffer
	gz := gzip.NewWriter(&compressed)
	if _, err := gz.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return compressed.Bytes()
}

func gunzip(t testing.TB, content []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func (r *statusRecorder) Flush() {
	if flusher, ok := r.ResponseWriter.(http.Flusher); ok {
		flusher.Flush()
	}
}
