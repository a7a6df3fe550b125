# Every target calls go directly; see README.md.
GO ?= go

.PHONY: test test-short vet fmt build fuzz bench

# The README's test command: every module of the workspace, with the race
# detector (the engine and servers are concurrent).
test:
	$(GO) test -race -timeout 25m work

test-short:
	$(GO) test -short work

vet:
	$(GO) vet work

fmt:
	gofmt -l -w $$(git ls-files '*.go')

build:
	mkdir -p bin
	$(GO) build -ldflags "-X github.com/shardis/shardis/shardd/internal/engine.Version=$$(git describe --always --dirty 2>/dev/null || echo dev)" -o bin/shardd ./shardd/cmd/shardd
	$(GO) build -o bin/shardis-meta ./meta/cmd/shardis-meta
	$(GO) build -o bin/shardis-proxy ./proxy/cmd/shardis-proxy

# Short fuzzing of every parser; the seed corpora run as part of `make test`.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 30s ./pkg/resp
	$(GO) test -run '^$$' -fuzz FuzzSplitArgs -fuzztime 30s ./pkg/resp
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime 30s ./shardd/aof
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime 30s ./shardd/internal/rdb
	$(GO) test -run '^$$' -fuzz FuzzDecodeValue -fuzztime 30s ./shardd/internal/rdb

bench:
	bash tools/bench/redis-benchmark.sh
