#!/bin/sh
# Install Debian's prometheus package, which provides the prometheus and
# promtool binaries that the metrics/ tests run, unless both are on PATH.
# It prints nothing on success, so running it again costs one PATH lookup.
# Installing needs root (or sudo) and apt, as on Debian and Ubuntu CI
# machines.
set -eu

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "ensure.sh: prometheus or promtool missing and apt-get not found; install Prometheus 2.x so that both are on PATH" >&2
	exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

# NOTE: where systemd runs, the package also starts a prometheus service
# on port 9090. The metrics tests use other, free ports.
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null

if ! command -v promtool >/dev/null 2>&1; then
	echo "ensure.sh: promtool still missing after apt-get install prometheus" >&2
	exit 1
fi
