package websocket

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
)

// readUntilClose reads until the connection ends and returns the last text
// message before the close frame, and the close code and reason.
func readUntilClose(t *testing.T, ws *gorilla.Conn) (last []byte, code int, reason string) {
	t.Helper()

	if err := ws.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("set read deadline: %v", err)
	}
	for {
		_, data, err := ws.ReadMessage()
		if err == nil {
			last = data
			continue
		}
		var closeErr *gorilla.CloseError
		if errors.As(err, &closeErr) {
			return last, closeErr.Code, closeErr.Text
		}
		return last, -1, ""
	}
}

func TestIsolateSendsNodeStatusAndCloses(t *testing.T) {
	server := startTestServer(t, Options{})
	const clientCount = 3
	clients := make([]*gorilla.Conn, clientCount)
	for i := range clients {
		clients[i] = server.dial(t)
		writeText(t, clients[i], `{"action":"subscribe_scoreboard"}`)
		expectAck(t, clients[i], "subscribe_scoreboard", "")
	}

	if closed := server.handler.Isolate(1, 3); closed != clientCount {
		t.Errorf("Isolate closed %d connections, want %d", closed, clientCount)
	}

	for i, client := range clients {
		last, code, reason := readUntilClose(t, client)
		if code != ServiceRestartCloseCode {
			t.Errorf("client %d close code = %d, want %d", i, code, ServiceRestartCloseCode)
		}

		var status NodeStatusMessage
		if err := json.Unmarshal(last, &status); err != nil {
			t.Fatalf("client %d last message %q is not JSON: %v", i, last, err)
		}
		if status.Type != TypeNodeStatus {
			t.Errorf("client %d last message type = %q, want %s", i, status.Type, TypeNodeStatus)
		}
		if status.Status != NodeStatusIsolated {
			t.Errorf("client %d status = %q, want %q", i, status.Status, NodeStatusIsolated)
		}
		if status.Members != 1 || status.Peers != 3 {
			t.Errorf("client %d members/peers = %d/%d, want 1/3", i, status.Members, status.Peers)
		}

		var hint struct {
			ReconnectAfterMS *int64 `json:"reconnect_after_ms"`
		}
		if err := json.Unmarshal([]byte(reason), &hint); err != nil || hint.ReconnectAfterMS == nil {
			t.Fatalf("client %d close reason %q is not {\"reconnect_after_ms\":N}: %v", i, reason, err)
		}
		if *hint.ReconnectAfterMS != status.ReconnectAfterMS {
			t.Errorf("client %d close hint %d ms, NODE_STATUS hint %d ms, want equal", i, *hint.ReconnectAfterMS, status.ReconnectAfterMS)
		}
		delay := time.Duration(status.ReconnectAfterMS) * time.Millisecond
		if delay < DefaultReconnectMinDelay || delay > DefaultReconnectMaxDelay {
			t.Errorf("client %d reconnect hint %s is outside [%s, %s]", i, delay, DefaultReconnectMinDelay, DefaultReconnectMaxDelay)
		}
	}
	server.eventually(t, "the scoreboard subscriptions to go", func() bool {
		return server.hub.Subscribers("scoreboard:current") == 0
	})

	response, body := server.dialRejected(t, server.url, nil)
	if response.StatusCode != 503 {
		t.Errorf("dial while isolated: status %d, want 503", response.StatusCode)
	}
	if response.Header.Get("Retry-After") == "" {
		t.Error("dial while isolated: no Retry-After header")
	}
	if !strings.Contains(body, "reaches 1 of its 3 cluster members") {
		t.Errorf("dial while isolated: body %q does not give the member counts", body)
	}

	server.handler.Rejoin()
	client := server.dial(t)
	writeText(t, client, `{"action":"subscribe_scoreboard"}`)
	expectAck(t, client, "subscribe_scoreboard", "")
}
