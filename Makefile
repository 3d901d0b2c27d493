# twelvelabs_exporter: make build | test | lint | fuzz | demo | bench | image
# .ci/run calls these targets, so that a developer and CI run the same thing.
GO                    ?= go
GOLANGCI_LINT_VERSION ?= v2.15.0
FUZZTIME              ?= 20s
PKG                   := github.com/prometheus/common/version
VERSION               ?= $(shell cat VERSION)
REVISION              ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH                ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER            ?= $(shell id -un 2>/dev/null || echo unknown)
BUILD_DATE            ?= $(shell date -u +%Y%m%d-%H:%M:%S)
# The one definition of the version stamp: the Dockerfile builds through
# image-binaries too.
LDFLAGS := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) \
           -X $(PKG).Branch=$(BRANCH) -X $(PKG).BuildUser=$(BUILD_USER) -X $(PKG).BuildDate=$(BUILD_DATE)

.PHONY: build test lint fuzz demo demo-check bench image image-binaries release-check helm-check systemd-check

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o twelvelabs_exporter .
	CGO_ENABLED=0 $(GO) build -trimpath -o twelvelabs-simulator ./cmd/twelvelabs-simulator

# The README's test command, in two steps, ending with
# internal/testsummary's summary of every run: failures in full, and every
# skipped test with the reason it gave.
#   1. What times nothing, side by side: the differential test of both
#      listing modes against the simulator's own aggregate at full length
#      (200 scrapes in each of the API's behaviours, on a simulated clock;
#      -race would slow it ten-fold, and runs fewer there), in two
#      processes, the modes from a to d and the others, niced; the Helm
#      chart's checks (deploy/helm-check.sh, make helm-check); the mixin's
#      (make mixin-check).
#   2. go test -race ./..., alone (beside step 1 on two cores, the fault
#      matrix's timed scrapes failed); its e2e tests run in parallel
#      (-parallel 6), since they mostly wait on real time.
# A run of step 1 that ran no test fails (-run names a test that must
# exist). The Go tests run with GOGC=1000 (and GOMEMLIMIT=1GiB): the
# differential test spends a quarter of its CPU in the garbage collector at
# the default 100, and make test is CPU-bound on 2 cores. The programs the
# e2e tests start and measure (the exporter's memory, Prometheus) get an
# environment of their own (internal/testproc), without these.
TEST_GC := GOGC=1000 GOMEMLIMIT=1GiB
test:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; trap 'exit 130' INT TERM; \
	echo "make test: the full-length differential test, the Helm chart's and the mixin's checks; then go test -race ./..." >&2; \
	{ \
		$(TEST_GC) nice -n 10 $(GO) test -count=1 -timeout 30m -json -run '^TestListingsEqualTheAPI$$/^[a-d]' ./collector >$$tmp/full-length-1.json & \
		$(TEST_GC) nice -n 10 $(GO) test -count=1 -timeout 30m -json -run '^TestListingsEqualTheAPI$$' -skip '^TestListingsEqualTheAPI$$/^[a-d]' ./collector >$$tmp/full-length-2.json & \
		HELM_CHECK_JSON=$$tmp/helm.json bash deploy/helm-check.sh >$$tmp/helm-check.log 2>&1 || cat $$tmp/helm-check.log >>$$tmp/helm.json & \
		{ cd twelvelabs-mixin && { $(GO) vet ./... >$$tmp/mixin-vet.log 2>&1 || cat $$tmp/mixin-vet.log; } && $(GO) test -count=1 -json ./...; } >$$tmp/mixin.json & \
		wait; \
		$(TEST_GC) $(GO) test -race -count=1 -timeout 30m -parallel 6 -json ./...; \
	} | $(GO) run ./internal/testsummary -show 'requests a scrape' \
		'full-length a-d'=$$tmp/full-length-1.json 'full-length e-z'=$$tmp/full-length-2.json \
		helm-check=$$tmp/helm.json mixin-check=$$tmp/mixin.json

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) run ./...

# Short fixed-time fuzzing of the decoders that read the API's answers; the
# seed corpora live in client/testdata/fuzz/.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodePage$$' -fuzztime $(FUZZTIME) ./client
	$(GO) test -run '^$$' -fuzz '^FuzzParseErrorBody$$' -fuzztime $(FUZZTIME) ./client

demo:
	bash demo/run.sh

# The demo as a newcomer meets it, with and without Prometheus installed.
demo-check:
	bash demo/check.sh

# Scrape wall time, requests and peak RSS against the simulator, the Go
# benchmarks, then 100 accounts in one process.
bench:
	bash bench/run.sh
	bash bench/accounts.sh
	bash bench/memory.sh

# Static binaries and CA certificates in .build/$(GOARCH)/, for the
# Dockerfile: its source stage runs this target (for the platform buildx
# asks for), and CI builds the multi-arch image from them with buildah,
# since no base image can be pulled there.
GOARCH_IMAGE ?= $(shell $(GO) env GOARCH)
image-binaries:
	mkdir -p .build/$(GOARCH_IMAGE)/bin .build/$(GOARCH_IMAGE)/etc/ssl/certs
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH_IMAGE) $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o .build/$(GOARCH_IMAGE)/bin/twelvelabs_exporter .
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH_IMAGE) $(GO) build -trimpath -ldflags "-s -w" -o .build/$(GOARCH_IMAGE)/bin/twelvelabs-simulator ./cmd/twelvelabs-simulator
	cp /etc/ssl/certs/ca-certificates.crt .build/$(GOARCH_IMAGE)/etc/ssl/certs/
	echo "$(VERSION)" > .build/VERSION

# The image: with Docker, from source (docker build .); here, with buildah
# from .build/ and checked by running it.
image:
	bash deploy/image-test.sh

# Release archives for every platform, in snapshot mode, checked: contents,
# checksums, architectures, and the linux/amd64 binary's --version.
release-check:
	bash deploy/release-check.sh

# The Helm chart: helm lint, helm template, rendered objects decoded strictly
# into the Kubernetes and Prometheus Operator types, its copies of the rules
# and dashboard equal to their sources; the kustomize base the same way.
helm-check:
	bash deploy/helm-check.sh

# The systemd units: systemd-analyze verify and security, a socket-activated run.
systemd-check:
	bash examples/systemd/check.sh

# The mixin (twelvelabs-mixin/, a Go module of its own): render it into
# alerts/twelvelabs.rules.yml, dashboards/twelvelabs.json, the Helm chart's
# copies and the kustomize base's objects (make mixin); check that the
# checked-in files are what it renders, the dashboard decoded strictly by
# Grafana's schema types, and user overrides (make mixin-check, part of
# make test).
.PHONY: mixin mixin-check
mixin:
	cd twelvelabs-mixin && $(GO) run ./cmd/generate -root ..
	$(GO) test -count=1 -run '^TestGeneratedManifestsMatchTheirSources$$' ./deploy/kubernetes -update

mixin-check:
	cd twelvelabs-mixin && $(GO) vet ./... && $(GO) test -count=1 ./...
