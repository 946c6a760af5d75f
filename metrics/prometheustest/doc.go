// Package prometheustest starts a real Prometheus server for tests: Debian's
// prometheus binary on a free 127.0.0.1 port, scraping one target every
// second as job "nflsync" and evaluating alert rules every second, with the
// rules' `for:` durations cut to 1 s. It queries the server's HTTP API and
// waits, with a bound, for a value or an alert.
//
// It imports nothing from nflsync, so that the tests of package metrics can
// use it as well as the tests of cmd/nflsync.
//
// Start runs on Linux only, because it kills the server's whole process
// group when the test ends.
package prometheustest
