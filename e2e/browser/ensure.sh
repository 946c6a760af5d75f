#!/bin/sh
# Installs what the browser test needs: Debian's chromium and node with npm,
# then the pinned playwright-core from package-lock.json. Safe to run again:
# each step is skipped when its result is already there.
set -eu

cd "$(dirname "$0")"

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "ensure.sh: missing$missing; install them as root (apt-get install$missing)" >&2
		exit 1
	fi
	apt-get update -qq
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -f node_modules/playwright-core/package.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
