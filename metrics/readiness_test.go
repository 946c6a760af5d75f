package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func readyz(t *testing.T, readiness *Readiness) (int, string) {
	t.Helper()

	recorder := httptest.NewRecorder()
	readiness.ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return recorder.Code, recorder.Body.String()
}

func TestReadinessListsMissingDependencies(t *testing.T) {
	readiness := NewReadiness(DependencySource, DependencyStore, DependencyMirror)
	readiness.SetStoreConnected(true)

	code, body := readyz(t, readiness)
	if code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", code)
	}
	if !strings.Contains(body, "source not reached yet") {
		t.Errorf("body %q does not name the source", body)
	}
	if !strings.Contains(body, "Hazelcast mirror not connected") {
		t.Errorf("body %q does not name the mirror", body)
	}
	if strings.Contains(body, "MongoDB") {
		t.Errorf("body %q names the connected store", body)
	}
}

func TestReadinessReadyWhenAllSet(t *testing.T) {
	readiness := NewReadiness(DependencySource, DependencyStore, DependencyMirror)
	readiness.SetSourceReached(true)
	readiness.SetStoreConnected(true)
	readiness.SetMirrorConnected(true)

	code, body := readyz(t, readiness)
	if code != http.StatusOK {
		t.Errorf("status %d, body %q, want 200", code, body)
	}

	readiness.SetMirrorConnected(false)
	if ready, missing := readiness.Ready(); ready || len(missing) != 1 || missing[0] != DependencyMirror {
		t.Errorf("after the mirror disconnected Ready() = %v, %v, want false, [mirror]", ready, missing)
	}
}

func TestReadinessIgnoresUnrequired(t *testing.T) {
	readiness := NewReadiness(DependencySource)
	readiness.SetSourceReached(true)
	readiness.SetStoreConnected(false)

	if code, body := readyz(t, readiness); code != http.StatusOK {
		t.Errorf("status %d, body %q, want 200 without a required store", code, body)
	}
}
