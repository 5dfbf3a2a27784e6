# Sozialatlas — two commands:
#   make run    set up and run the demo atlas on http://127.0.0.1:8080
#   make test   set up and pass all tests
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

BIN := bin/sozialatlas
STATICCHECK := v0.8.2
GO_SOURCES := $(shell find . -name '*.go' -not -path './.data/*' 2>/dev/null) go.mod go.sum $(wildcard data/migrations/*.sql)

.PHONY: run test bench soak build setup-run setup-test setup-bench vet fuzz clean

run: setup-run $(BIN)
	$(BIN) serve --demo data/demo

build: $(BIN)

$(BIN): $(GO_SOURCES)
	go build -o $(BIN) ./cmd/sozialatlas

setup-run:
	@scripts/setup-debian.sh run

setup-test:
	@scripts/setup-debian.sh test
	@test -d geo/oapif/testdata/node_modules/@apidevtools/swagger-parser || npm ci --prefix geo/oapif/testdata --no-audit --no-fund
	@test -f cmd/sozialatlas/testdata/browser/node_modules/axe-core/package.json || npm ci --prefix cmd/sozialatlas/testdata/browser --no-audit --no-fund
	@test -d tiles/pmtiles/testdata/node_modules/pmtiles || npm ci --prefix tiles/pmtiles/testdata --no-audit --no-fund

setup-bench:
	@scripts/setup-debian.sh bench
	@test -f cmd/sozialatlas/testdata/browser/node_modules/axe-core/package.json || npm ci --prefix cmd/sozialatlas/testdata/browser --no-audit --no-fund

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...

# One throwaway PostgreSQL cluster serves the whole test run; every test
# gets its own database from a migrated template.
test: setup-test vet
	go run ./data/pgtest/run -- go test -count=1 -timeout 30m ./...
	@$(MAKE) --no-print-directory fuzz

# Every fuzz target runs for FUZZTIME on top of its committed corpus
# (testdata/fuzz/, which plain go test replays), so that each CI run looks
# for new crashes in the parsers of what clients and files send: about
# 90 s for the five. A crash is written to testdata/fuzz/ and fails the run.
FUZZTIME ?= 15s
FUZZ_TARGETS := geo/cql2:FuzzParseText geo/cql2:FuzzParseJSON indicators/table:FuzzReadCSV \
	tiles:FuzzTileParams geo/oapif:FuzzParseItems
fuzz:
	go run ./data/pgtest/run -- bash -c 'set -e; for t in $(FUZZ_TARGETS); do \
	  go test -run "^$$" -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*}/; done'

# Each benchmark reports its own floor, measured in the same run: a bare
# ST_AsGeoJSON query, a bare COPY of the same rows, the naive per-request
# tile query and the same tiles served from memory.
bench: setup-bench $(BIN)
	go run ./data/pgtest/run -- bash -c "\
	  go test -run '^$$' -bench 'GemeindeCollection|ValuesGemeinden|FilterGemeinden|JenksGemeinden|AreaTypesGemeinden|MoranGemeinden|ReadVG5000' -benchtime 10x -timeout 30m ./cmd/... ./geo/... ./indicators/ && \
	  go test -run '^$$' -bench 'ImportMillion|Publish' -benchtime 1x -timeout 30m ./indicators/ && \
	  go test -run '^$$' -bench 'Tiles' -benchtime 1x -timeout 30m ./cmd/sozialatlas/ && \
	  go test -run '^$$' -bench 'ViewerLoad' -benchtime 5x -timeout 30m ./cmd/sozialatlas/"

# Ten minutes of mixed load at 64 connections (wrk), with throughput,
# latency, heap and resident memory after every minute.
soak: setup-bench
	go run ./data/pgtest/run -- go test -run '^$$' -bench Soak -benchtime 1x -timeout 60m ./cmd/sozialatlas/

clean:
	rm -rf bin
