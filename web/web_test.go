package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStaticHandlerServesPageAndClient(t *testing.T) {
	server := httptest.NewServer(StaticHandler())
	t.Cleanup(server.Close)

	tests := []struct {
		path        string
		contentType string
		contains    string
	}{
		{"/", "text/html", `<script type="module" src="app.js">`},
		{"/nflsync.js", "javascript", "export class NflSyncClient"},
		{"/app.js", "javascript", "subscribeScoreboard"},
		{"/style.css", "text/css", "#status"},
	}
	for _, test := range tests {
		response, err := http.Get(server.URL + test.path)
		if err != nil {
			t.Fatalf("GET %s: %v", test.path, err)
		}
		body, _ := io.ReadAll(response.Body)
		response.Body.Close()

		if response.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", test.path, response.StatusCode)
		}
		if got := response.Header.Get("Content-Type"); !strings.Contains(got, test.contentType) {
			t.Errorf("GET %s: Content-Type %q, want %s", test.path, got, test.contentType)
		}
		if !strings.Contains(string(body), test.contains) {
			t.Errorf("GET %s: body does not contain %q", test.path, test.contains)
		}
	}

	response, err := http.Get(server.URL + "/missing.js")
	if err != nil {
		t.Fatal(err)
	}
	response.Body.Close()
	if response.StatusCode != http.StatusNotFound {
		t.Errorf("GET /missing.js: status %d, want 404", response.StatusCode)
	}
}
