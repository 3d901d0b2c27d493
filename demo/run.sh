#!/usr/bin/env bash
# One-command demo: the TwelveLabs API simulator and the exporter on
# loopback, plus Prometheus with the alerting rules and Alertmanager when
# they are installed. No TwelveLabs key needed; only Go and curl are.
#
# Prints what to open and what to run: URLs checked against the Prometheus
# and Alertmanager found, faults to inject into the simulator, each with its
# undo. Says what it builds while it builds, and how long that took.
# Ctrl-C (SIGINT to make, this script and its children), SIGTERM or SIGHUP,
# at any moment, stops every process it started, removes the binaries and
# databases, keeps the logs and exits 0, so that make reports no error (make
# itself, interrupted too, then ends by the SIGINT as any program does).
# A second Ctrl-C while it stops kills what has not stopped yet.
#
# Environment:
#   SIM_PORT, EXPORTER_PORT, PROM_PORT, AM_PORT  ports (10158, 10157, 19090, 19093);
#                        the demo refuses to start when one is taken
#   DEMO_NO_PROMETHEUS=1 leave Prometheus and Alertmanager out even when installed
#   DEMO_DIR             directory for the logs and configs (default: a new
#                        mktemp directory); kept after the demo stops
#   DEMO_TIMEOUT=N       stop by itself after N seconds (for scripts; 0: never)
#
# demo/check.sh checks this script: bash demo/check.sh.
set -euo pipefail

say() { printf 'demo: %s\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# Stopping comes first, so that a Ctrl-C at any moment, even during the
# checks below or the build, ends in the same clean exit 0.
work='' made_work=0 pids=() names=() hurry=0 stopping=stopping
stop() {
  local rc=$1 i n pid alive
  set +e
  trap 'hurry=1' INT TERM HUP # a second Ctrl-C: kill what is left at once
  trap - EXIT
  ((rc == 0)) && echo && say "$stopping"
  for pid in ${pids[@]+"${pids[@]}"}; do kill -TERM "$pid" 2>/dev/null; done
  # Up to 10 s to stop (Prometheus flushes its head block), then SIGKILL.
  for ((n = 0; n < 100 && !hurry; n++)); do
    alive=''
    for i in ${pids[@]+"${!pids[@]}"}; do kill -0 "${pids[i]}" 2>/dev/null && alive="$alive, ${names[i]}"; done
    [[ -n $alive ]] || break
    ((n == 20)) && say "waiting for ${alive#, } to stop (up to 10 s in all; Ctrl-C again kills now)"
    sleep 0.1
  done
  for i in ${pids[@]+"${!pids[@]}"}; do
    if kill -0 "${pids[i]}" 2>/dev/null; then
      if ((hurry)); then say "${names[i]} killed"; else say "${names[i]} did not stop within 10 s: killed"; fi
      kill -KILL "${pids[i]}" 2>/dev/null
    fi
  done
  wait 2>/dev/null
  if [[ -z $work ]]; then
    ((rc == 0)) && say "stopped before anything ran"
  elif ((rc == 0 && ${#pids[@]} == 0 && made_work)); then
    # Interrupted before anything ran (during the build): nothing to keep.
    rm -rf "$work"
    say "stopped before anything ran; $work removed"
  else
    # The binaries and the databases go; the logs and configs stay.
    rm -rf "${work:?}/bin" "${work:?}/prometheus-data" "${work:?}/alertmanager-data"
    say "stopped; logs kept in $work:"
    for f in "$work"/*.log; do [[ -e $f ]] && printf '  %s\n' "$f"; done
  fi
  exit "$rc"
}
trap 'stop 0' INT TERM HUP
trap 'stop $?' EXIT

cd "$(dirname "$0")/.."

HOST=127.0.0.1
KEY=demo-key
SIM_PORT=${SIM_PORT:-10158}
EXPORTER_PORT=${EXPORTER_PORT:-10157}
PROM_PORT=${PROM_PORT:-19090}
AM_PORT=${AM_PORT:-19093}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-0}
START_TIMEOUT=60 # seconds for everything to answer, on a busy machine too

command -v go >/dev/null 2>&1 || fail "needs Go (https://go.dev/dl/)"
command -v curl >/dev/null 2>&1 || fail "needs curl (apt-get install -y curl)"
case $DEMO_TIMEOUT in '' | *[!0-9]*) fail "DEMO_TIMEOUT=$DEMO_TIMEOUT: want a whole number of seconds" ;; esac

# What runs: Prometheus and Alertmanager only when found (Alertmanager only
# with Prometheus, which sends it the alerts).
prom_bin='' am_bin='' prom_missing=''
if [[ ${DEMO_NO_PROMETHEUS:-} == 1 ]]; then
  prom_missing="left out (DEMO_NO_PROMETHEUS=1)"
else
  prom_bin=$(command -v prometheus 2>/dev/null || true)
  am_bin=$(command -v prometheus-alertmanager 2>/dev/null || command -v alertmanager 2>/dev/null || true)
  if [[ -z $prom_bin ]]; then
    am_bin=''
    prom_missing="not found in PATH"
  fi
fi
amtool_bin='' promtool_bin=''
if [[ -n $prom_bin ]]; then
  promtool_bin=$(command -v promtool 2>/dev/null || true)
fi
if [[ -n $am_bin ]]; then
  amtool_bin=$(command -v amtool 2>/dev/null || true)
fi

# The ports: each must be a number, distinct, and free on $HOST.
port_vars="SIM_PORT EXPORTER_PORT"
[[ -n $prom_bin ]] && port_vars="$port_vars PROM_PORT"
[[ -n $am_bin ]] && port_vars="$port_vars AM_PORT"
seen=' '
for var in $port_vars; do
  port=${!var}
  case $port in '' | *[!0-9]*) fail "$var=$port: want a port number" ;; esac
  ((port >= 1 && port <= 65535)) || fail "$var=$port: want a port number from 1 to 65535"
  [[ $seen == *" $port "* ]] && fail "$var=$port: the same port as another of $port_vars"
  seen="$seen$port "
done

# port_holder PORT prints what listens on PORT where a listener on $HOST
# would clash with it, and fails when nothing does.
port_holder() {
  local port=$1 line who=''
  if command -v ss >/dev/null 2>&1; then
    line=$(ss -Hltnp "sport = :$port" 2>/dev/null |
      awk '$4 ~ /^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]|\[::ffff:127\.0\.0\.1\]):[0-9]+$/' | head -n 1 || true)
    if [[ -n $line ]]; then
      who=$(printf '%s\n' "$line" | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/"\1" (pid \2)/p')
      printf '%s\n' "${who:-a process this user cannot see (sudo ss -ltnp "sport = :$port" names it)}"
      return 0
    fi
  fi
  if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
    if command -v lsof >/dev/null 2>&1; then
      who=$(lsof -nP -iTCP:"$port" -sTCP:LISTEN 2>/dev/null | awk 'NR == 2 { printf "\"%s\" (pid %s, user %s)", $1, $2, $3 }' || true)
    fi
    printf '%s\n' "${who:-a process that ss and lsof do not name}"
    return 0
  fi
  return 1
}
taken=0
for var in $port_vars; do
  if who=$(port_holder "${!var}"); then
    printf 'demo: port %s (%s) is taken by %s\n' "${!var}" "$var" "$who" >&2
    taken=1
  fi
done
if ((taken)); then
  fail "refusing to start: stop what holds the port (an earlier demo?), or choose another, e.g. SIM_PORT=20158 EXPORTER_PORT=20157 PROM_PORT=29090 AM_PORT=29093 make demo"
fi

if [[ -n ${DEMO_DIR:-} ]]; then
  mkdir -p "$DEMO_DIR"
  work=$(cd "$DEMO_DIR" && pwd)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/twelvelabs-demo.XXXXXX")
  made_work=1
fi
mkdir -p "$work/bin"

# Processes started, by name; each logs to $work/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}

# A process that exited. Stopped by a signal from outside (status 0 after
# SIGINT or SIGTERM, as they all do, or killed by one of them), it was a
# Ctrl-C this script did not see: a script's background job runs with
# SIGINT ignored, and Go programs take it all the same. Then stop the others
# and exit 0, as on a Ctrl-C. Else its status and the end of its log, and
# exit 1.
died() {
  local i=$1 st=0
  wait "${pids[i]}" 2>/dev/null || st=$?
  case $st in
  0 | 130 | 143)
    stopping="the ${names[i]} stopped (exit status $st), as on a Ctrl-C or a SIGTERM: stopping the others"
    stop 0
    ;;
  esac
  say "${names[i]} exited with status $st; the end of $work/${names[i]}.log:" >&2
  tail -n 5 "$work/${names[i]}.log" | sed 's/^/  /' >&2
  exit 1
}
deadline=$((SECONDS + START_TIMEOUT))
wait_ready() { # wait_ready INDEX URL: until URL answers 2xx, while the process runs
  local i=$1 url=$2
  while :; do
    kill -0 "${pids[i]}" 2>/dev/null || died "$i"
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    ((SECONDS < deadline)) || fail "${names[i]}: $url did not answer within ${START_TIMEOUT}s; logs in $work"
    sleep 0.2
  done
}

# build WHAT OUTPUT PACKAGE: go build into $work/bin/OUTPUT, saying what it
# builds, how far it is (go build -v names each package it compiles: a line
# rewritten in place on a terminal, else a line every 15 s) and how long it
# took. The first build compiles some 300 packages (Go's own included) and
# takes a minute or more; later ones come from Go's build cache. The
# compiler's output goes to $work/build.log too. Go's own temporary files go
# under $work/bin (GOTMPDIR), which stopping removes: go build killed by a
# Ctrl-C leaves its go-build* directory behind.
pkg_re='^[A-Za-z0-9._~/+-]+$' # a line of go build -v naming a package
build() {
  local what=$1 out=$2 pkg=$3 todo t0=$SECONDS n
  # How many packages are not in the build cache yet (downloading modules
  # first if need be, and saying so).
  mkdir -p "$work/bin/go-tmp"
  todo=$({ GOTMPDIR=$work/bin/go-tmp go list -deps -f '{{if .Stale}}{{.ImportPath}}{{end}}' "$pkg" 2>&1 1>&3 |
    { grep '^go: download' || true; } >&2; } 3>&1 | { grep -c . || true; }) || true
  todo=${todo:-0}
  if ((todo > 20)); then
    say "building the $what: $todo packages to compile (a first build takes a minute or more)…"
  else
    say "building the $what…"
  fi
  echo "# go build -v -o $work/bin/$out $pkg" >>"$work/build.log"
  if ! GOTMPDIR=$work/bin/go-tmp go build -v -o "$work/bin/$out" "$pkg" 2>&1 | progress "$todo" 3>>"$work/build.log"; then
    fail "building the $what failed: go build -o $work/bin/$out $pkg (its output above and in $work/build.log)"
  fi
  n=$(sed -n "/^# go build -v -o [^ ]*\/$out /,\$p" "$work/build.log" | grep -cE "$pkg_re" || true)
  if ((n > 1)); then
    say "built the $what in $((SECONDS - t0)) s ($n packages compiled)"
  else
    say "built the $what in $((SECONDS - t0)) s (from Go's build cache)"
  fi
}
# progress TODO: reads go build -v's output; shows the count of packages
# compiled, passes anything else (errors, go: downloading) on to stderr.
progress() {
  local todo=$1 t0=$SECONDS last=$SECONDS n=0 line tty=0 of
  [[ -t 1 ]] && tty=1
  while IFS= read -r line; do
    printf '%s\n' "$line" >&3
    if [[ $line =~ $pkg_re ]]; then
      n=$((n + 1))
      of=$n
      ((n <= todo)) && of="$n/$todo"
      if ((tty)); then
        ((${#line} > 40)) && line=…${line: -39}
        printf '\r\033[Kdemo:   %s packages compiled, %d s: %s' "$of" $((SECONDS - t0)) "$line"
      elif ((SECONDS - last >= 15)); then
        say "  $of packages compiled, $((SECONDS - t0)) s"
        last=$SECONDS
      fi
    else
      ((tty && n)) && printf '\r\033[K'
      printf '%s\n' "$line" >&2
    fi
  done
  ((tty && n)) && printf '\r\033[K'
  return 0
}
build exporter twelvelabs_exporter .
build simulator twelvelabs-simulator ./cmd/twelvelabs-simulator

SIM=http://$HOST:$SIM_PORT EXPORTER=http://$HOST:$EXPORTER_PORT
PROM=http://$HOST:$PROM_PORT AM=http://$HOST:$AM_PORT

# The whole pipeline moves: media arrive as uploads, assets, indexing and
# analysis tasks (and batches), a status every 10 s; every stage's
# collector is on, and a plan is declared for the usage panels.
start simulator "$work/bin/twelvelabs-simulator" --listen-address="$HOST:$SIM_PORT" --api-key="$KEY" \
  --rate=60 --failed-ratio=0.03 --processing-time=30s --pipeline-rate=12 --pipeline-step=10s
start exporter env TWELVELABS_API_KEY="$KEY" "$work/bin/twelvelabs_exporter" \
  --web.listen-address="$HOST:$EXPORTER_PORT" --twelvelabs.url="$SIM/v1.3" \
  --collector.indexing --collector.analyze --collector.batches --collector.uploads --collector.indexes --collector.assets \
  --plan.media-minutes-per-hour=600 --plan.tokens-per-day=1000000

if [[ -n $am_bin ]]; then
  cat >"$work/alertmanager.yml" <<YAML
route: {receiver: log, group_wait: 5s, group_interval: 10s}
receivers: [{name: log}]
YAML
  start alertmanager "$am_bin" --config.file="$work/alertmanager.yml" --storage.path="$work/alertmanager-data" \
    --web.listen-address="$HOST:$AM_PORT" --cluster.listen-address=
fi
if [[ -n $prom_bin ]]; then
  # The demo shortens each alert's "for:" from minutes to seconds, so that
  # alerts fire while you watch; thresholds are the production ones.
  sed -E 's/^([[:space:]]+for:[[:space:]]+)([0-9]+)m[[:space:]]*$/\1\2s/' alerts/twelvelabs.rules.yml >"$work/rules.yml"
  {
    echo "global: {scrape_interval: 5s, scrape_timeout: 4s, evaluation_interval: 5s}"
    echo "rule_files: [\"$work/rules.yml\"]"
    if [[ -n $am_bin ]]; then
      echo "alerting:"
      echo "  alertmanagers: [{static_configs: [{targets: [\"$HOST:$AM_PORT\"]}]}]"
    fi
    echo "scrape_configs:"
    echo "  - job_name: twelvelabs"
    echo "    static_configs: [{targets: [\"$HOST:$EXPORTER_PORT\"]}]"
  } >"$work/prometheus.yml"
  start prometheus "$prom_bin" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
    --web.listen-address="$HOST:$PROM_PORT"
fi

running=$(printf ", %s" "${names[@]}")
say "started the ${running#, } on $HOST; waiting for them to answer"
for i in "${!names[@]}"; do
  case ${names[i]} in
  simulator) wait_ready "$i" "$SIM/_sim/config" ;;
  exporter) wait_ready "$i" "$EXPORTER/" ;;
  prometheus) wait_ready "$i" "$PROM/-/ready" ;;
  alertmanager) wait_ready "$i" "$AM/-/ready" ;;
  esac
done

# The web UI's pages differ: Debian's Prometheus 2.x serves only the classic
# UI (/classic/graph; /graph redirects there), upstream 2.x the React UI on
# /graph, 3.x /query. Print the first that answers 200 itself.
prom_page() {
  local p
  for p; do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$PROM/$p" || true) == 200 ]] && { echo "$PROM/$p"; return; }
  done
  echo "$PROM/$1"
}

# A task stuck for two hours: TwelveLabsTasksStuckProcessing fires in about 20 s.
curl -fsS -o /dev/null -X POST "$SIM/_sim/tasks" \
  -d '{"api":"v2","n":1,"status":"processing","age":"2h","model":"marengo3.5"}'

cfg="curl -sS -X POST $SIM/_sim/config -d"
undo="$cfg '{\"fault\":{\"kind\":\"\",\"ratio\":0}}'"
echo
echo "  Simulator     $SIM/v1.3/embed-v2/tasks   (header x-api-key: $KEY)"
echo "  Exporter      $EXPORTER/metrics"
if [[ -n $prom_bin ]]; then
  graph=$(prom_page query graph classic/graph)
  echo "  Prometheus    $graph?g0.expr=twelvelabs_up&g0.tab=1"
  echo "                $(prom_page alerts classic/alerts)"
  echo "                $(prom_page rules classic/rules)"
  echo "                $(prom_page targets classic/targets)"
fi
if [[ -n $am_bin ]]; then
  # Debian's package has no web UI: its / is a page saying to use amtool.
  if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$AM/script.js" || true) == 200 ]]; then
    echo "  Alertmanager  $AM/#/alerts"
  else
    echo "  Alertmanager  $AM/api/v2/alerts   (no web UI in this package, as in Debian's: $([[ -n $amtool_bin ]] && echo "amtool below" || echo "its API"))"
  fi
fi
echo
echo "  Look:"
echo "    curl -sS $EXPORTER/metrics | grep -E '^twelvelabs_(up|embed_tasks)[{ ]'"
echo "    curl -sS $EXPORTER/metrics | grep -E '^twelvelabs_(indexing_tasks|analyze_tasks|batches|uploads_sessions|indexes)[{ ]'"
echo "    curl -sS $EXPORTER/metrics | grep -E '^twelvelabs_(usage|plan)_'"
echo "    curl -sS -H 'x-api-key: $KEY' '$SIM/v1.3/embed-v2/tasks?page_limit=2'"
echo "    curl -sS $SIM/_sim/config     # the simulator's state: key, fault, workload, tasks"
if [[ -n $prom_bin ]]; then
  if [[ -n $promtool_bin ]]; then
    echo "    promtool query instant $PROM 'ALERTS'"
  else
    echo "    curl -sS $PROM/api/v1/alerts"
  fi
fi
if [[ -n $am_bin ]]; then
  if [[ -n $amtool_bin ]]; then
    echo "    amtool --alertmanager.url=$AM alert query"
  else
    echo "    curl -sS $AM/api/v2/alerts"
  fi
fi
echo
if [[ -n $prom_bin ]]; then
  echo "  A task stuck for 2 hours was added: TwelveLabsTasksStuckProcessing fires in about 20 s"
  echo "  (the demo shortens the rules' \"for:\" from minutes to seconds)."
else
  echo "  A task stuck for 2 hours was added: see twelvelabs_embed_tasks_oldest_created_timestamp_seconds."
fi
echo
echo "  Faults, each with its undo (one fault at a time: setting one replaces the last):"
echo "    # revoke the key -> twelvelabs_up 0, reason=\"key_rejected\"; TwelveLabsAPIKeyRejected"
echo "    $cfg '{\"key\":\"revoked\"}'"
echo "    $cfg '{\"key\":\"$KEY\"}'   # undo"
echo "    # a plan without the Embed API: 403 api_allowed_for_paid_plan -> reason=\"not_allowed\"; TwelveLabsAPINotAllowed"
echo "    $cfg '{\"fault\":{\"kind\":\"not-allowed\",\"ratio\":1}}'"
echo "    $undo   # undo"
echo "    # 429 with X-Ratelimit-Reset, no Retry-After -> retries, then reason=\"rate_limited\"; TwelveLabsRateLimited"
echo "    $cfg '{\"fault\":{\"kind\":\"ratelimit-reset\",\"ratio\":1,\"retry_after\":\"1\"}}'"
echo "    $undo   # undo"
echo "    # 429 on half the requests -> retries, twelvelabs_exporter_api_requests_total{code=\"429\"}, now and then a failed listing"
echo "    $cfg '{\"fault\":{\"kind\":\"429\",\"ratio\":0.5,\"retry_after\":\"1\"}}'"
echo "    $undo   # undo"
printf '%s\n' '    # labels a careless upstream writes (" marengo3.0\xff ", "PROCESSING") -> exported trimmed, the byte as U+FFFD,'
echo "    # the status in lower case (tasks listed meanwhile keep such labels until the next full listing)"
echo "    $cfg '{\"fault\":{\"kind\":\"odd-labels\",\"ratio\":1}}'"
echo "    $undo   # undo"
echo "    # indexing backs up: new indexing tasks stay pending -> the Pipeline row's oldest unfinished item grows"
echo "    $cfg '{\"pipeline\":{\"rate_per_minute\":12,\"step_seconds\":10,\"failed_ratio\":0.03,\"backlog\":\"indexing\"}}'"
echo "    $cfg '{\"pipeline\":{\"rate_per_minute\":12,\"step_seconds\":10,\"failed_ratio\":0.03}}'   # undo"
echo "    # 200 failed tasks -> TwelveLabsHighFailureRatio; no undo: added tasks stay 7 days, restart the demo"
echo "    curl -sS -X POST $SIM/_sim/tasks -d '{\"api\":\"v1\",\"n\":200,\"status\":\"failed\",\"model\":\"marengo3.0\"}'"
echo "  Every fault kind: go run ./cmd/twelvelabs-simulator --help (under --fault)."
echo
if [[ -z $prom_bin ]]; then
  say "Prometheus and Alertmanager $prom_missing: the demo runs without them."
  say "  To add them: apt-get install -y prometheus prometheus-alertmanager (Debian/Ubuntu),"
  say "  brew install prometheus alertmanager (macOS), or https://prometheus.io/download/"
elif [[ -z $am_bin ]]; then
  say "Alertmanager not found in PATH: Prometheus runs without it."
  say "  To add it: apt-get install -y prometheus-alertmanager, or https://prometheus.io/download/"
fi
say "logs in $work"
if ((DEMO_TIMEOUT > 0)); then
  say "running for ${DEMO_TIMEOUT}s (DEMO_TIMEOUT); Ctrl-C stops it sooner"
else
  say "running; Ctrl-C stops it"
fi

# Run until stopped, or until a process exits.
started=$SECONDS
while :; do
  for i in "${!pids[@]}"; do kill -0 "${pids[i]}" 2>/dev/null || died "$i"; done
  if ((DEMO_TIMEOUT > 0 && SECONDS - started >= DEMO_TIMEOUT)); then
    say "DEMO_TIMEOUT=$DEMO_TIMEOUT reached"
    stop 0
  fi
  sleep 1
done
