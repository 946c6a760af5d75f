#!/bin/sh
# Runs the fan-out load test: starts `nflsync serve` on a replay with a
# fresh data directory, waits until its /readyz is ready, runs loadgen
# against it and stops it. `make load` calls it after building bin/nflsync
# and bin/loadgen; the environment variables below are its parameters.
#
#   SESSIONS       WebSocket sessions (default 2000)
#   PLAYERS        players per session (default 15)
#   LEAGUE         league_id every session also follows (default none)
#   LEAGUES        when set, loadgen creates this many 10-team leagues and
#                  each session follows one team: its league and its 15
#                  players (in place of PLAYERS and LEAGUE)
#   BURSTS         replay ticks to measure (default 1)
#   LOAD_ADDR      listen address of the server (default 127.0.0.1:28080)
#   LOAD_INTERVAL  seconds between replay ticks (default 20 + SESSIONS/400,
#                  so that every session is subscribed before the second tick)
#   REPLAY_DIR     replay directory (default testdata/replay/2024)
#   BURST_PLAYERS  when set, the server replays a copy of REPLAY_DIR whose
#                  weeks after week 1 hold only this many players' rows
#                  (`loadgen burst-replay`), so each burst changes exactly
#                  that many players; the league takes its 150 players
#                  from them (default: whole weeks, about 1,050 players)
#   LOADGEN_FLAGS  further loadgen flags
set -eu

SESSIONS=${SESSIONS:-2000}
PLAYERS=${PLAYERS:-15}
LEAGUE=${LEAGUE:-}
LEAGUES=${LEAGUES:-}
BURSTS=${BURSTS:-1}
LOAD_ADDR=${LOAD_ADDR:-127.0.0.1:28080}
LOAD_INTERVAL=${LOAD_INTERVAL:-}
REPLAY_DIR=${REPLAY_DIR:-testdata/replay/2024}
BURST_PLAYERS=${BURST_PLAYERS:-}
LOADGEN_FLAGS=${LOADGEN_FLAGS:-}

fail() {
	echo "load: $*" >&2
	exit 2
}
for setting in "SESSIONS=$SESSIONS" "PLAYERS=$PLAYERS" "BURSTS=$BURSTS" "LOAD_INTERVAL=$LOAD_INTERVAL" \
	"LEAGUES=$LEAGUES" "BURST_PLAYERS=$BURST_PLAYERS"; do
	value=${setting#*=}
	case $value in
	'' | *[!0-9]*)
		# LEAGUES, BURST_PLAYERS and LOAD_INTERVAL may be left empty.
		case $setting in LEAGUES= | BURST_PLAYERS= | LOAD_INTERVAL=) continue ;; esac
		fail "invalid ${setting%%=*} '$value': use a whole number"
		;;
	esac
	[ "$value" -gt 0 ] || fail "invalid ${setting%%=*} '$value': use a number above 0"
done
[ -z "$LEAGUE" ] || [ -z "$LEAGUES" ] || fail "set LEAGUE (one league for every session) or LEAGUES (one per ten sessions), not both"
[ -d "$REPLAY_DIR" ] || fail "REPLAY_DIR $REPLAY_DIR is not a directory"
[ -n "$LOAD_INTERVAL" ] || LOAD_INTERVAL=$((20 + SESSIONS / 400))

if curl -s -o /dev/null "http://$LOAD_ADDR/healthz"; then
	echo "load: something already listens on $LOAD_ADDR; set LOAD_ADDR to a free address" >&2
	exit 1
fi

# The key lets this script create the league that LEAGUE names.
admin_key=load-test-key
data_dir=$(mktemp -d "${TMPDIR:-/tmp}/nflsync-load.XXXXXX")
server_pid=
stop_server() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid"
		wait "$server_pid" || true
	fi
	rm -rf "$data_dir"
}
trap stop_server EXIT INT TERM

league_players=
if [ -n "$BURST_PLAYERS" ]; then
	bin/loadgen burst-replay -from "$REPLAY_DIR" -out "$data_dir/replay" -players "$BURST_PLAYERS"
	league_players="$data_dir/replay/burst_players.txt"
	REPLAY_DIR="$data_dir/replay"
fi

# The per-IP limit and connection rate are raised because every session
# comes from a few loopback addresses at once.
NFL_SYNC_SOURCE="replay:$REPLAY_DIR" \
NFL_SYNC_DATA_DIR="$data_dir/server" \
NFL_SYNC_LISTEN_ADDR="$LOAD_ADDR" \
NFL_SYNC_INTERVAL_SECONDS="$LOAD_INTERVAL" \
NFL_SYNC_WS_MAX_CONNECTIONS_PER_IP=1000000 \
NFL_SYNC_WS_CONNECTION_RATE=100000 \
NFL_SYNC_WS_CONNECTION_BURST=100000 \
NFL_SYNC_LOG_LEVEL="${NFL_SYNC_LOG_LEVEL:-warn}" \
NFL_SYNC_ADMIN_API_KEY="$admin_key" \
	bin/nflsync serve 2>"$data_dir/server.log" &
server_pid=$!

attempts=0
# /readyz turns ready after the first sync cycle (replay week 1).
until curl -sf "http://$LOAD_ADDR/readyz" >/dev/null 2>&1; do
	attempts=$((attempts + 1))
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "load: nflsync exited before it was ready; its log:" >&2
		tail -n 40 "$data_dir/server.log" >&2
		exit 1
	fi
	if [ "$attempts" -gt 600 ]; then
		echo "load: nflsync did not answer http://$LOAD_ADDR/readyz within 60 s; its log:" >&2
		tail -n 40 "$data_dir/server.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "load: nflsync pid $server_pid on $LOAD_ADDR, a replay tick every $LOAD_INTERVAL s"

stats_file=$(ls "$REPLAY_DIR"/stats_player_week_*.csv.gz | head -n 1)
league_flag=
if [ -n "$LEAGUE" ]; then
	# A 10-team league of 150 players, 15 per team, so every session follows
	# a league whose rostered players change in each burst: the first 150
	# burst players, or else the first 150 players of the stats file.
	if [ -n "$league_players" ]; then
		list_players() { head -n 150 "$league_players"; }
	else
		list_players() { gzip -dc "$stats_file" | awk -F, 'NR > 1 && $1 != "" && !seen[$1]++ { print $1 }' | head -n 150; }
	fi
	teams=$(list_players |
		awk -v quote='"' '{ team = int((NR - 1) / 15); roster[team] = roster[team] (roster[team] == "" ? "" : ",") quote $1 quote }
			END { for (t = 0; t < 10; t++) printf "%s{\"id\":\"t%d\",\"name\":\"Team %d\",\"owner\":\"load\",\"roster\":[%s]}", (t ? "," : ""), t, t, roster[t] }')
	season=$(basename "$stats_file" | tr -dc 0-9)
	status=$(curl -s -o "$data_dir/league.json" -w '%{http_code}' -X POST "http://$LOAD_ADDR/api/v1/leagues" \
		-H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' \
		-d "{\"id\":\"$LEAGUE\",\"name\":\"Load test\",\"season\":$season,\"format\":\"regular\",\"rule_set\":\"ppr\",\"teams\":[$teams]}") || status=0
	if [ "$status" != 201 ]; then
		echo "load: creating league $LEAGUE failed with HTTP status $status: $(cat "$data_dir/league.json" 2>/dev/null)" >&2
		exit 1
	fi
	league_flag="-league $LEAGUE"
fi
if [ -n "$LEAGUES" ]; then
	season=$(basename "$stats_file" | tr -dc 0-9)
	league_flag="-leagues $LEAGUES -admin-key $admin_key -season $season"
fi
status=0
# shellcheck disable=SC2086 # the flags are meant to split into words
bin/loadgen -url "ws://$LOAD_ADDR/ws" -server-pid "$server_pid" -sessions "$SESSIONS" -players "$PLAYERS" \
	-bursts "$BURSTS" -duration "$((LOAD_INTERVAL * (BURSTS + 2) + 120))s" \
	-stats "$stats_file" $league_flag $LOADGEN_FLAGS || status=$?

if grep -q 'level=ERROR' "$data_dir/server.log"; then
	echo "load: the server logged errors:" >&2
	grep 'level=ERROR' "$data_dir/server.log" | head -n 10 >&2
fi
exit $status
