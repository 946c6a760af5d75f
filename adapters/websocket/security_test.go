package websocket

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/messages"
)

var testSecret = []byte("test-secret-of-at-least-32-bytes!")

func signToken(t *testing.T, secret []byte, method jwt.SigningMethod, claims Claims) string {
	t.Helper()

	token, err := jwt.NewWithClaims(method, claims).SignedString(secret)
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	return token
}

func validClaims(leagues ...string) Claims {
	return Claims{Leagues: leagues, RegisteredClaims: jwt.RegisteredClaims{
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}}
}

func TestHandlerRejectsBadTokens(t *testing.T) {
	server := startTestServer(t, Options{AuthSecret: testSecret})

	expired := validClaims("a")
	expired.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute))
	noExpiry := Claims{Leagues: []string{"a"}}

	tests := []struct {
		name     string
		query    string
		header   http.Header
		mentions string
	}{
		{"no token", "", nil, "missing token"},
		{"expired", "?token=" + signToken(t, testSecret, jwt.SigningMethodHS256, expired), nil, "token expired"},
		{"other secret", "?token=" + signToken(t, []byte("another-secret-of-at-least-32-bytes"), jwt.SigningMethodHS256, validClaims("a")), nil, "invalid token"},
		{"no exp claim", "?token=" + signToken(t, testSecret, jwt.SigningMethodHS256, noExpiry), nil, "invalid token"},
		{"HS384", "?token=" + signToken(t, testSecret, jwt.SigningMethodHS384, validClaims("a")), nil, "invalid token"},
		{"not a JWT", "?token=abc", nil, "invalid token"},
		{"expired in header", "", http.Header{"Authorization": {"Bearer " + signToken(t, testSecret, jwt.SigningMethodHS256, expired)}}, "token expired"},
	}
	for _, test := range tests {
		response, body := server.dialRejected(t, server.url+test.query, test.header)
		if response.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status = %d, want 401", test.name, response.StatusCode)
		}
		if !strings.Contains(body, test.mentions) {
			t.Errorf("%s: body %q does not mention %q", test.name, body, test.mentions)
		}
		if got := response.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("%s: WWW-Authenticate = %q, want a Bearer challenge", test.name, got)
		}
	}
}

func TestHandlerTokenLimitsLeagues(t *testing.T) {
	server := startTestServer(t, Options{AuthSecret: testSecret})
	token := signToken(t, testSecret, jwt.SigningMethodHS256, validClaims("a"))

	clients := map[string]string{
		"query":  server.url + "?token=" + token,
		"header": server.url,
	}
	for via, url := range clients {
		var header http.Header
		if via == "header" {
			header = http.Header{"Authorization": {"Bearer " + token}}
		}
		client := server.dialWith(t, url, header)

		writeText(t, client, `{"action":"subscribe_league","league_id":"a"}`)
		expectAck(t, client, "subscribe_league", "a")

		writeText(t, client, `{"action":"subscribe_league","league_id":"b"}`)
		reply := readServerMessage(t, client)
		if reply.Type != messages.TypeError || reply.Error.Code != actors.ErrorCodeForbidden {
			t.Errorf("token via %s: league b reply = %s %q, want ERROR %s", via, reply.Type, reply.Error.Code, actors.ErrorCodeForbidden)
		}

		// Player, game and scoreboard streams are open to every token.
		writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
		expectAck(t, client, "subscribe_player", "00-0033873")
		writeText(t, client, `{"action":"subscribe_scoreboard"}`)
		expectAck(t, client, "subscribe_scoreboard", "")
	}
	if got := server.hub.Subscribers("league:b"); got != 0 {
		t.Errorf("league:b subscribers = %d, want 0", got)
	}
}

func TestHandlerOriginAllowlist(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		origin  string
		accept  bool
	}{
		{"listed", []string{"https://app.example.com"}, "https://app.example.com", true},
		{"listed, other case", []string{"https://app.example.com"}, "HTTPS://APP.EXAMPLE.COM", true},
		{"not listed", []string{"https://app.example.com"}, "https://evil.example.com", false},
		{"other port", []string{"https://app.example.com"}, "https://app.example.com:8443", false},
		{"empty list, foreign", nil, "https://app.example.com", false},
		{"empty list, no Origin", nil, "", true},
		{"star", []string{"*"}, "https://evil.example.com", true},
	}
	for _, test := range tests {
		server := startTestServer(t, Options{AllowedOrigins: test.allowed})
		header := http.Header{}
		if test.origin != "" {
			header.Set("Origin", test.origin)
		}

		if test.accept {
			server.dialWith(t, server.url, header)
			continue
		}
		response, body := server.dialRejected(t, server.url, header)
		if response.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status = %d, want 403", test.name, response.StatusCode)
		}
		if !strings.Contains(body, "NFL_SYNC_ALLOWED_ORIGINS") {
			t.Errorf("%s: body %q does not say how to allow the origin", test.name, body)
		}
	}

	// The page served by nflsync itself is same-origin.
	server := startTestServer(t, Options{})
	server.dialWith(t, server.url, http.Header{"Origin": {"http://" + server.address}})
}

func TestParseAllowedOrigins(t *testing.T) {
	got := ParseAllowedOrigins(" https://a.example.com/ ,, http://127.0.0.1:8080,*")
	want := []string{"https://a.example.com", "http://127.0.0.1:8080", "*"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ParseAllowedOrigins = %q, want %q", got, want)
	}
	if got := ParseAllowedOrigins(""); got != nil {
		t.Errorf("ParseAllowedOrigins(\"\") = %q, want nil", got)
	}
}

func TestHandlerLimitsConnectionsPerIP(t *testing.T) {
	server := startTestServer(t, Options{MaxConnectionsPerIP: 2})
	first := server.dial(t)
	server.dial(t)

	response, body := server.dialRejected(t, server.url, nil)
	if response.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third connection status = %d, want 429", response.StatusCode)
	}
	if !strings.Contains(body, "at most 2") {
		t.Errorf("body %q does not give the limit", body)
	}

	// Closing a connection frees its place.
	first.Close()
	server.eventually(t, "the freed place", func() bool {
		server.handler.mu.Lock()
		defer server.handler.mu.Unlock()

		return server.handler.perIP["127.0.0.1"] == 1
	})
	server.dial(t)
}

func TestHandlerConnectionRateLimit(t *testing.T) {
	// A rate of one per 1000 seconds adds no token during the test.
	server := startTestServer(t, Options{ConnectionRate: 0.001, ConnectionBurst: 2})
	server.dial(t)
	server.dial(t)

	response, _ := server.dialRejected(t, server.url, nil)
	if response.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", response.StatusCode)
	}
	retryAfter, err := strconv.Atoi(response.Header.Get("Retry-After"))
	if err != nil || retryAfter < 1 {
		t.Errorf("Retry-After = %q, want a whole number of seconds of at least 1", response.Header.Get("Retry-After"))
	}
}

func TestHandlerMessageRateLimit(t *testing.T) {
	// A rate of one per 1000 seconds adds no token during the test.
	server := startTestServer(t, Options{MessageRate: 0.001, MessageBurst: 2, RateLimitCloseAfter: 3})
	client := server.dial(t)

	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0033873"}`)
	expectAck(t, client, "subscribe_player", "00-0033873")
	writeText(t, client, `{"action":"subscribe_game","game_id":"2024_10_DEN_KC"}`)
	expectAck(t, client, "subscribe_game", "2024_10_DEN_KC")

	for i := range 2 {
		writeText(t, client, `{"action":"subscribe_player","player_id":"00-0036389"}`)
		reply := readServerMessage(t, client)
		if reply.Type != messages.TypeError || reply.Error.Code != actors.ErrorCodeRateLimited {
			t.Fatalf("message %d over the limit: reply %s %q, want ERROR %s", i+1, reply.Type, reply.Error.Code, actors.ErrorCodeRateLimited)
		}
	}
	if got := server.hub.Subscribers("player:00-0036389"); got != 0 {
		t.Errorf("rate-limited subscribe took effect: subscribers = %d, want 0", got)
	}

	writeText(t, client, `{"action":"subscribe_player","player_id":"00-0036389"}`)
	code, reason := readClose(t, client)
	if code != RateLimitCloseCode || reason != RateLimitCloseReason {
		t.Errorf("close = %d %q, want %d %q", code, reason, RateLimitCloseCode, RateLimitCloseReason)
	}
}
