#!/usr/bin/env bash
# Builds Prometheus 3 (the Go module github.com/prometheus/prometheus at
# v0.316.0, which is Prometheus 3.16.0) from the Go module proxy into DIR and
# prints the binary's path, for the end-to-end test TestPrometheus3 (which
# reads it from $PROMETHEUS3) next to Debian's Prometheus 2.42:
#
#   export PROMETHEUS3=$(bash deploy/prometheus3.sh /tmp/prom3)
#
# DIR defaults to ~/.cache/twelvelabs_exporter/prometheus-v0.316.0. Nothing
# is rebuilt when DIR already holds that version. About 8 minutes the first
# time on 2 cores (most of it downloading and compiling the service
# discovery SDKs), seconds once Go's caches are warm. Build output goes to
# stderr; stdout is the path alone.
#
# The module zip has no compiled web UI (web/ui/static is produced by npm in
# Prometheus's own release process), so this is the build without the
# builtinassets tag: the UI pages answer 500, the HTTP API (all the test
# uses) is complete.
set -euo pipefail

PROMETHEUS_MODULE=github.com/prometheus/prometheus
PROMETHEUS_MODULE_VERSION=v0.316.0 # Prometheus 3.16.0
PROMETHEUS_VERSION=3.16.0

dir=${1:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/twelvelabs_exporter/prometheus-$PROMETHEUS_MODULE_VERSION}
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
export HOME="${HOME:-/root}"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin="$dir/prometheus"

if [ -x "$bin" ] && "$bin" --version 2>&1 | head -n 1 | grep -q "version $PROMETHEUS_VERSION "; then
  echo "prometheus3: $bin is already Prometheus $PROMETHEUS_VERSION" >&2
  echo "$bin"
  exit 0
fi

echo "prometheus3: building $PROMETHEUS_MODULE/cmd/prometheus@$PROMETHEUS_MODULE_VERSION into $dir" >&2
start=$SECONDS
# A module's go install ignores the current module (and so -mod=readonly in
# GOFLAGS); GOWORK=off keeps a go.work out of it too. The version variables
# are what Prometheus's own release build sets, so that --version and
# /api/v1/status/buildinfo say 3.16.0 rather than nothing.
version_pkg=github.com/prometheus/common/version
ldflags="-X $version_pkg.Version=$PROMETHEUS_VERSION -X $version_pkg.Branch=$PROMETHEUS_MODULE_VERSION"
ldflags+=" -X $version_pkg.BuildUser=twelvelabs_exporter/deploy/prometheus3.sh"
ldflags+=" -X $version_pkg.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
(cd "$dir" && GOWORK=off GOBIN="$dir" timeout 40m \
  go install -ldflags "$ldflags" "$PROMETHEUS_MODULE/cmd/prometheus@$PROMETHEUS_MODULE_VERSION" >&2) ||
  { echo "prometheus3: FAIL: go install $PROMETHEUS_MODULE/cmd/prometheus@$PROMETHEUS_MODULE_VERSION" >&2; exit 1; }

"$bin" --version 2>&1 | head -n 1 | grep -q "version $PROMETHEUS_VERSION " ||
  { echo "prometheus3: FAIL: $bin --version does not say $PROMETHEUS_VERSION:" >&2; "$bin" --version >&2 || true; exit 1; }
echo "prometheus3: built in $((SECONDS - start))s: $("$bin" --version 2>&1 | head -n 1)" >&2
echo "$bin"
