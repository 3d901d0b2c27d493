#!/usr/bin/env bash
# Checks the Helm chart deploy/helm/twelvelabs-exporter and the kustomize
# base deploy/kubernetes: helm lint and helm template with the default values
# and with every toggle on, then the Go tests in deploy/helm (a module of its
# own), which decode every rendered object strictly into the Kubernetes and
# Prometheus Operator API types, start the exporter with the rendered
# arguments and GET its probes, and keep the chart's copies of the rules and
# the dashboard equal to alerts/ and dashboards/.
#
#   bash deploy/helm-check.sh
#
# Runs from anywhere, on a fresh Debian machine as root; helm and kustomize
# are built from the Go module proxy at pinned versions (about 4 minutes the
# first time on 2 cores, then cached).
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep in step with deploy/helm/tools_test.go.
HELM_PKG=helm.sh/helm/v3/cmd/helm@v3.22.0
KUSTOMIZE_PKG=sigs.k8s.io/kustomize/kustomize/v5@v5.8.2
CHART=deploy/helm/twelvelabs-exporter
EVERY_TOGGLE=deploy/helm/testdata/every-toggle.yaml

command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
export HOME="${HOME:-/root}"
fail() { echo "helm-check: FAIL: $*" >&2; exit 1; }
step() { printf '\n=== helm-check: %s (at %ds)\n' "$*" "$SECONDS"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "build helm, kustomize (pinned) and the exporter"
GOBIN="$work/bin" timeout 20m go install "$HELM_PKG" || fail "go install $HELM_PKG"
GOBIN="$work/bin" timeout 20m go install "$KUSTOMIZE_PKG" || fail "go install $KUSTOMIZE_PKG"
timeout 10m go build -o "$work/bin/twelvelabs_exporter" . || fail "go build of the exporter"
export HELM="$work/bin/helm" KUSTOMIZE="$work/bin/kustomize" EXPORTER="$work/bin/twelvelabs_exporter"
echo "helm-check: $HELM_PKG, $KUSTOMIZE_PKG, and the exporter from this working tree"

step "helm lint"
"$HELM" lint --strict "$CHART" || fail "helm lint with the default values"
"$HELM" lint --strict "$CHART" -f "$EVERY_TOGGLE" || fail "helm lint with $EVERY_TOGGLE"

step "helm template"
kinds() { grep -E '^kind: ' | sed 's/^kind: //' | sort | tr '\n' ' '; }
"$HELM" template tl "$CHART" >"$work/default.yaml" || fail "helm template with the default values"
echo "helm-check: default values render: $(kinds <"$work/default.yaml")"
"$HELM" template tl "$CHART" -f "$EVERY_TOGGLE" >"$work/every-toggle.yaml" || fail "helm template with $EVERY_TOGGLE"
echo "helm-check: every toggle on renders: $(kinds <"$work/every-toggle.yaml")"

step "go vet and gofmt in deploy/helm"
(cd deploy/helm && go vet ./...) || fail "go vet in deploy/helm"
unformatted=$(gofmt -l deploy/helm)
[ -z "$unformatted" ] || fail "gofmt would change: $unformatted"

step "go test in deploy/helm: strict decoding, flags, probes, labels, copies of the rules and dashboard"
(cd deploy/helm && timeout 15m go test -count=1 -v ./... 2>&1) | tee "$work/test.log" | grep -v '^=== RUN' || true
grep -q '^ok ' "$work/test.log" ||
  fail "go test in deploy/helm (if only the copies of the rules or dashboard drifted: cd deploy/helm && go test ./... -update)"

step "done"
echo "helm-check: OK in ${SECONDS}s"
