# nflsync build and test entry points. `make help` lists the targets.

GO ?= go
# protoc-gen-go must match google.golang.org/protobuf in go.mod.
PROTOC_GEN_GO_VERSION := v1.36.12
GOBIN := $(shell $(GO) env GOPATH)/bin

# `make run` replays the real 2024 season from testdata, one week per tick.
REPLAY_DIR ?= testdata/replay/2024
NFL_SYNC_INTERVAL_SECONDS ?= 5
# ... and plays saved ESPN scoreboards of one live game beside it; set
# LIVE_SOURCE=off to leave it out.
LIVE_SOURCE ?= replay:testdata/espn/scoreboard-events
NFL_SYNC_LISTEN_ADDR ?= 127.0.0.1:8080
export NFL_SYNC_INTERVAL_SECONDS NFL_SYNC_LISTEN_ADDR

# The suite takes about 10 minutes on 2 cores; -timeout is per test binary
# and only stops a hung one.
TEST_TIMEOUT ?= 25m

# Each fuzz target runs this many inputs in `make test` (about 5 to 12 s
# each on 2 cores); `make fuzz FUZZTIME=5m` runs them longer. A count, not a
# duration: Go 1.26's fuzz coordinator can fail a target with "context
# deadline exceeded" when a duration ends while a worker is busy
# (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 50000x
FUZZ_TARGETS := \
	adapters/nflverse:FuzzReadPlayerStats \
	adapters/nflverse:FuzzReadPlayerStatsParquet \
	adapters/nflverse:FuzzReadSchedule \
	adapters/nflverse:FuzzReadScheduleParquet \
	adapters/nflverse:FuzzReadRoster \
	adapters/nflverse:FuzzReadInjuries \
	adapters/nflverse:FuzzCSVReader \
	adapters/espn:FuzzParseScoreboard \
	adapters/espn:FuzzParseSummary \
	adapters/mongo:FuzzDecodeStats

.PHONY: help run cluster build test test-deps fuzz lint bench load generate hazelcast-jar deploy-check

help:
	@echo "make run        replay the real 2024 season on $(NFL_SYNC_LISTEN_ADDR) (WebSocket at /ws)"
	@echo "make cluster    three clustered nodes on 127.0.0.1:8081-8083 with a Hazelcast member and FerretDB (CLUSTER_FLAGS=-h lists the flags)"
	@echo "make test       lint, then every test with -race, then each fuzz target for $(FUZZTIME)"
	@echo "make fuzz       each fuzz target for FUZZTIME (default $(FUZZTIME))"
	@echo "make bench      Go benchmarks of ingest, diff and scoring"
	@echo "make lint       go vet and a gofmt check"
	@echo "make deploy-check  validate deploy/ (Dockerfile, Compose, Kubernetes) offline"
	@echo "make generate   regenerate messages/nflsync.pb.go with protoc"

run:
	NFL_SYNC_SOURCE=replay:$(REPLAY_DIR) NFL_SYNC_LIVE_SOURCE=$(LIVE_SOURCE) $(GO) run ./cmd/nflsync serve

# `make cluster` runs cmd/localcluster: three nodes of bin/nflsync in one
# cluster on 127.0.0.1, replaying 2024, with a Hazelcast member and an
# embedded FerretDB, until Ctrl-C. CLUSTER_FLAGS passes flags to it, such as
# CLUSTER_FLAGS='-v -interval 10'. It is built and run rather than started
# with `go run`, because `go run` (Go 1.26) exits with status 1 after a
# Ctrl-C even when the program exits with 0, and make then reports an error.
CLUSTER_FLAGS ?=

cluster: build hazelcast-jar
	$(GO) build -o bin/localcluster ./cmd/localcluster
	NFL_SYNC_HAZELCAST_JAR="$$(sh scripts/hazelcast/fetch.sh)" \
		bin/localcluster -nflsync bin/nflsync -replay $(REPLAY_DIR) $(CLUSTER_FLAGS)

build:
	$(GO) build -o bin/nflsync ./cmd/nflsync

test: lint test-deps deploy-check
	NFL_SYNC_HAZELCAST_JAR="$$(sh scripts/hazelcast/fetch.sh)" \
		$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) --no-print-directory fuzz

# test-deps installs the servers and tools the tests start: the Hazelcast
# jar (Maven), Prometheus and promtool (apt), Chromium, Node.js and
# playwright-core (apt and npm), and iproute2 (apt), whose ip command
# builds the network namespaces of the cluster partition test.
test-deps: hazelcast-jar
	@sh scripts/prometheus/ensure.sh
	@sh e2e/browser/ensure.sh
	@command -v ip >/dev/null || { apt-get update -qq && apt-get install -y -qq iproute2; }

fuzz:
	@for target in $(FUZZ_TARGETS); do \
		package=$${target%%:*}; name=$${target##*:}; \
		echo "fuzz $$package $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x ./$$package || exit 1; \
	done

# deploy-check validates the Dockerfile, the Compose file and the
# Kubernetes manifests with offline validators from PyPI (installed once
# into .cache/deploy-validate) and runs the cross-file Go checks.
deploy-check:
	@sh deploy/validate/check.sh
	$(GO) test -count=1 ./deploy/validate/

lint:
	$(GO) vet ./...
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# `make load SESSIONS=10000 BURSTS=2 LEAGUES=1000` runs the fan-out load test
# of cmd/loadgen against a replay server; cmd/loadgen/load.sh lists every
# parameter and docs/BENCHMARKS.md the results.
load:
	$(GO) build -o bin/nflsync ./cmd/nflsync
	$(GO) build -o bin/loadgen ./cmd/loadgen
	SESSIONS='$(SESSIONS)' PLAYERS='$(PLAYERS)' LEAGUE='$(LEAGUE)' LEAGUES='$(LEAGUES)' BURSTS='$(BURSTS)' \
		BURST_PLAYERS='$(BURST_PLAYERS)' LOAD_INTERVAL='$(LOAD_INTERVAL)' LOADGEN_FLAGS='$(LOADGEN_FLAGS)' \
		REPLAY_DIR='$(REPLAY_DIR)' \
		sh cmd/loadgen/load.sh

hazelcast-jar:
	@sh scripts/hazelcast/fetch.sh >/dev/null

generate:
	@command -v protoc >/dev/null || { apt-get update -qq && apt-get install -y -qq protobuf-compiler; }
	GOBIN=$(GOBIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	PATH="$(GOBIN):$$PATH" protoc --go_out=messages --go_opt=paths=source_relative -I messages messages/nflsync.proto messages/league.proto messages/live.proto messages/nflsync_cluster.proto
