#!/usr/bin/env bash
# Builds the release archives as a GoReleaser snapshot into dist/ and checks
# them: every archive of .goreleaser.yaml's platforms exists and holds the
# binary, LICENSE and README.md; the checksums verify; each binary is for its
# OS and architecture and stamped with the version; the linux/amd64 binary
# runs and prints that version, revision and branch.
# Then the SBOMs and the packages: each archive has a CycloneDX SBOM beside
# it naming the main module and its dependencies, for the archive's platform;
# the .deb and .rpm of linux/amd64 and linux/arm64 hold exactly the expected
# files, each equal to its source, and deploy/packages/'s maintainer scripts.
# As root on Debian, the amd64 .deb is installed with dpkg -i (the user is
# created, nothing enabled or started, the units pass systemd-analyze verify,
# /usr/bin/twelvelabs_exporter --version is right), then purged, leaving none
# of its files; rpm -qp checks the .rpm's files, config flags and scripts.
#
#   bash deploy/release-check.sh
#
# Runs from anywhere, on a fresh Debian machine as root. The first run builds
# GoReleaser itself (about 5 minutes on 2 cores) and cyclonedx-gomod (about 2
# minutes), then the five binaries (about 4 minutes with a cold build cache);
# the SBOMs and packages add about 40 seconds.
# Needs python3 (it reads the SBOMs) and, for the .rpm, rpm (apt-get install
# rpm): without it the .rpm's check is skipped, or fails under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER=github.com/goreleaser/goreleaser/v2@v2.15.1
# GoReleaser's sboms section runs cyclonedx-gomod, which must be on PATH.
CYCLONEDX=github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0
MODULE=github.com/twelvelabs-community/twelvelabs_exporter
# Debian's package names allow no underscore.
PACKAGE=twelvelabs-exporter
# platform (goos-goarch) and archive extension, as .goreleaser.yaml builds them
PLATFORMS="linux-amd64:tar.gz linux-arm64:tar.gz darwin-amd64:tar.gz darwin-arm64:tar.gz windows-amd64:zip"
# the packages' architectures: Go's, Debian's, RPM's
PACKAGE_ARCHES="amd64:amd64:x86_64 arm64:arm64:aarch64"

command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
export HOME="${HOME:-/root}"
fail() { echo "release-check: FAIL: $*" >&2; exit 1; }
step() { printf '\n=== release-check: %s (at %ds)\n' "$*" "$SECONDS"; }
command -v git >/dev/null || fail "git is not installed (apt-get install git)"
command -v sha256sum >/dev/null || fail "sha256sum is not installed (apt-get install coreutils)"
command -v python3 >/dev/null || fail "python3 is not installed (apt-get install python3); it reads the SBOMs"

work=$(mktemp -d)
# Set once this script has installed the .deb: it is purged on any exit.
purge_on_exit=
cleanup() {
  if [ -n "$purge_on_exit" ]; then dpkg --purge "$PACKAGE" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# GoReleaser takes the commit and branch from git only when the repository
# has a remote; without one (a local clone in CI) it stamps "none". Give it
# one in the environment, leaving .git/config alone.
if [ -z "$(git remote)" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url \
    GIT_CONFIG_VALUE_0=https://github.com/twelvelabs-community/twelvelabs_exporter.git
fi
revision=$(git rev-parse HEAD)
branch=$(git rev-parse --abbrev-ref HEAD)

# check_version BINARY: its --version names the snapshot's version, the
# commit and branch, GoReleaser as the build user, and a build date.
check_version() {
  local out first
  out=$("$1" --version 2>&1) || fail "$1 --version exited non-zero: $out"
  echo "$out" | sed 's/^/  /'
  first=$(echo "$out" | head -n 1)
  [ "$first" = "twelvelabs_exporter, version $version (branch: $branch, revision: $revision)" ] ||
    fail "$1 --version says \"$first\", want version $version, branch $branch, revision $revision"
  echo "$out" | grep -q '^  build user: *goreleaser$' || fail "$1 --version: build user is not goreleaser"
  echo "$out" | grep -qE '^  build date: *[0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}$' || fail "$1 --version: build date not stamped as YYYYMMDD-HH:MM:SS"
}

step "cyclonedx-gomod, for the SBOMs"
GOBIN="$work/bin" timeout 10m go install "$CYCLONEDX" || fail "go install $CYCLONEDX failed"
export PATH="$work/bin:$PATH"
echo "release-check: $CYCLONEDX"

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

step "SBOMs: a CycloneDX document per archive, for its platform"
sboms=()
for p in $PLATFORMS; do
  plat=${p%%:*}
  sbom="twelvelabs_exporter-$version.$plat.${p#*:}.sbom.json"
  sboms+=("$sbom")
  [ -f "dist/$sbom" ] || fail "dist/$sbom is missing"
  python3 - "dist/$sbom" "$MODULE" "${plat%-*}" "${plat#*-}" <<'EOF' || fail "dist/$sbom: see the line above"
import json, sys
path, module, goos, goarch = sys.argv[1:]
try:
    with open(path) as f:
        bom = json.load(f)
except ValueError as e:
    sys.exit(f"{path}: not JSON: {e}")
if bom.get("bomFormat") != "CycloneDX":
    sys.exit(f"{path}: bomFormat is {bom.get('bomFormat')!r}, not CycloneDX")
main = bom.get("metadata", {}).get("component", {})
if main.get("name") != module:
    sys.exit(f"{path}: its main component is {main.get('name')!r}, not {module}")
env = {p["name"].rsplit(":", 1)[-1]: p["value"] for p in main.get("properties", [])
       if p["name"].startswith("cdx:gomod:build:env:")}
for k, want in (("GOOS", goos), ("GOARCH", goarch), ("CGO_ENABLED", "0")):
    if env.get(k) != want:
        sys.exit(f"{path}: made for {k}={env.get(k)}, not {want}")
components = {c.get("name"): c.get("version") for c in bom.get("components", [])}
for dep in ("github.com/prometheus/client_golang", "github.com/prometheus/common", "github.com/alecthomas/kingpin/v2"):
    if not components.get(dep):
        sys.exit(f"{path}: no component {dep} with a version")
licensed = sum(1 for c in bom.get("components", []) if c.get("evidence", {}).get("licenses"))
print(f"  {path}: CycloneDX {bom.get('specVersion')}, {main['name']} {main.get('version')}, "
      f"{len(components)} components ({licensed} with a detected license), "
      f"client_golang {components['github.com/prometheus/client_golang']}")
EOF
done
for s in dist/*.sbom.json; do
  [[ " ${sboms[*]} " == *" ${s#dist/} "* ]] || fail "unexpected SBOM $s"
done

step "packages: .deb and .rpm of linux/amd64 and linux/arm64, their files and scripts"
# A snapshot's version 0.1.0-SNAPSHOT-abc1234 is 0.1.0~SNAPSHOT-abc1234 in
# the .deb (sorting before 0.1.0) and 0.1.0~SNAPSHOT_abc1234 in the .rpm;
# a release's 0.1.0 is 0.1.0 in both.
debversion=${version/-/\~}
rpmversion=${debversion//-/_}
packages=()
for a in $PACKAGE_ARCHES; do
  IFS=: read -r goarch debarch rpmarch <<<"$a"
  packages+=("${PACKAGE}_${debversion}_$debarch.deb" "$PACKAGE-$rpmversion-1.$rpmarch.rpm")
done
for p in "${packages[@]}"; do [ -f "dist/$p" ] || fail "dist/$p is missing"; done
for p in dist/*.deb dist/*.rpm; do
  [[ " ${packages[*]} " == *" ${p#dist/} "* ]] || fail "unexpected package $p"
done
for p in "${packages[@]}"; do printf '  %-60s %9d bytes\n' "dist/$p" "$(stat -c %s "dist/$p")"; done

# manifest deb|rpm GOARCH: each path the package holds and its source ("dir"
# for a directory).
manifest() {
  local bin
  bin=$(echo dist/twelvelabs_exporter_linux_"$2"_*/twelvelabs_exporter)
  [ -f "$bin" ] || fail "no binary dist/twelvelabs_exporter_linux_$2_*/twelvelabs_exporter"
  printf '%s %s\n' \
    /usr/bin/twelvelabs_exporter "$bin" \
    /usr/lib/systemd/system/twelvelabs_exporter.service ".build/packages/$1/twelvelabs_exporter.service" \
    /usr/lib/systemd/system/twelvelabs_exporter.socket examples/systemd/twelvelabs_exporter.socket \
    /usr/lib/sysusers.d/twelvelabs_exporter.conf deploy/packages/twelvelabs_exporter.sysusers \
    "$([ "$1" = deb ] && echo /etc/default || echo /etc/sysconfig)/twelvelabs_exporter" deploy/packages/twelvelabs_exporter.env \
    /etc/twelvelabs_exporter dir \
    "/usr/share/doc/$PACKAGE/README.md" README.md \
    "/usr/share/doc/$PACKAGE/LICENSE" LICENSE
}
# The units deploy/packages/units.sh made from examples/systemd/'s.
grep -qx 'ExecStart=/usr/bin/twelvelabs_exporter \\' .build/packages/deb/twelvelabs_exporter.service ||
  fail ".build/packages/deb/twelvelabs_exporter.service does not start /usr/bin/twelvelabs_exporter"
grep -qx 'EnvironmentFile=-/etc/default/twelvelabs_exporter' .build/packages/deb/twelvelabs_exporter.service ||
  fail ".build/packages/deb/twelvelabs_exporter.service does not read /etc/default/twelvelabs_exporter"
grep -qx 'EnvironmentFile=-/etc/sysconfig/twelvelabs_exporter' .build/packages/rpm/twelvelabs_exporter.service ||
  fail ".build/packages/rpm/twelvelabs_exporter.service does not read /etc/sysconfig/twelvelabs_exporter"
[ "$(diff .build/packages/deb/twelvelabs_exporter.service .build/packages/rpm/twelvelabs_exporter.service | grep -c '^[<>]')" = 2 ] ||
  fail "the .deb's and the .rpm's service units differ in more than EnvironmentFile="

# The .deb files: unpacked, compared with their sources.
for a in $PACKAGE_ARCHES; do
  IFS=: read -r goarch debarch rpmarch <<<"$a"
  deb="dist/${PACKAGE}_${debversion}_$debarch.deb"
  fields=$(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')
  [ "$fields" = "Package: $PACKAGE Version: $debversion Architecture: $debarch " ] ||
    fail "$deb: its control file says $fields, want $PACKAGE $debversion $debarch"
  rm -rf "$work/deb" "$work/control"
  dpkg-deb -x "$deb" "$work/deb"
  (cd "$work/deb" && find . ! -type d | sed 's/^\.//' | sort) >"$work/have"
  manifest deb "$goarch" | awk '$2 != "dir" { print $1 }' | sort >"$work/want"
  diff -u "$work/want" "$work/have" >&2 || fail "$deb: its files (+) differ from the expected ones (-)"
  while read -r path src; do
    if [ "$src" = dir ]; then
      [ "$(stat -c %a "$work/deb$path")" = 750 ] || fail "$deb: $path is not a directory of mode 0750"
    else
      cmp -s "$src" "$work/deb$path" || fail "$deb: $path differs from $src"
    fi
  done < <(manifest deb "$goarch")
  [ "$(stat -c %a "$work/deb/usr/bin/twelvelabs_exporter")" = 755 ] || fail "$deb: /usr/bin/twelvelabs_exporter is not of mode 0755"
  [ "$(dpkg-deb --info "$deb" conffiles)" = /etc/default/twelvelabs_exporter ] ||
    fail "$deb: /etc/default/twelvelabs_exporter is not a conffile"
  dpkg-deb -e "$deb" "$work/control"
  for s in postinst:postinstall prerm:preremove postrm:postremove; do
    cmp -s "deploy/packages/${s#*:}.sh" "$work/control/${s%%:*}" || fail "$deb: its ${s%%:*} is not deploy/packages/${s#*:}.sh"
  done
  [ ! -e "$work/control/preinst" ] || fail "$deb: has a preinst"
  echo "  $deb: $(wc -l <"$work/have") files, each equal to its source; /etc/default/twelvelabs_exporter a conffile; postinst, prerm, postrm"
done

step "the linux/amd64 .deb: dpkg -i, systemd-analyze verify, --version, dpkg --purge"
deb="dist/${PACKAGE}_${debversion}_amd64.deb"
if [ "$(id -u)" != 0 ]; then
  echo "release-check: skipped: not root, so dpkg -i cannot install $deb"
elif ! command -v dpkg >/dev/null || [ "$(dpkg --print-architecture)" != amd64 ]; then
  echo "release-check: skipped: this machine is not Debian on amd64, so $deb cannot be installed"
elif dpkg-query -W -f '${Status}' "$PACKAGE" 2>/dev/null | grep -q ' installed$' && [ "${CI:-}" != true ]; then
  echo "release-check: skipped: $PACKAGE is installed here already; not replacing it (CI=true does)"
else
  command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (apt-get install systemd)"
  user_existed=$(getent passwd twelvelabs_exporter || true)
  purge_on_exit=1
  dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i $deb failed"; }
  sed 's/^/  /' "$work/dpkg.log"
  dpkg-query -L "$PACKAGE" | sort >"$work/installed"
  for path in $(manifest deb amd64 | awk '{ print $1 }'); do
    grep -qx "$path" "$work/installed" || fail "dpkg -L $PACKAGE does not list $path"
    [ -e "$path" ] || fail "$path is missing after dpkg -i"
  done
  entry=$(getent passwd twelvelabs_exporter) || fail "dpkg -i did not create the user twelvelabs_exporter"
  IFS=: read -r _ _ uid gid _ _ shell <<<"$entry"
  [ "$uid" -lt 1000 ] || fail "the user twelvelabs_exporter is not a system user (uid $uid)"
  case $shell in */nologin | */false) ;; *) fail "the user twelvelabs_exporter has a login shell: $shell" ;; esac
  [ "$(stat -c '%a %U %G' /etc/twelvelabs_exporter)" = "750 root twelvelabs_exporter" ] ||
    fail "/etc/twelvelabs_exporter is $(stat -c '%a %U %G' /etc/twelvelabs_exporter), want 750 root twelvelabs_exporter"
  echo "  user: $entry; /etc/twelvelabs_exporter: $(stat -c '%a %U:%G' /etc/twelvelabs_exporter)"
  # Installing enables and starts nothing: the service needs the key first.
  for unit in twelvelabs_exporter.socket twelvelabs_exporter.service; do
    links=$(find /etc/systemd/system -name "$unit" 2>/dev/null)
    [ -z "$links" ] || fail "dpkg -i enabled $unit: $links"
  done
  units=(/usr/lib/systemd/system/twelvelabs_exporter.service /usr/lib/systemd/system/twelvelabs_exporter.socket)
  if ! out=$(systemd-analyze verify "${units[@]}" 2>&1) || [ -n "$out" ]; then
    echo "$out"
    fail "systemd-analyze verify of the installed units reported the lines above"
  fi
  echo "  systemd-analyze verify: ${units[*]} verify without a warning"
  check_version /usr/bin/twelvelabs_exporter
  # Enabled as the admin would, the socket is disabled again by the prerm.
  systemctl enable twelvelabs_exporter.socket >/dev/null 2>&1 || fail "systemctl enable twelvelabs_exporter.socket failed"
  [ -n "$(find /etc/systemd/system -name twelvelabs_exporter.socket)" ] || fail "systemctl enable twelvelabs_exporter.socket made no link"
  dpkg --purge "$PACKAGE" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --purge $PACKAGE failed"; }
  purge_on_exit=
  sed 's/^/  /' "$work/dpkg.log"
  ! dpkg-query -W -f '${Status}' "$PACKAGE" 2>/dev/null | grep -q installed || fail "$PACKAGE is still installed after dpkg --purge"
  left=()
  for path in $(manifest deb amd64 | awk '{ print $1 }') /usr/share/doc/$PACKAGE; do
    [ ! -e "$path" ] || left+=("$path")
  done
  [ ${#left[@]} -eq 0 ] || fail "dpkg --purge left ${left[*]}"
  links=$(find /etc/systemd/system -name 'twelvelabs_exporter.*')
  [ -z "$links" ] || fail "dpkg --purge left the enabled unit's links: $links"
  # The package leaves its user, as Debian's packages do; this check
  # removes it again if it made it.
  getent passwd twelvelabs_exporter >/dev/null || fail "dpkg --purge removed the user twelvelabs_exporter"
  if [ -z "$user_existed" ]; then userdel twelvelabs_exporter || fail "userdel twelvelabs_exporter"; fi
  echo "  dpkg --purge: none of its files and no link of the enabled socket left (the user twelvelabs_exporter stays, as in Debian's packages)"
fi

step "the .rpm packages: rpm -qp files, config flags, scripts"
# .ci/run installs rpm with the other packages only when one of those is
# missing too: under CI, install it here if needed.
if ! command -v rpm >/dev/null && [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "release-check: rpm is not installed: apt-get install rpm"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rpm; } >"$work/apt.log" 2>&1 || cat "$work/apt.log"
fi
if ! command -v rpm >/dev/null && [ "${CI:-}" = true ]; then
  fail "rpm is not installed (apt-get install rpm), which the .rpm's check needs under CI=true"
elif ! command -v rpm >/dev/null; then
  echo "release-check: skipped: rpm is not installed (apt-get install rpm), so the .rpm packages were not checked"
else
  for a in $PACKAGE_ARCHES; do
    IFS=: read -r goarch debarch rpmarch <<<"$a"
    rpm="dist/$PACKAGE-$rpmversion-1.$rpmarch.rpm"
    q() { rpm -qp --nosignature "$@" "$rpm"; }
    fields=$(q --qf '%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}')
    [ "$fields" = "$PACKAGE $rpmversion 1 $rpmarch Apache-2.0" ] ||
      fail "$rpm: says $fields, want $PACKAGE $rpmversion 1 $rpmarch Apache-2.0"
    # Its files and their flags (c: config, n: noreplace), and digests
    # against the sources.
    q -l | sort >"$work/have"
    manifest rpm "$goarch" | awk '{ print $1 }' | sort >"$work/want"
    diff -u "$work/want" "$work/have" >&2 || fail "$rpm: rpm -qpl (+) differs from the expected files (-)"
    [ "$(q --qf '%{FILEDIGESTALGO}')" = 8 ] || fail "$rpm: its file digests are not SHA-256"
    q --qf '[%{FILENAMES}|%{FILEFLAGS:fflags}|%{FILEMODES:perms}|%{FILEDIGESTS}\n]' >"$work/files"
    while read -r path src; do
      IFS='|' read -r _ flags perms digest < <(awk -F'|' -v p="$path" '$1 == p' "$work/files")
      case $path in
        /etc/sysconfig/*) [ "$flags" = cn ] || fail "$rpm: $path is not %config(noreplace) (flags $flags)" ;;
        *) [[ $flags != *c* ]] || fail "$rpm: $path is marked as config" ;;
      esac
      if [ "$src" = dir ]; then
        [ "$perms" = drwxr-x--- ] || fail "$rpm: $path is $perms, not a directory of mode 0750"
      else
        [ "$digest" = "$(sha256sum <"$src" | cut -d' ' -f1)" ] || fail "$rpm: $path differs from $src"
      fi
    done < <(manifest rpm "$goarch")
    # Its scripts are deploy/packages/'s, run by /bin/sh.
    for s in POSTIN:postinstall PREUN:preremove POSTUN:postremove; do
      [ "$(q --qf "%{${s%%:*}PROG}")" = /bin/sh ] || fail "$rpm: its %{${s%%:*}} is not run by /bin/sh"
      diff <(q --qf "%{${s%%:*}}") "deploy/packages/${s#*:}.sh" >/dev/null ||
        fail "$rpm: its ${s%%:*} script is not deploy/packages/${s#*:}.sh"
    done
    [ "$(q --qf '%{PREIN}')" = "(none)" ] || fail "$rpm: has a %pre script"
    scripts=$(q --scripts | grep -c 'scriptlet (using /bin/sh):$')
    echo "  $rpm: $fields; $(wc -l <"$work/have") files, equal to their sources; /etc/sysconfig/twelvelabs_exporter %config(noreplace); $scripts scriptlets"
  done
fi

step "checksums: dist/sha256sums.txt"
[ -f dist/sha256sums.txt ] || fail "dist/sha256sums.txt is missing"
(cd dist && sha256sum -c --strict --quiet sha256sums.txt) || fail "dist/sha256sums.txt does not verify"
listed=("${expected[@]}" "${sboms[@]}" "${packages[@]}")
for a in "${listed[@]}"; do
  grep -qE "^[0-9a-f]{64}  ${a//./\\.}\$" dist/sha256sums.txt || fail "dist/sha256sums.txt has no line for $a"
done
[ "$(wc -l <dist/sha256sums.txt)" -eq "${#listed[@]}" ] ||
  fail "dist/sha256sums.txt lists other files than the ${#expected[@]} archives, their SBOMs and the ${#packages[@]} packages"
echo "release-check: dist/sha256sums.txt verifies: ${#expected[@]} archives, ${#sboms[@]} SBOMs, ${#packages[@]} packages"

step "the linux/amd64 binary runs --version"
if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ]; then
  tar -xzf "dist/twelvelabs_exporter-$version.linux-amd64.tar.gz" -C "$work"
  check_version "$work/twelvelabs_exporter-$version.linux-amd64/twelvelabs_exporter"
else
  echo "release-check: skipped: this machine is $(uname -s)-$(uname -m), not Linux-x86_64"
fi

step "done"
echo "release-check: OK: ${#expected[@]} archives, ${#sboms[@]} SBOMs and ${#packages[@]} packages in dist/, version $version, ${SECONDS}s"
