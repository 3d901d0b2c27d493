# twelvelabs_exporter: make build | test | lint | demo | bench | image
GO                    ?= go
GOLANGCI_LINT_VERSION ?= v2.15.0
PKG                   := github.com/prometheus/common/version
VERSION               ?= $(shell cat VERSION)
REVISION              ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH                ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER            ?= $(shell id -un 2>/dev/null || echo unknown)
BUILD_DATE            ?= $(shell date -u +%Y%m%d-%H:%M:%S)
LDFLAGS := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) \
           -X $(PKG).Branch=$(BRANCH) -X $(PKG).BuildUser=$(BUILD_USER) -X $(PKG).BuildDate=$(BUILD_DATE)

.PHONY: build test lint demo image image-binaries
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

# Static binaries and CA certificates in .build/, for the Dockerfile's
# "prebuilt" stage: CI builds the image from them with buildah, since no
# base image can be pulled there.
image-binaries:
	mkdir -p .build/bin .build/etc/ssl/certs
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o .build/bin/twelvelabs_exporter .
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o .build/bin/twelvelabs-simulator ./cmd/twelvelabs-simulator
	cp /etc/ssl/certs/ca-certificates.crt .build/etc/ssl/certs/
	echo "$(VERSION)" > .build/VERSION

# The image: with Docker, from source (docker build .); here, with buildah
# from .build/ and checked by running it.
image:
	bash deploy/image-test.sh
