#!/usr/bin/env bash
# Checks the Helm chart deploy/helm/twelvelabs-exporter and the kustomize
# base deploy/kubernetes: helm lint and helm template with the default
# values, with every toggle on and with each example of the chart's ci/
# (one account, and several behind a ServiceMonitor or Probes); a typo in
# the values must fail the schema; the chart's README must be helm-docs'
# output. Then the Go tests in deploy/helm (a module of its own), which
# decode every rendered object strictly into the Kubernetes and Prometheus
# Operator API types, start the exporter with the rendered arguments and GET
# its probes, compare the rendered accounts with what the exporter's
# --config.check reads, and keep the chart's copies of the rules and the
# dashboard equal to alerts/ and dashboards/.
#
#   bash deploy/helm-check.sh
#
# Runs from anywhere, on a fresh Debian machine as root; helm, kustomize and
# helm-docs are built from the Go module proxy at pinned versions (4 to 5
# minutes the first time on 2 cores, then cached).
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep in step with deploy/helm/tools_test.go.
HELM_PKG=helm.sh/helm/v3/cmd/helm@v3.22.0
KUSTOMIZE_PKG=sigs.k8s.io/kustomize/kustomize/v5@v5.8.2
HELM_DOCS_PKG=github.com/norwoodj/helm-docs/cmd/helm-docs@v1.14.2
HELM_DOCS_ARGS=(--sort-values-order=file --log-level=warning)
CHART=deploy/helm/twelvelabs-exporter
EVERY_TOGGLE=deploy/helm/testdata/every-toggle.yaml

command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
export HOME="${HOME:-/root}"
fail() { echo "helm-check: FAIL: $*" >&2; exit 1; }
step() { printf '\n=== helm-check: %s (at %ds)\n' "$*" "$SECONDS"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "build helm, kustomize, helm-docs (pinned) and the exporter"
for pkg in "$HELM_PKG" "$KUSTOMIZE_PKG" "$HELM_DOCS_PKG"; do
  GOBIN="$work/bin" timeout 20m go install "$pkg" || fail "go install $pkg"
done
timeout 10m go build -o "$work/bin/twelvelabs_exporter" . || fail "go build of the exporter"
export HELM="$work/bin/helm" KUSTOMIZE="$work/bin/kustomize" HELM_DOCS="$work/bin/helm-docs" EXPORTER="$work/bin/twelvelabs_exporter"
echo "helm-check: $HELM_PKG, $KUSTOMIZE_PKG, $HELM_DOCS_PKG, and the exporter from this working tree"

values=("$EVERY_TOGGLE" "$CHART"/ci/*-values.yaml)

step "helm lint"
"$HELM" lint --strict "$CHART" || fail "helm lint with the default values"
for v in "${values[@]}"; do
  "$HELM" lint --strict "$CHART" -f "$v" >"$work/lint.log" 2>&1 || { cat "$work/lint.log"; fail "helm lint with $v"; }
  echo "helm-check: lint -f $v: OK"
done

step "helm template"
kinds() { grep -E '^kind: ' | sed 's/^kind: //' | sort | uniq -c | awk '{printf "%s%s ", $2, ($1 > 1 ? "x" $1 : "")}'; }
"$HELM" template tl "$CHART" >"$work/default.yaml" || fail "helm template with the default values"
echo "helm-check: default values render: $(kinds <"$work/default.yaml")"
for v in "${values[@]}"; do
  "$HELM" template tl "$CHART" -f "$v" >"$work/rendered.yaml" || fail "helm template with $v"
  echo "helm-check: $v renders: $(kinds <"$work/rendered.yaml")"
done

step "values.schema.json: a typo in the values fails"
if "$HELM" template tl "$CHART" --set serviceMonitor.enable=true >/dev/null 2>"$work/typo.log"; then
  fail "helm template --set serviceMonitor.enable=true (a typo) rendered without error"
fi
grep -q "'enable' not allowed" "$work/typo.log" || { cat "$work/typo.log"; fail "the schema error does not name the typo"; }
echo "helm-check: --set serviceMonitor.enable=true: $(grep "not allowed" "$work/typo.log")"

step "README.md is helm-docs' output"
cp -r "$CHART" "$work/docs"
"$HELM_DOCS" --chart-search-root="$work/docs" "${HELM_DOCS_ARGS[@]}" || fail "helm-docs"
cmp -s "$work/docs/README.md" "$CHART/README.md" || {
  diff -u "$CHART/README.md" "$work/docs/README.md" | head -40
  fail "$CHART/README.md is out of date: cd deploy/helm && helm-docs --chart-search-root=twelvelabs-exporter ${HELM_DOCS_ARGS[*]}"
}
echo "helm-check: README.md is up to date"

step "go vet and gofmt in deploy/helm"
(cd deploy/helm && go vet ./...) || fail "go vet in deploy/helm"
unformatted=$(gofmt -l deploy/helm)
[ -z "$unformatted" ] || fail "gofmt would change: $unformatted"

step "go test in deploy/helm: strict decoding, flags, probes, accounts, scrape objects, schema, copies of the rules and dashboard"
(cd deploy/helm && timeout 15m go test -count=1 -v ./... 2>&1) | tee "$work/test.log" | grep -v '^=== RUN' || true
grep -q '^ok ' "$work/test.log" ||
  fail "go test in deploy/helm (if only the copies of the rules or dashboard drifted: cd deploy/helm && go test ./... -update)"

step "done"
echo "helm-check: OK in ${SECONDS}s"
