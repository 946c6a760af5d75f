package websocket

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/messages"
)

// TestHandlerResumeAfterReconnect disconnects a client in the middle of two
// streams, publishes while it is away and while it resumes, and checks that
// each stream's seqs arrive exactly once and in order across the reconnect.
func TestHandlerResumeAfterReconnect(t *testing.T) {
	server := startTestServer(t, Options{})
	streams := []string{"player:00-0033873", "game:2024_10_DEN_KC"}
	publish := func(count int) {
		for range count {
			for _, stream := range streams {
				server.hub.Publish(server.system.Root, stream, []byte(`{"type":"UPDATE"}`))
			}
		}
	}

	first := server.dial(t)
	writeText(t, first, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, first, "subscribe_player", "00-0033873")
	writeText(t, first, `{"action":"subscribe_game","game_id":"2024_10_DEN_KC"}`)
	expectAck(t, first, "subscribe_game", "2024_10_DEN_KC")

	// The client reads 30 of 80 messages, then drops the connection.
	publish(40)
	seen := map[string][]uint64{}
	epoch := ""
	for range 30 {
		message := readServerMessage(t, first)
		seen[message.Stream] = append(seen[message.Stream], message.Seq)
		epoch = message.Epoch
	}
	first.Close()
	publish(40)

	second := server.dial(t)
	var positions []string
	for _, stream := range streams {
		last := uint64(0)
		if seqs := seen[stream]; len(seqs) > 0 {
			last = seqs[len(seqs)-1]
		}
		positions = append(positions, fmt.Sprintf(`{"stream":%q,"epoch":%q,"seq":%d}`, stream, epoch, last))
	}

	// More messages are published while the resume is handled.
	published := make(chan struct{})
	go func() {
		defer close(published)
		publish(40)
	}()
	writeText(t, second, `{"action":"resume","streams":[`+strings.Join(positions, ",")+`]}`)

	acks := 0
	for len(seen[streams[0]]) < 120 || len(seen[streams[1]]) < 120 {
		message := readServerMessage(t, second)
		if message.Type == messages.TypeAck {
			if message.Action != "resume" || message.Resumed == nil || !*message.Resumed {
				t.Fatalf("ACK = %+v, want a resume served from the history", message)
			}
			acks++
			continue
		}
		if message.Type != "UPDATE" {
			t.Fatalf("got %s (%+v), want UPDATE", message.Type, message.Error)
		}
		seen[message.Stream] = append(seen[message.Stream], message.Seq)
	}
	<-published

	if acks != 2 {
		t.Errorf("resume ACKs = %d, want 2", acks)
	}
	for _, stream := range streams {
		for i, seq := range seen[stream] {
			if seq != uint64(i+1) {
				t.Fatalf("%s: message %d has seq %d, want %d (seqs %v)", stream, i, seq, i+1, seen[stream])
			}
		}
	}
}

func TestHandlerResumeFromOtherEpochResets(t *testing.T) {
	server := startTestServer(t, Options{})
	server.hub.Publish(server.system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))
	client := server.dial(t)

	writeText(t, client, `{"action":"resume","streams":[{"stream":"player:00-0033873","epoch":"0000000000000000","seq":7}]}`)
	ack := readServerMessage(t, client)
	if ack.Type != messages.TypeAck || ack.Resumed == nil || *ack.Resumed {
		t.Errorf("ACK = %+v, want resumed false", ack)
	}
	snapshot := readServerMessage(t, client)
	if snapshot.Type != actors.TypeSnapshot || !snapshot.Reset || snapshot.Seq != 1 || snapshot.Epoch != server.hub.Epoch() {
		t.Errorf("second message = %+v, want a reset SNAPSHOT at seq 1 of epoch %s", snapshot, server.hub.Epoch())
	}
}

func TestHandlerResumeInvalid(t *testing.T) {
	server := startTestServer(t, Options{})
	client := server.dial(t)

	tests := []struct {
		message  string
		mentions string
	}{
		{`{"action":"resume"}`, "streams"},
		{`{"action":"resume","streams":[]}`, "streams"},
		{`{"action":"resume","streams":{"stream":"player:x"}}`, "array"},
		{`{"action":"resume","streams":[{"stream":"player:x","seq":-1}]}`, "whole number"},
		{`{"action":"resume","streams":[{"stream":"fans:x","seq":1}]}`, `"fans:x"`},
	}
	for _, test := range tests {
		writeText(t, client, test.message)
		reply := readServerMessage(t, client)
		if reply.Type != messages.TypeError || reply.Error.Code != messages.ErrorCodeInvalidField {
			t.Errorf("%s: reply %s %q, want ERROR %s", test.message, reply.Type, reply.Error.Code, messages.ErrorCodeInvalidField)
		}
		if !strings.Contains(reply.Error.Message, test.mentions) {
			t.Errorf("%s: message %q does not mention %s", test.message, reply.Error.Message, test.mentions)
		}
	}
}

// pagedSnapshotter returns count items of about 100 bytes for any stream.
type pagedSnapshotter struct{ count int }

func (s pagedSnapshotter) Snapshot(_ context.Context, _ messages.StreamKind, id string, _ uint64) ([]json.RawMessage, error) {
	items := make([]json.RawMessage, s.count)
	for i := range items {
		items[i] = json.RawMessage(fmt.Sprintf(`{"player_id":%q,"week":%d,"note":"%s"}`, id, i+1, strings.Repeat("x", 60)))
	}
	return items, nil
}

func TestHandlerSnapshotPages(t *testing.T) {
	server := startTestServer(t, Options{Snapshotter: pagedSnapshotter{count: 60}, MaxSnapshotMessageBytes: 1024})
	client := server.dial(t)

	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")

	items := 0
	for page := 1; ; page++ {
		data := readMessage(t, client)
		if len(data) > 1024 {
			t.Errorf("page %d has %d bytes, more than 1024", page, len(data))
		}
		var message serverMessage
		if err := json.Unmarshal(data, &message); err != nil {
			t.Fatal(err)
		}
		if message.Type != actors.TypeSnapshot || message.Page != page || message.Stream != "player:00-0033873" {
			t.Fatalf("message %d = %s page %d of %s, want SNAPSHOT page %d of player:00-0033873", page, message.Type, message.Page, message.Stream, page)
		}
		items += len(message.Items)
		if message.Page == message.Pages {
			if message.Pages < 5 {
				t.Errorf("pages = %d, want at least 5 for 60 items of about 100 bytes", message.Pages)
			}
			break
		}
	}
	if items != 60 {
		t.Errorf("items = %d, want 60", items)
	}
}

func TestHandlerShutdownClosesWithRestartHint(t *testing.T) {
	server := startTestServer(t, Options{})
	const clientCount = 5
	clients := make([]*gorilla.Conn, clientCount)
	for i := range clients {
		clients[i] = server.dial(t)
		writeText(t, clients[i], `{"action":"subscribe_scoreboard"}`)
		expectAck(t, clients[i], "subscribe_scoreboard", "")
	}

	shutdownDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		shutdownDone <- server.handler.Shutdown(ctx)
	}()

	hints := map[int64]bool{}
	for i, client := range clients {
		code, reason := readClose(t, client)
		if code != ServiceRestartCloseCode {
			t.Errorf("client %d close code = %d, want %d", i, code, ServiceRestartCloseCode)
		}
		var hint struct {
			ReconnectAfterMS *int64 `json:"reconnect_after_ms"`
		}
		if err := json.Unmarshal([]byte(reason), &hint); err != nil || hint.ReconnectAfterMS == nil {
			t.Fatalf("client %d close reason %q is not {\"reconnect_after_ms\":N}: %v", i, reason, err)
		}
		delay := time.Duration(*hint.ReconnectAfterMS) * time.Millisecond
		if delay < DefaultReconnectMinDelay || delay > DefaultReconnectMaxDelay {
			t.Errorf("client %d reconnect hint %s is outside [%s, %s]", i, delay, DefaultReconnectMinDelay, DefaultReconnectMaxDelay)
		}
		hints[*hint.ReconnectAfterMS] = true
	}
	if len(hints) < 2 {
		t.Errorf("all %d clients got the same reconnect hint %v, want jittered hints", clientCount, hints)
	}

	if err := <-shutdownDone; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	server.eventually(t, "the scoreboard subscriptions to go", func() bool {
		return server.hub.Subscribers("scoreboard:current") == 0
	})

	response, _ := server.dialRejected(t, server.url, nil)
	if response.StatusCode != 503 || response.Header.Get("Retry-After") == "" {
		t.Errorf("dial after shutdown: status %d, Retry-After %q, want 503 with Retry-After", response.StatusCode, response.Header.Get("Retry-After"))
	}
}

// idleProxy is a TCP proxy that closes a connection when no byte has
// passed in either direction for idleTimeout, as load balancers do.
type idleProxy struct {
	listener    net.Listener
	target      string
	idleTimeout time.Duration
	closedIdle  atomic.Int32
}

func startIdleProxy(t *testing.T, target string, idleTimeout time.Duration) *idleProxy {
	t.Helper()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxy := &idleProxy{listener: listener, target: target, idleTimeout: idleTimeout}
	t.Cleanup(func() { listener.Close() })
	go proxy.serve()
	return proxy
}

func (p *idleProxy) serve() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		go p.relay(client)
	}
}

func (p *idleProxy) relay(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}

	var lastActivity atomic.Int64
	lastActivity.Store(time.Now().UnixNano())
	var once sync.Once
	done := make(chan struct{})
	closeBoth := func() {
		once.Do(func() {
			client.Close()
			server.Close()
			close(done)
		})
	}
	copyCounting := func(to, from net.Conn) {
		defer closeBoth()
		buffer := make([]byte, 32*1024)
		for {
			n, err := from.Read(buffer)
			if n > 0 {
				lastActivity.Store(time.Now().UnixNano())
				if _, writeErr := to.Write(buffer[:n]); writeErr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go copyCounting(server, client)
	go copyCounting(client, server)

	ticker := time.NewTicker(p.idleTimeout / 10)
	defer ticker.Stop()
	for {
		select {
		case <-done:
			return
		case <-ticker.C:
			if time.Since(time.Unix(0, lastActivity.Load())) > p.idleTimeout {
				p.closedIdle.Add(1)
				closeBoth()
				return
			}
		}
	}
}

// dialThroughProxy connects through proxy, subscribes to one player and
// reads in the background (gorilla replies to pings only while the application reads). The
// returned channel receives every message, then the read error.
func dialThroughProxy(t *testing.T, server *testServer, proxy *idleProxy) (<-chan []byte, <-chan error) {
	t.Helper()

	client := server.dialWith(t, "ws://"+proxy.listener.Addr().String()+Path, nil)
	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")

	received := make(chan []byte, 16)
	ended := make(chan error, 1)
	go func() {
		for {
			_, data, err := client.ReadMessage()
			if err != nil {
				ended <- err
				return
			}
			received <- data
		}
	}()
	return received, ended
}

// TestHandlerPingsKeepIdleClientBehindProxy scales a 60-second proxy idle
// timeout down to 500 ms: pings every 100 ms keep an idle client connected
// for three idle timeouts, and it still receives the next update.
func TestHandlerPingsKeepIdleClientBehindProxy(t *testing.T) {
	if DefaultPingPeriod >= 60*time.Second {
		t.Errorf("DefaultPingPeriod = %s, want less than a 60-second proxy idle timeout", DefaultPingPeriod)
	}

	server := startTestServer(t, Options{PingPeriod: 100 * time.Millisecond, PongWait: 5 * time.Second})
	proxy := startIdleProxy(t, server.address, 500*time.Millisecond)
	received, ended := dialThroughProxy(t, server, proxy)

	time.Sleep(1500 * time.Millisecond)
	server.hub.Publish(server.system.Root, "player:00-0033873", []byte(`{"type":"PLAYER_UPDATE"}`))

	select {
	case data := <-received:
		if !strings.Contains(string(data), `"seq":1`) {
			t.Errorf("update = %s, want seq 1", data)
		}
	case err := <-ended:
		t.Fatalf("idle client was disconnected: %v (proxy idle closes: %d)", err, proxy.closedIdle.Load())
	case <-time.After(testTimeout):
		t.Fatal("idle client received no update")
	}
	if got := proxy.closedIdle.Load(); got != 0 {
		t.Errorf("proxy closed %d idle connections, want 0", got)
	}
}

// TestIdleProxyClosesWithoutPings checks the proxy itself: with pings
// rarer than its idle timeout, it cuts the client off.
func TestIdleProxyClosesWithoutPings(t *testing.T) {
	server := startTestServer(t, Options{PingPeriod: 5 * time.Second, PongWait: 10 * time.Second})
	proxy := startIdleProxy(t, server.address, 300*time.Millisecond)
	_, ended := dialThroughProxy(t, server, proxy)

	select {
	case <-ended:
	case <-time.After(testTimeout):
		t.Fatal("proxy did not close the idle connection")
	}
	if got := proxy.closedIdle.Load(); got != 1 {
		t.Errorf("proxy idle closes = %d, want 1", got)
	}
}
