#!/usr/bin/env bash
# Builds the release archives as a GoReleaser snapshot into dist/ and checks
# them: every archive of .goreleaser.yaml's platforms exists and holds the
# binary, LICENSE and README.md; the checksums verify; each binary is for its
# OS and architecture and stamped with the version; the linux/amd64 binary
# runs and prints that version, revision and branch.
#
#   bash deploy/release-check.sh
#
# Runs from anywhere, on a fresh Debian machine as root. The first run builds
# GoReleaser itself (about 5 minutes on 2 cores), then the five binaries
# (about 4 minutes with a cold build cache).
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER=github.com/goreleaser/goreleaser/v2@v2.15.1
# platform (goos-goarch) and archive extension, as .goreleaser.yaml builds them
PLATFORMS="linux-amd64:tar.gz linux-arm64:tar.gz darwin-amd64:tar.gz darwin-arm64:tar.gz windows-amd64:zip"

command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
export HOME="${HOME:-/root}"
fail() { echo "release-check: FAIL: $*" >&2; exit 1; }
step() { printf '\n=== release-check: %s (at %ds)\n' "$*" "$SECONDS"; }
command -v git >/dev/null || fail "git is not installed (apt-get install git)"
command -v sha256sum >/dev/null || fail "sha256sum is not installed (apt-get install coreutils)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# GoReleaser takes the commit and branch from git only when the repository
# has a remote; without one (a local clone in CI) it stamps "none". Give it
# one in the environment, leaving .git/config alone.
if [ -z "$(git remote)" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url \
    GIT_CONFIG_VALUE_0=https://github.com/twelvelabs-community/twelvelabs_exporter.git
fi

step "goreleaser check"
timeout 20m go run "$GORELEASER" check || fail "goreleaser check: .goreleaser.yaml is invalid"

step "goreleaser release --snapshot into dist/"
timeout 40m go run "$GORELEASER" release --snapshot --clean --skip=publish,sign,docker --timeout 30m \
  >"$work/goreleaser.log" 2>&1 || { tail -n 40 "$work/goreleaser.log"; fail "goreleaser release --snapshot failed"; }
grep -E 'building snapshot|took:|release succeeded' "$work/goreleaser.log" | sed 's/^ */  /'

version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json)
[ -n "$version" ] || fail "dist/metadata.json names no version"
case "$version" in
  "$(cat VERSION)-SNAPSHOT-"*) ;;
  *) fail "snapshot version $version does not start with VERSION's $(cat VERSION)-SNAPSHOT-" ;;
esac
echo "release-check: version $version"

step "archives: contents, platform of each binary, version stamp"
go build -o "$work/archivecheck" ./deploy/archivecheck
expected=()
for p in $PLATFORMS; do
  plat=${p%%:*} ext=${p#*:}
  archive="twelvelabs_exporter-$version.$plat.$ext"
  expected+=("$archive")
  [ -f "dist/$archive" ] || fail "dist/$archive is missing"
  "$work/archivecheck" "dist/$archive" "${plat%-*}" "${plat#*-}" "$version" || fail "dist/$archive: see the line above"
done
shopt -s nullglob
for a in dist/*.tar.gz dist/*.zip; do
  [[ " ${expected[*]} " == *" ${a#dist/} "* ]] || fail "unexpected archive $a"
done

step "checksums: dist/sha256sums.txt"
[ -f dist/sha256sums.txt ] || fail "dist/sha256sums.txt is missing"
(cd dist && sha256sum -c --strict sha256sums.txt) || fail "dist/sha256sums.txt does not verify"
for a in "${expected[@]}"; do
  grep -qE "^[0-9a-f]{64}  $a\$" dist/sha256sums.txt || fail "dist/sha256sums.txt has no line for $a"
done
[ "$(wc -l <dist/sha256sums.txt)" -eq "${#expected[@]}" ] || fail "dist/sha256sums.txt lists other files than the ${#expected[@]} archives"

step "the linux/amd64 binary runs --version"
if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ]; then
  tar -xzf "dist/twelvelabs_exporter-$version.linux-amd64.tar.gz" -C "$work"
  out=$("$work/twelvelabs_exporter-$version.linux-amd64/twelvelabs_exporter" --version 2>&1) ||
    fail "--version exited non-zero: $out"
  echo "$out" | sed 's/^/  /'
  first=$(echo "$out" | head -n 1)
  revision=$(git rev-parse HEAD)
  branch=$(git rev-parse --abbrev-ref HEAD)
  [ "$first" = "twelvelabs_exporter, version $version (branch: $branch, revision: $revision)" ] ||
    fail "--version says \"$first\", want version $version, branch $branch, revision $revision"
  echo "$out" | grep -q '^  build user: *goreleaser$' || fail "--version: build user is not goreleaser"
  echo "$out" | grep -qE '^  build date: *[0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}$' || fail "--version: build date not stamped as YYYYMMDD-HH:MM:SS"
else
  echo "release-check: skipped: this machine is $(uname -s)-$(uname -m), not Linux-x86_64"
fi

step "done"
echo "release-check: OK: ${#expected[@]} archives in dist/, version $version, ${SECONDS}s"
