#!/usr/bin/env bash
# Checks demo/run.sh end to end, in about a minute once Go's build cache
# holds the exporter (the first build takes one to three minutes more):
#
#  1. as installed (with Prometheus and Alertmanager when in PATH): every URL
#     it prints answers 200 (no redirect), the exporter serves twelvelabs_up 1,
#     every command it prints (curl, amtool, promtool) succeeds, each fault it
#     suggests has its effect on /metrics and its undo undoes it; a second
#     demo on the same ports refuses to start, naming the ports and what holds
#     them; SIGTERM stops every process and keeps the logs;
#  2. without Prometheus: the same with a PATH holding everything but
#     prometheus, promtool, prometheus-alertmanager, alertmanager and amtool;
#     the demo must say they are missing and how to get them;
#  3. Ctrl-C, as a terminal sends it, SIGINT to the process group of make
#     demo, three times while it serves, once during the build, and once to
#     a script's background job (which ignores SIGINT, but for the Go
#     programs): make reports no error, nothing of the demo runs or listens,
#     its binaries, databases and temporary files are gone, its logs stay.
#
# Uses its own ports, CHECK_PORTS="SIM EXPORTER PROM AM" (default
# "24158 24157 24090 24093"), so that a running demo does not disturb it.
# Every wait is bounded; it stops every process it started, and keeps its
# files only on failure. Exit status 0: all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each demo runs in its own process group (setsid; else job control), so that
# the clean-up reaches whatever it started.
if command -v setsid >/dev/null 2>&1; then own_group=(setsid); else own_group=() && set -m; fi

read -r SIM_PORT EXPORTER_PORT PROM_PORT AM_PORT <<<"${CHECK_PORTS:-24158 24157 24090 24093}"
HOST=127.0.0.1
PROM_NAMES="prometheus promtool prometheus-alertmanager alertmanager amtool"
has_timeout=$(command -v timeout >/dev/null 2>&1 && echo 1 || echo 0)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/twelvelabs-demo-check.XXXXXX")
pgroups=() # process groups of the demos started
failed=1

say() { printf 'check: %s\n' "$*"; }
ok() { printf 'check: ok   %s\n' "$*"; }
fail() {
  printf 'check: FAIL %s\n' "$*" >&2
  if [[ -n ${out:-} && -f $out ]]; then
    printf 'check: the end of %s:\n' "$out" >&2
    tail -n 15 "$out" | sed 's/^/  | /' >&2
  fi
  exit 1
}
exec 7>&1 8>&2 # the clean-up may run while a command's output goes to a file
cleanup() {
  local pg n alive
  trap - EXIT INT TERM
  exec 1>&7 2>&8
  for pg in ${pgroups[@]+"${pgroups[@]}"}; do kill -TERM -- "-$pg" 2>/dev/null || true; done
  for ((n = 0; n < 100; n++)); do
    alive=0
    for pg in ${pgroups[@]+"${pgroups[@]}"}; do kill -0 -- "-$pg" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pg in ${pgroups[@]+"${pgroups[@]}"}; do kill -KILL -- "-$pg" 2>/dev/null || true; done
  if ((failed)); then
    say "files kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for p in $SIM_PORT $EXPORTER_PORT $PROM_PORT $AM_PORT; do
  port_open "$p" && fail "port $p is taken before the check starts: free it or set CHECK_PORTS=\"SIM EXPORTER PROM AM\""
done

# start_demo NAME [ENV=VALUE...]: starts demo/run.sh in the background, in
# its own process group, its output in $tmp/NAME.out, its files in $tmp/NAME;
# sets pid. DEMO_TIMEOUT stops it should this script be killed.
start_demo() {
  local name=$1
  shift
  ${own_group[@]+"${own_group[@]}"} env SIM_PORT="$SIM_PORT" EXPORTER_PORT="$EXPORTER_PORT" PROM_PORT="$PROM_PORT" \
    AM_PORT="$AM_PORT" DEMO_DIR="$tmp/$name" DEMO_TIMEOUT=120 "$@" bash demo/run.sh </dev/null >"$tmp/$name.out" 2>&1 &
  pid=$!
  pgroups+=("$pid")
}
# demo NAME [ENV=VALUE...]: start_demo, and out names its output.
demo() {
  start_demo "$@"
  out=$tmp/$1.out
}

# wait_exit PID SECONDS: waits for the demo to end; sets rc.
wait_exit() {
  local n
  for ((n = 0; n < $2 * 10; n++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$1" 2>/dev/null && fail "the demo (pid $1) still runs after $2 s"
  rc=0
  wait "$1" || rc=$?
}

# wait_running: until the demo prints that it runs: up to 300 s to build (a
# first build, Go's own packages included, takes one to three minutes), then
# 50 s to start, on a busy machine too.
wait_running() {
  local n building=0 starting=0
  for ((n = 0; ; n++)); do
    grep -q '^demo: running' "$out" && return 0
    kill -0 "$pid" 2>/dev/null || { wait_exit "$pid" 1; fail "the demo exited ($rc) before it ran"; }
    if grep -q '^demo: started the ' "$out"; then
      ((++starting <= 500)) || fail "the demo did not print 'demo: running' within 50 s of starting its processes"
    else
      ((++building <= 3000)) || fail "the demo did not build and start its processes within 300 s"
    fi
    sleep 0.1
  done
}

metrics() { curl -sS --max-time 10 "http://$HOST:$EXPORTER_PORT/metrics" 2>&1 || true; }

# expect WHAT PREDICATE: scrapes /metrics into $M, for up to 20 s, until
# PREDICATE holds.
M=$tmp/metrics
expect() {
  local n
  for ((n = 0; n < 40; n++)); do
    metrics >"$M"
    "$2" && { ok "  -> $1"; return 0; }
    sleep 0.5
  done
  fail "/metrics never showed $1 within 20 s"
}
up_is() { grep -qx "twelvelabs_up{api=\"v1\"} $1" "$M" && grep -qx "twelvelabs_up{api=\"v2\"} $1" "$M"; }
up_1() { up_is 1; }
up_0() { up_is 0; }
fails_for() { grep -Eq "^twelvelabs_exporter_listing_failures_total\{api=\"v[12]\",reason=\"$1\"\} [1-9]" "$M"; }
key_rejected() { up_0 && fails_for key_rejected; }
not_allowed() { up_0 && fails_for not_allowed; }
rate_limited() { fails_for rate_limited; }
odd_label() { grep -q "model_name=\"[^\"]*"$'\xef\xbf\xbd' "$M"; }

# check_urls: every URL of the demo's table answers 200 itself.
check_urls() {
  local line url hdr n=0 code
  while IFS= read -r line <&3; do
    url=$(printf '%s\n' "$line" | grep -Eo 'http://[^ ]+')
    hdr=()
    if [[ $line == *"x-api-key: "* ]]; then
      hdr=(-H "x-api-key: $(printf '%s\n' "$line" | sed -n 's/.*x-api-key: \([^)]*\)).*/\1/p')")
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 ${hdr[@]+"${hdr[@]}"} "$url" || true)
    [[ $code == 200 ]] || fail "printed URL $url answers $code, not 200"
    ok "200 $url"
    n=$((n + 1))
  done 3< <(grep -E '^  [A-Z][a-z]+ +http://|^ {16}http://' "$out")
  ((n >= ${1:-2})) || fail "the demo printed $n URLs, want at least ${1:-2}"
}

# check_commands: runs every command the demo printed, in order, with curl
# failing on HTTP errors; after a fault, waits for its effect on /metrics.
check_commands() {
  local line n=0 cmd=()
  while IFS= read -r line <&3; do
    cmd=(bash -o pipefail -c 'curl() { command curl --fail --max-time 20 "$@"; }; '"$line")
    ((has_timeout)) && cmd=(timeout 30 "${cmd[@]}")
    "${cmd[@]}" >"$tmp/cmd.out" 2>&1 </dev/null ||
      { cat "$tmp/cmd.out" >&2; fail "printed command failed: $line"; }
    ok "ran: ${line#"${line%%[![:space:]]*}"}"
    n=$((n + 1))
    case $line in
    *'"key":"revoked"'*) expect 'twelvelabs_up 0, reason="key_rejected"' key_rejected ;;
    *'"key":"demo-key"'*) expect 'twelvelabs_up 1' up_1 ;;
    *'"kind":"not-allowed"'*) expect 'twelvelabs_up 0, reason="not_allowed"' not_allowed ;;
    *'"kind":"ratelimit-reset"'*) expect 'reason="rate_limited"' rate_limited ;;
    *'"kind":"odd-labels"'*) expect 'a model_name with U+FFFD' odd_label ;;
    *'"kind":""'*) expect 'twelvelabs_up 1' up_1 ;;
    esac
  done 3< <(grep -E '^    (curl|amtool|promtool) ' "$out")
  ((n >= 10)) || fail "the demo printed $n commands, want at least 10"
}

# check_stop: SIGTERM stops the demo and every process it started; the logs stay.
check_stop() {
  local dir f p
  kill -TERM "$pid"
  wait_exit "$pid" 20
  ((rc == 0)) || fail "after SIGTERM the demo exited $rc, not 0"
  kill -0 -- "-$pid" 2>/dev/null && fail "after SIGTERM processes of the demo remain: $(ps -o pid=,comm= -g "$pid" | tr '\n' ' ')"
  ok "SIGTERM: the demo exited 0 and no process of it remains"
  dir=$(sed -n 's/^demo: stopped; logs kept in \(.*\):$/\1/p' "$out")
  [[ -n $dir ]] || fail "after SIGTERM the demo did not say where the logs are"
  for f in "$@"; do
    [[ -s $dir/$f.log ]] || fail "$dir/$f.log is missing or empty after the demo stopped"
  done
  ok "logs kept in $dir: $(cd "$dir" && echo *.log)"
  for p in $SIM_PORT $EXPORTER_PORT $PROM_PORT $AM_PORT; do
    port_open "$p" && fail "port $p still answers after the demo stopped"
  done
  ok "its ports are free again"
}

# 1. As installed.
with_prom=0 with_am=0 with_amtool=0
command -v prometheus >/dev/null 2>&1 && with_prom=1
((with_prom)) && { command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1; } && with_am=1
((with_am)) && command -v amtool >/dev/null 2>&1 && with_amtool=1
say "1. as installed: prometheus $( ((with_prom)) && echo found || echo absent), alertmanager $( ((with_am)) && echo found || echo absent), amtool $( ((with_amtool)) && echo found || echo absent)"
demo installed
wait_running
ok "the demo runs ($(grep -c . "$out") lines printed)"
expect 'twelvelabs_up 1' up_1
if ((with_prom)); then
  grep -Eq '^  Prometheus +http://' "$out" || fail "Prometheus is installed but the demo printed no Prometheus URL"
  check_urls 6
else
  grep -q 'not found in PATH' "$out" || fail "without Prometheus the demo did not say it was not found"
  check_urls 2
fi
if ((with_amtool)); then
  grep -q "^    amtool --alertmanager.url=http://$HOST:$AM_PORT alert query" "$out" || fail "amtool is installed but the demo printed no amtool command"
elif ((with_am)); then
  grep -q "^    curl -sS http://$HOST:$AM_PORT/api/v2/alerts" "$out" || fail "without amtool the demo printed no curl of /api/v2/alerts"
fi
check_commands

# A second demo on the same ports must refuse, naming them and their holder.
out2=$tmp/collision.out
pid1=$pid
start_demo collision
wait_exit "$pid" 30
pid=$pid1
((rc != 0)) || { out=$out2; fail "a second demo on the same ports exited 0"; }
for want in "port $SIM_PORT (SIM_PORT) is taken by" "port $EXPORTER_PORT (EXPORTER_PORT) is taken by" "refusing to start"; do
  grep -qF "$want" "$out2" || { out=$out2; fail "a second demo on the same ports did not say: $want"; }
done
if command -v ss >/dev/null 2>&1 || command -v lsof >/dev/null 2>&1; then
  grep -q '"twelvelab[^"]*" (pid [0-9]' "$out2" || { out=$out2; fail "the refusal does not name the simulator holding port $SIM_PORT"; }
fi
grep -q '^demo: running' "$out2" && { out=$out2; fail "the second demo said it runs"; }
ok "a second demo on the same ports exits $rc: $(grep -m1 'SIM_PORT' "$out2")"
expect 'twelvelabs_up 1 from the first demo still' up_1
logs=(simulator exporter)
((with_prom)) && logs+=(prometheus)
((with_am)) && logs+=(alertmanager)
check_stop "${logs[@]}"

# 2. Without Prometheus: a PATH of links to everything else.
bin=$tmp/path-without-prometheus
mkdir -p "$bin"
IFS=: read -r -a path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  if [[ -d $d ]]; then ln -s "$d"/* "$bin"/ 2>/dev/null || true; fi # the first of a name wins, as in PATH
done
for n in $PROM_NAMES; do rm -f "$bin/$n"; done
PATH=$bin command -v go >/dev/null || fail "the PATH without Prometheus has no go"
for n in $PROM_NAMES; do
  if PATH=$bin command -v "$n" >/dev/null 2>&1; then fail "the PATH without Prometheus still has $n"; fi
done
say "2. without Prometheus and Alertmanager (PATH=$bin)"
demo bare PATH="$bin"
wait_running
ok "the demo runs without them"
expect 'twelvelabs_up 1' up_1
grep -q '^demo: Prometheus and Alertmanager not found in PATH' "$out" || fail "the demo did not say Prometheus and Alertmanager were not found"
grep -q 'apt-get install -y prometheus prometheus-alertmanager' "$out" || fail "the demo did not say how to install them"
grep -Eq '^  (Prometheus|Alertmanager) ' "$out" && fail "the demo printed Prometheus or Alertmanager URLs without them"
grep -Eq '^    (amtool|promtool) ' "$out" && fail "the demo printed amtool or promtool commands without them"
ok "it says they were not found, and how to install them"
check_urls 2
check_commands
check_stop simulator exporter

# 3. Ctrl-C as a terminal sends it: SIGINT to the whole process group of
# make demo (make, the script and everything it started), three times once
# it serves (it used to end in "make: *** Error 1" two times in three), then
# once during the build.
#
# start_make NAME terminal|script [ENV=VALUE...]: make demo in the
# background, in its own process group, its output in $tmp/NAME.out; sets
# pid and out. terminal: as a terminal's foreground job, SIGINT not ignored:
# job control (set -m) gives both. script: as a script's background job
# (setsid), which runs with SIGINT ignored: make and the demo script ignore
# it, the Go programs take it all the same.
default_int=()
env --default-signal=INT true 2>/dev/null && default_int=(--default-signal=INT) # in case this script ignores SIGINT
start_make() {
  local name=$1 how=$2 ign
  shift 2
  out=$tmp/$name.out
  if [[ $how == terminal ]]; then
    [[ $- == *m* ]] || set -m
    env ${default_int[@]+"${default_int[@]}"} SIM_PORT="$SIM_PORT" EXPORTER_PORT="$EXPORTER_PORT" PROM_PORT="$PROM_PORT" \
      AM_PORT="$AM_PORT" DEMO_TIMEOUT=120 "$@" make --no-print-directory demo </dev/null >"$out" 2>&1 &
    pid=$!
    ((${#own_group[@]} == 0)) || set +m # without setsid, job control stays on for every demo
  else
    ${own_group[@]+"${own_group[@]}"} env SIM_PORT="$SIM_PORT" EXPORTER_PORT="$EXPORTER_PORT" PROM_PORT="$PROM_PORT" \
      AM_PORT="$AM_PORT" DEMO_TIMEOUT=120 "$@" make --no-print-directory demo </dev/null >"$out" 2>&1 &
    pid=$!
  fi
  pgroups+=("$pid")
  [[ $(ps -o pgid= -p "$pid" | tr -d ' ') == "$pid" ]] || fail "make demo (pid $pid) is not in a process group of its own"
  if [[ $how == terminal && -r /proc/$pid/status ]]; then
    ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$pid/status")
    ((0x${ign:-0} & 2)) && fail "make demo (pid $pid) ignores SIGINT, as a terminal's job does not: this test would test nothing"
  fi
  return 0
}
# in_group: the processes of the group of make, but zombies (an orphan's
# zombie, e.g. go build's linker, waits for init to reap it).
in_group() { ps -eo pid=,comm=,pgid=,stat= | awk -v g="$pid" '$3 == g && $4 !~ /^Z/ { print $1, $2 }'; }
# interrupt: SIGINT to the process group of make demo; make must report no
# error, the demo say goodbye, and no process of the group remain. GNU make
# gets the SIGINT too: it waits for the script, says "make: *** [demo] Error
# N" or "Interrupt" if the script did not exit 0, then ends by the SIGINT
# itself (status 130), as any program does on Ctrl-C.
interrupt() { # interrupt terminal|script
  local t0=$SECONDS
  kill -INT -- "-$pid"
  wait_exit "$pid" 30
  if [[ $1 == terminal ]]; then
    ((rc == 0 || rc == 130)) || fail "after SIGINT make exited $rc, not 0 or 130 (ended by the SIGINT)"
    ended="make ended by the SIGINT ($rc) with no error"
  else
    ((rc == 0)) || fail "after SIGINT make exited $rc, not 0"
    ended="make exited 0"
  fi
  if grep -n -e 'Error' -e '^make.*\*\*\*' "$out" >"$tmp/errors"; then
    fail "after SIGINT the output says: $(head -n 3 "$tmp/errors" | tr '\n' ' ')"
  fi
  grep -q '^demo: stopped' "$out" || fail "after SIGINT the demo did not say it stopped"
  [[ -z $(in_group) ]] || fail "after SIGINT processes of the demo remain: $(in_group | tr '\n' ';')"
  stopped_in=$((SECONDS - t0))
}
check_ctrl_c() { # check_ctrl_c NAME terminal|script: a demo that serves, then SIGINT
  local dir=$tmp/$1 p ran left
  start_make "$1" "$2" DEMO_DIR="$dir"
  wait_running
  metrics >"$M"
  grep -q '^twelvelabs_up{' "$M" || fail "the demo printed 'demo: running' but the exporter serves no twelvelabs_up"
  ran=$(in_group | awk '$2 !~ /^(make|bash|sleep|curl)$/ { print $2 }' | sort | tr '\n' ' ' || true)
  interrupt "$2"
  for p in $SIM_PORT $EXPORTER_PORT $PROM_PORT $AM_PORT; do
    port_open "$p" && fail "port $p still answers after SIGINT"
  done
  if command -v pgrep >/dev/null 2>&1; then
    left=$(pgrep -f -- "$dir/bin/" || true)
    [[ -z $left ]] || fail "after SIGINT the demo's binaries still run: $(ps -o pid=,args= -p "${left//$'\n'/,}" | tr '\n' ';')"
  fi
  for p in bin prometheus-data alertmanager-data; do
    [[ -e $dir/$p ]] && fail "after SIGINT $dir/$p is still there"
  done
  [[ -s $dir/exporter.log && -s $dir/simulator.log ]] || fail "after SIGINT the logs in $dir are gone"
  ok "$1 while it serves (${ran% }): $ended, the demo stopped in ${stopped_in}s, its ports free, nothing of it runs, binaries and databases removed, logs kept"
}
say "3. Ctrl-C: SIGINT to the process group of make demo"
for n in 1 2 3; do check_ctrl_c "ctrl-c-$n-of-3" terminal; done
if ((${#own_group[@]})); then
  check_ctrl_c sigint-to-a-script-job script
else
  say "no setsid: no SIGINT to a script's background job (job control would not ignore SIGINT)"
fi
# During the build: the demo's own mktemp directory, in a TMPDIR of ours
# (Go's build directory too), must be gone.
mkdir -p "$tmp/tmpdir"
start_make ctrl-c-during-build terminal TMPDIR="$tmp/tmpdir"
for ((n = 0; n < 300; n++)); do
  grep -q '^demo: building the exporter' "$out" && break
  kill -0 "$pid" 2>/dev/null || fail "the demo ended before building"
  sleep 0.1
done
grep -q '^demo: building the exporter' "$out" || fail "the demo did not say within 30 s that it builds the exporter"
sleep 0.5
interrupt terminal
grep -q '^demo: stopped before anything ran' "$out" || fail "after SIGINT during the build the demo did not say it stopped before anything ran"
[[ -z $(ls -A "$tmp/tmpdir") ]] || fail "after SIGINT during the build $tmp/tmpdir still holds: $(ls -A "$tmp/tmpdir" | tr '\n' ' ')"
ok "ctrl-c-during-build: $ended, nothing of it runs, nothing left in TMPDIR"

failed=0
say "PASS in ${SECONDS}s"
