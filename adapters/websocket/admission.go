package websocket

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the JWT claims nflsync reads from a client's token. The token
// must be signed with HS256 and the shared secret and carry "exp".
type Claims struct {
	// Leagues are the league ids the client may subscribe to. Player,
	// game and scoreboard streams are open to every valid token.
	Leagues []string `json:"leagues"`

	jwt.RegisteredClaims
}

// admissionError is an HTTP error returned before the upgrade.
type admissionError struct {
	status     int
	message    string
	retryAfter time.Duration
}

func (e *admissionError) Error() string {
	return e.message
}

// write sends the error as a plain-text HTTP response.
func (e *admissionError) write(w http.ResponseWriter) {
	if e.retryAfter > 0 {
		seconds := int((e.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="nflsync", error="invalid_token"`)
	}
	http.Error(w, e.message, e.status)
}

// ParseAllowedOrigins splits a comma-separated NFL_SYNC_ALLOWED_ORIGINS
// value into Options.AllowedOrigins, dropping blanks and a trailing slash.
func ParseAllowedOrigins(value string) []string {
	var origins []string
	for origin := range strings.SplitSeq(value, ",") {
		origin = strings.TrimSuffix(strings.TrimSpace(origin), "/")
		if origin != "" {
			origins = append(origins, origin)
		}
	}
	return origins
}

// checkOrigin rejects a browser request from an origin that is not allowed.
// A request without an Origin header comes from a non-browser client and is
// allowed: the Origin check protects browser users' tokens and cookies, and
// any other client can send whatever Origin it likes anyway.
func (h *Handler) checkOrigin(r *http.Request) *admissionError {
	origin := r.Header.Get("Origin")
	if origin == "" || slices.Contains(h.options.AllowedOrigins, "*") {
		return nil
	}

	parsed, err := url.Parse(origin)
	if err == nil && parsed.Host != "" && strings.EqualFold(parsed.Host, r.Host) {
		return nil
	}
	for _, allowed := range h.options.AllowedOrigins {
		if strings.EqualFold(allowed, origin) {
			return nil
		}
	}
	return &admissionError{status: http.StatusForbidden, message: fmt.Sprintf(
		"origin %q is not allowed. Serve the page from this host or add the origin to NFL_SYNC_ALLOWED_ORIGINS", origin)}
}

// authenticate checks the client's token when an auth secret is set. It
// returns the token's claims, or nil claims when no secret is set.
func (h *Handler) authenticate(r *http.Request) (*Claims, *admissionError) {
	if len(h.options.AuthSecret) == 0 {
		return nil, nil
	}

	raw := r.URL.Query().Get("token")
	if header := r.Header.Get("Authorization"); raw == "" && header != "" {
		scheme, token, found := strings.Cut(header, " ")
		if found && strings.EqualFold(scheme, "Bearer") {
			raw = strings.TrimSpace(token)
		}
	}
	if raw == "" {
		return nil, &admissionError{status: http.StatusUnauthorized,
			message: "missing token: pass an HS256 JWT as ?token= or in an Authorization: Bearer header"}
	}

	claims := &Claims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	_, err := parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		return h.options.AuthSecret, nil
	})
	switch {
	case err == nil:
		return claims, nil
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, &admissionError{status: http.StatusUnauthorized, message: "token expired: request a new token and reconnect"}
	default:
		return nil, &admissionError{status: http.StatusUnauthorized, message: fmt.Sprintf("invalid token: %v", err)}
	}
}

// allowLeague returns the session's league check for claims: nil, which
// allows every league, when no auth secret is set.
func allowLeague(claims *Claims) func(string) bool {
	if claims == nil {
		return nil
	}

	leagues := make(map[string]struct{}, len(claims.Leagues))
	for _, league := range claims.Leagues {
		leagues[league] = struct{}{}
	}
	return func(leagueID string) bool {
		_, allowed := leagues[leagueID]
		return allowed
	}
}

// clientIP returns the host part of the request's remote address.
//
// NOTE: behind a reverse proxy every client has the proxy's address, so the
// per-IP limit then counts the proxy's connections. X-Forwarded-For is not
// read because a client can forge it when nflsync is reached directly.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// retryJitter spreads the Retry-After of rejected upgrades over a few extra
// seconds, so that clients rejected in one storm do not all return at once.
func retryJitter() time.Duration {
	return time.Duration(rand.Int64N(int64(4 * time.Second)))
}

// admit decides whether an upgrade request may become a connection and, if
// so, reserves its place in the per-IP count. The caller must call release
// when the connection ends.
func (h *Handler) admit(r *http.Request) (*Claims, *admissionError) {
	h.mu.Lock()
	shuttingDown := h.shuttingDown
	isolated := h.isolatedRejection()
	h.mu.Unlock()
	if shuttingDown {
		return nil, &admissionError{status: http.StatusServiceUnavailable,
			message: "nflsync is shutting down: reconnect later", retryAfter: h.options.ReconnectMinDelay + retryJitter()}
	}
	if isolated != nil {
		return nil, isolated
	}

	if allowed, wait := h.connectionRate.allow(h.now()); !allowed {
		return nil, &admissionError{status: http.StatusServiceUnavailable,
			message: "too many new connections: retry after the Retry-After delay", retryAfter: wait + retryJitter()}
	}

	if err := h.checkOrigin(r); err != nil {
		return nil, err
	}
	claims, err := h.authenticate(r)
	if err != nil {
		return nil, err
	}

	ip := clientIP(r)
	h.mu.Lock()
	defer h.mu.Unlock()

	if h.perIP[ip] >= h.options.MaxConnectionsPerIP {
		return nil, &admissionError{status: http.StatusTooManyRequests, message: fmt.Sprintf(
			"too many connections from %s: at most %d per IP address. Close one first", ip, h.options.MaxConnectionsPerIP)}
	}
	h.perIP[ip]++
	h.active.Add(1)
	return claims, nil
}

// release gives back the place that admit reserved for a client at ip.
func (h *Handler) release(ip string) {
	h.mu.Lock()
	h.perIP[ip]--
	if h.perIP[ip] <= 0 {
		delete(h.perIP, ip)
	}
	h.mu.Unlock()

	h.active.Done()
}
