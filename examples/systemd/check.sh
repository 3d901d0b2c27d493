#!/usr/bin/env bash
# Checks the systemd units beside this file:
#   1. systemd-analyze verify, on a scratch root holding the exporter at the
#      unit's ExecStart path; any warning fails the check;
#   2. systemd-analyze security --offline: the exposure level must stay low;
#   3. the exporter, with the ExecStart line's arguments, started by
#      systemd-socket-activate the way the .socket unit starts it, answers
#      /-/ready, /-/healthy and /metrics (against the API simulator);
#   4. under strace, every system call it made is one SystemCallFilter= allows.
# Without systemd-analyze (Debian package systemd) the check is skipped. It does
# not start the units: that needs systemd running as PID 1.
#
#   bash examples/systemd/check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

UNITS=examples/systemd
SERVICE=twelvelabs_exporter.service
SOCKET=twelvelabs_exporter.socket
MAX_EXPOSURE=2.0

command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
export HOME="${HOME:-/root}"
fail() { echo "systemd-check: FAIL: $*" >&2; exit 1; }
step() { printf '\n=== systemd-check: %s (at %ds)\n' "$*" "$SECONDS"; }

if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-check: SKIP: systemd-analyze is not installed (apt-get install systemd); the units were not checked"
  exit 0
fi
for tool in systemd-socket-activate:systemd strace:strace curl:curl; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${tool#*:}" >/dev/null || fail "cannot install ${tool#*:}"
  fi
done
echo "systemd-check: $(systemd-analyze --version | head -n 1)"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The ExecStart= command line, continuation lines joined.
cmdline=$(awk '/^ExecStart=/ { on = 1 } on { line = $0; more = sub(/\\$/, "", line); printf "%s ", line; if (!more) exit }' "$UNITS/$SERVICE")
cmdline=${cmdline#ExecStart=}
read -r -a words <<<"$cmdline"
bin=${words[0]}
[ "${bin:0:1}" = / ] || fail "ExecStart= does not start with an absolute path: $cmdline"

step "build the exporter and the API simulator"
root="$work/root"
mkdir -p "$root$(dirname "$bin")" "$root/etc/systemd/system" "$root/usr/lib/systemd"
go build -o "$root$bin" . || fail "go build of the exporter"
go build -o "$work/simulator" ./cmd/twelvelabs-simulator || fail "go build of the simulator"
# Units the two depend on (sockets.target, sysinit.target, …) come from the host.
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$UNITS/$SERVICE" "$UNITS/$SOCKET" "$root/etc/systemd/system/"

step "systemd-analyze verify"
if ! out=$(systemd-analyze verify --root="$root" "$root/etc/systemd/system/$SERVICE" "$root/etc/systemd/system/$SOCKET" 2>&1) || [ -n "$out" ]; then
  echo "$out"
  fail "systemd-analyze verify reported the lines above"
fi
echo "systemd-check: $SERVICE and $SOCKET verify without a warning"

step "systemd-analyze security --offline"
security=$(systemd-analyze security --offline=true --root="$root" --threshold=0 "$root/etc/systemd/system/$SERVICE" 2>&1 || true)
exposure=$(echo "$security" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || { echo "$security"; fail "no exposure level in systemd-analyze security's output"; }
echo "$security" | grep '✗' || true
echo "systemd-check: exposure level $exposure (at most $MAX_EXPOSURE)"
awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }' || fail "exposure level $exposure is above $MAX_EXPOSURE: hardening was lost"

step "run the exporter as the units do, under systemd-socket-activate and strace"
free_port() {
  local p
  for _ in $(seq 1 50); do
    # below the kernel's ephemeral ports (32768 and up), which outgoing
    # connections take
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port"
}
sim_port=$(free_port) port=$(free_port)
"$work/simulator" --listen-address="127.0.0.1:$sim_port" --api-key=systemd-check --v1-tasks=60 --v2-tasks=70 --rate=0 >"$work/sim.log" 2>&1 &
pids+=($!)
curl -s --retry 30 --retry-connrefused --retry-delay 1 --max-time 5 -o /dev/null "http://127.0.0.1:$sim_port/" ||
  { cat "$work/sim.log"; fail "the API simulator did not start"; }
creds="$work/credentials"
mkdir -m 0700 "$creds"
echo systemd-check >"$creds/api-key"
# The ExecStart= words: ${CREDENTIALS_DIRECTORY} is where LoadCredential=
# puts the key; $ARGS (from the EnvironmentFile=) here points the exporter
# at the simulator.
args=()
for w in "${words[@]:1}"; do
  case $w in
    '$ARGS' | '${ARGS}') args+=("--twelvelabs.url=http://127.0.0.1:$sim_port/v1.3") ;;
    *) args+=("${w//'${CREDENTIALS_DIRECTORY}'/$creds}") ;;
  esac
done
printf 'systemd-check: %s' "$root$bin"; printf ' %s' "${args[@]}"; echo
grep -q '^ListenStream=' "$UNITS/$SOCKET" || fail "$SOCKET has no ListenStream="
timeout -k 5 300 strace -f -qq -o "$work/strace.log" systemd-socket-activate -l "127.0.0.1:$port" -- "$root$bin" "${args[@]}" >"$work/exporter.log" 2>&1 &
pids+=($!)
for path in /-/ready /-/healthy; do
  curl -fs --retry 20 --retry-connrefused --retry-delay 1 --max-time 10 -o /dev/null "http://127.0.0.1:$port$path" ||
    { cat "$work/exporter.log"; fail "GET $path did not answer 200"; }
done
curl -fsS --max-time 30 -o "$work/metrics" "http://127.0.0.1:$port/metrics" || { cat "$work/exporter.log"; fail "GET /metrics failed"; }
for want in 'twelvelabs_up{api="v1"} 1' 'twelvelabs_up{api="v2"} 1'; do
  grep -qF "$want" "$work/metrics" || { cat "$work/exporter.log"; fail "/metrics lacks $want"; }
done
grep -q 'systemd activated listeners' "$work/exporter.log" || { cat "$work/exporter.log"; fail "the exporter did not use the socket systemd passed"; }
echo "systemd-check: socket-activated exporter answered /-/ready, /-/healthy and /metrics (both APIs up)"
# Stop the exporter (strace waits for it): systemd-socket-activate exec'd
# it in its own process, the one whose execve strace recorded.
exporter_pid=$(awk -v bin="$root$bin" 'index($0, "execve(\"" bin "\"") { print $1; exit }' "$work/strace.log")
[ -n "$exporter_pid" ] || fail "strace recorded no execve of the exporter"
kill "$exporter_pid"
wait "${pids[1]}" 2>/dev/null || true

step "system calls against SystemCallFilter="
# A group (@system-service) expanded to system call names, recursively.
expand() {
  systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/^ *//; /^#/d; /^$/d' | while read -r e; do
    case $e in @*) expand "$e" ;; *) echo "$e" ;; esac
  done
}
names() { for e in "$@"; do case $e in @*) expand "$e" ;; *) echo "$e" ;; esac; done; }
: >"$work/allowed"
: >"$work/denied"
while IFS= read -r line; do
  read -r -a entries <<<"${line#SystemCallFilter=}"
  if [ "${entries[0]:0:1}" = '~' ]; then
    entries[0]=${entries[0]#\~}
    names "${entries[@]}" >>"$work/denied"
  else
    names "${entries[@]}" >>"$work/allowed"
  fi
done < <(grep '^SystemCallFilter=' "$UNITS/$SERVICE")
[ -s "$work/allowed" ] || fail "$SERVICE has no allow-list SystemCallFilter="
sort -u -o "$work/allowed" "$work/allowed"
sort -u -o "$work/denied" "$work/denied"
comm -23 "$work/allowed" "$work/denied" >"$work/permitted"
# The exporter's calls: from its execve on (systemd-socket-activate execs it).
awk -v bin="$root$bin" 'index($0, "execve(\"" bin "\"") { on = 1 } on' "$work/strace.log" |
  sed -n 's/^[0-9][0-9]* *\([a-z0-9_]*\)(.*/\1/p' | sort -u >"$work/used"
[ -s "$work/used" ] || fail "strace recorded no system call of the exporter"
blocked=$(comm -23 "$work/used" "$work/permitted" | tr '\n' ' ')
[ -z "$blocked" ] || fail "the exporter made system calls SystemCallFilter= forbids: $blocked"
echo "systemd-check: the exporter made $(wc -l <"$work/used") distinct system calls, all allowed by SystemCallFilter="

step "done"
echo "systemd-check: OK in ${SECONDS}s"
