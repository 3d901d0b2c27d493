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
#   bash deploy/helm-check.sh --tools   # only build the tools (CI, before make test)
#
# Runs from anywhere, on a fresh Debian machine as root; helm, kustomize and
# helm-docs are built from the Go module proxy at pinned versions (4 to 5
# minutes the first time on 2 cores) into $HELM_CHECK_TOOLS (default
# ~/.cache/twelvelabs_exporter/helm-tools), once per version.
#
# make test runs this script beside its other runs, with
# HELM_CHECK_JSON=FILE: the Go tests' `go test -json` goes to FILE (for
# internal/testsummary) instead of -v to stdout.
set -euo pipefail
case ${HELM_CHECK_JSON:-/} in /*) ;; *) HELM_CHECK_JSON=$PWD/$HELM_CHECK_JSON ;; esac
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

# tool PKG@VERSION: the path of its program, built into a directory of its
# own under $HELM_CHECK_TOOLS unless one that runs is there already. A
# module's go install ignores the current module (and -mod=readonly);
# GOWORK=off keeps a go.work out of it.
tools=${HELM_CHECK_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/twelvelabs_exporter/helm-tools}
tool() {
  local pkg=$1 name dir
  name=$(basename "${pkg%@*}")
  [[ $name =~ ^v[0-9]+$ ]] && name=$(basename "$(dirname "${pkg%@*}")") # .../kustomize/v5@...
  dir="$tools/$(printf '%s' "$pkg" | tr '/@' '__')"
  if ! [ -x "$dir/$name" ] || ! "$dir/$name" --help >/dev/null 2>&1; then
    mkdir -p "$dir"
    (cd "$dir" && GOWORK=off GOBIN="$dir" timeout 20m go install "$pkg") >&2 || fail "go install $pkg"
  fi
  echo "$dir/$name"
}

step "build helm, kustomize, helm-docs (pinned, cached in $tools)"
HELM=$(tool "$HELM_PKG")
KUSTOMIZE=$(tool "$KUSTOMIZE_PKG")
HELM_DOCS=$(tool "$HELM_DOCS_PKG")
export HELM KUSTOMIZE HELM_DOCS
if [ "${1:-}" = --tools ]; then
  echo "helm-check: $HELM, $KUSTOMIZE, $HELM_DOCS"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "build the exporter"
timeout 10m go build -o "$work/twelvelabs_exporter" . || fail "go build of the exporter"
export EXPORTER="$work/twelvelabs_exporter"
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
hint="if only the copies of the rules or dashboard drifted: cd deploy/helm && go test ./... -update"
if [ -n "${HELM_CHECK_JSON:-}" ]; then
  (cd deploy/helm && timeout 15m go test -count=1 -json ./...) >"$HELM_CHECK_JSON" ||
    fail "go test in deploy/helm, whose go test -json make test summarises ($hint)"
else
  (cd deploy/helm && timeout 15m go test -count=1 -v ./... 2>&1) | tee "$work/test.log" | grep -v '^=== RUN' || true
  grep -q '^ok ' "$work/test.log" || fail "go test in deploy/helm ($hint)"
fi

step "done"
echo "helm-check: OK in ${SECONDS}s"
