#!/usr/bin/env bash
# Builds the container image's final stage with buildah for amd64 and arm64
# from binaries cross-compiled here (no base image can be pulled in CI), into
# one manifest list, checks the list and each image's architecture, then
# runs the amd64 one: it must answer --version and serve /metrics against the
# simulator, as non-root, with the OCI labels and the exposed port the
# Dockerfile declares.
# Needs buildah (Debian package); runs as root with the vfs storage driver.
set -euo pipefail
cd "$(dirname "$0")/.."

export STORAGE_DRIVER=vfs
B="buildah --storage-driver vfs"
tag=localhost/twelvelabs_exporter:ci-$$
list=localhost/twelvelabs_exporter:ci-list-$$
work=$(mktemp -d)
ctr="" sim_pid="" run_pid=""
cleanup() {
  [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "$ctr" ] && $B rm "$ctr" >/dev/null 2>&1 || true
  $B rmi -f "$tag" "$tag-amd64" "$tag-arm64" >/dev/null 2>&1 || true
  $B manifest rm "$list" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "image-test: $*" >&2; exit 1; }

host_arch=$(go env GOARCH)
$B manifest create "$list" >/dev/null
for arch in amd64 arm64; do
  make -s image-binaries GOARCH_IMAGE="$arch"
  echo "image-test: building the exporter stage for linux/$arch from .build/$arch/"
  $B bud --quiet --isolation chroot --layers=false --platform "linux/$arch" --build-arg BINARIES=prebuilt \
    --build-arg VERSION="$(cat .build/VERSION)" --build-arg REVISION="$(git rev-parse HEAD)" \
    --target exporter -t "$tag-$arch" --manifest "$list" . >/dev/null
  got=$($B inspect --type image --format '{{.OCIv1.Architecture}}/{{.OCIv1.OS}}' "$tag-$arch")
  [ "$got" = "$arch/linux" ] || fail "image for $arch says $got"
  if [ "$arch" = "$host_arch" ]; then $B tag "$tag-$arch" "$tag"; fi
done
archs=$($B manifest inspect "$list" | python3 -c 'import json,sys; print(" ".join(sorted(m["platform"]["architecture"] for m in json.load(sys.stdin)["manifests"])))')
echo "image-test: manifest list $list holds: $archs"
[ "$archs" = "amd64 arm64" ] || fail "manifest list holds [$archs], want amd64 and arm64"

cfg=$($B inspect --type image --format '{{.OCIv1.Config.User}}|{{range $k, $v := .OCIv1.Config.ExposedPorts}}{{$k}}{{end}}|{{index .OCIv1.Config.Labels "org.opencontainers.image.title"}}|{{index .OCIv1.Config.Labels "org.opencontainers.image.version"}}|{{.OCIv1.Config.Entrypoint}}' "$tag")
echo "image-test: user|port|title|version|entrypoint = $cfg"
IFS='|' read -r user port title ver entry <<<"$cfg"
[ "$user" = "65534:65534" ] || fail "user $user, want 65534:65534 (non-root)"
[ "$port" = "10157/tcp" ] || fail "exposed $port, want 10157/tcp"
[ "$title" = "twelvelabs_exporter" ] || fail "OCI title label $title"
[ "$ver" = "$(cat .build/VERSION)" ] || fail "OCI version label $ver, want $(cat .build/VERSION)"
[ "$entry" = '[/bin/twelvelabs_exporter]' ] || fail "entrypoint $entry"

ctr=$($B from --quiet "$tag")
out=$($B run --isolation chroot "$ctr" -- /bin/twelvelabs_exporter --version 2>&1)
echo "$out" | head -n 1
echo "$out" | grep -q "twelvelabs_exporter, version $(cat .build/VERSION)" || fail "--version said: $out"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sim_port=$(free_port) port=$(free_port)
".build/$host_arch/bin/twelvelabs-simulator" --listen-address="127.0.0.1:$sim_port" --api-key=image-test --v1-tasks=60 --v2-tasks=70 --rate=0 >"$work/sim.log" 2>&1 &
sim_pid=$!
$B config --env TWELVELABS_API_KEY=image-test "$ctr"
$B run --isolation chroot "$ctr" -- /bin/twelvelabs_exporter --web.listen-address="127.0.0.1:$port" \
  --twelvelabs.url="http://127.0.0.1:$sim_port/v1.3" >"$work/exporter.log" 2>&1 &
run_pid=$!
for _ in $(seq 1 100); do curl -fsS -o "$work/metrics" "http://127.0.0.1:$port/metrics" 2>/dev/null && break; sleep 0.1; done
[ -s "$work/metrics" ] || { cat "$work/exporter.log"; fail "the image's exporter did not serve /metrics"; }
for want in 'twelvelabs_up{api="v1"} 1' 'twelvelabs_up{api="v2"} 1' "twelvelabs_exporter_build_info{"; do
  grep -qF "$want" "$work/metrics" || fail "/metrics lacks $want"
done
total=$(awk '/^twelvelabs_embed_tasks\{/ {s += $2} END {print s}' "$work/metrics")
[ "$total" = 130 ] || fail "exported $total tasks, want 130"
grep -q image-test "$work/exporter.log" "$work/metrics" && fail "the key reached the log or the metrics"
echo "image-test: the image served /metrics: 130 tasks, both APIs up"
