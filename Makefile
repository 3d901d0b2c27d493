# twelvelabs_exporter: make build | test | lint | demo | bench | image
GO                    ?= go
GOLANGCI_LINT_VERSION ?= v2.15.0
PKG                   := github.com/prometheus/common/version
VERSION               ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION              ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH                ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER            ?= $(shell id -un 2>/dev/null || echo unknown)
BUILD_DATE            ?= $(shell date -u +%Y%m%d-%H:%M:%S)
LDFLAGS := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) \
           -X $(PKG).Branch=$(BRANCH) -X $(PKG).BuildUser=$(BUILD_USER) -X $(PKG).BuildDate=$(BUILD_DATE)

.PHONY: build test lint demo
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o twelvelabs_exporter .
	CGO_ENABLED=0 $(GO) build -trimpath -o twelvelabs-simulator ./cmd/twelvelabs-simulator

# The README's test command.
test:
	$(GO) test -race -count=1 ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) run ./...

demo:
	bash demo/run.sh

.PHONY: bench
# Scrape wall time, requests and peak RSS against the simulator, then the Go benchmarks.
bench:
	bash bench/run.sh
