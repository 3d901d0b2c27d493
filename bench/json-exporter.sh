#!/usr/bin/env bash
# CPU per scrape, side by side: this exporter (default, and with
# --web.disable-exporter-metrics) against prometheus-community/json_exporter,
# all three reading the same one-page account (40 Embed API v1 tasks) from the
# simulator, every scrape listing it (--twelvelabs.cache-ttl=0; json_exporter
# fetches on every probe). json_exporter is configured to give comparable
# series: one per task with its status and model (it cannot aggregate or
# paginate), and the page's total_results. For each exporter: a warm-up, then
# SCRAPES sequential scrapes over one keep-alive connection (curl -K), or with
# -c over a new TCP connection each (Connection: close; curl's num_connects is
# checked to be 1 per scrape), split into ROUNDS interleaved rounds so that a
# busy machine's drift hits all three alike; the exporter process's
# utime+stime from /proc/PID/stat is read before and after each round. The simulator's and curl's CPU are not counted.
#
#   bench/json-exporter.sh [-c] [-j JSON_EXPORTER_BINARY] [-n SCRAPES] [-r ROUNDS]
#   (or JSON_EXPORTER=PATH; defaults -n 2000 -r 4; no binary: skipped, exit 0)
#
# The module proxy does not list json_exporter, but serves its tagged source:
#   go mod download github.com/prometheus-community/json_exporter@v0.7.0, then
#   go build -o json_exporter . in a writable copy of that module directory
# (or git clone https://github.com/prometheus-community/json_exporter and build).
set -euo pipefail

je=${JSON_EXPORTER:-} scrapes=2000 rounds=4 newconn=
while getopts "cj:n:r:" opt; do
  case $opt in
    c) newconn=1 ;; j) je=$OPTARG ;; n) scrapes=$OPTARG ;; r) rounds=$OPTARG ;;
    *) sed -n '2,23p' "$0"; exit 2 ;;
  esac
done
if [ -z "$je" ]; then
  echo "bench/json-exporter.sh: skipped: no json_exporter binary (build it from github.com/prometheus-community/json_exporter and pass -j PATH)"
  exit 0
fi
[ -f "$je" ] && [ -x "$je" ] || { echo "bench/json-exporter.sh: $je is not an executable file" >&2; exit 2; }
je=$(readlink -f "$je")
[ "$scrapes" -ge "$rounds" ] && [ "$rounds" -ge 1 ] || { echo "bench/json-exporter.sh: need SCRAPES >= ROUNDS >= 1" >&2; exit 2; }
cd "$(dirname "$0")/.."

# shellcheck source=bench/lib.sh
. bench/lib.sh

hz=$(getconf CLK_TCK)
# utime+stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat,
# counted after the command name's closing parenthesis).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
sim_requests() { curl -fsS "http://127.0.0.1:$sim_port/_sim/config" | sed -E 's/.*"requests":\{"v1":([0-9]+).*/\1/'; }
# A curl config of $2 requests of the URL $1, each to /dev/null, all on one
# connection, or with -c each on a connection of its own.
curl_config() {
  [ -n "$newconn" ] && printf 'header = "Connection: close"\n'
  for _ in $(seq 1 "$2"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$1"; done
}
# Runs a curl config; fails unless every response was a 200, and, with -c,
# unless each came on a new connection (none with one keep-alive connection
# after the first).
scrape() {
  curl -sS -K "$1" -w '%{http_code} %{num_connects}\n' >"$work/codes"
  if grep -qv '^200 ' "$work/codes"; then echo "bench: a scrape of $2 did not answer 200" >&2; exit 1; fi
  if [ -n "$newconn" ]; then
    if grep -qv ' 1$' "$work/codes"; then echo "bench: a scrape of $2 reused a connection" >&2; exit 1; fi
  elif [ "$(tail -n +2 "$work/codes" | grep -cv ' 0$')" != 0 ]; then
    echo "bench: the scrapes of $2 used more than one connection" >&2; exit 1
  fi
}

sim_port=$(free_port)
"$work/simulator" --listen-address="127.0.0.1:$sim_port" --api-key=bench --v1-tasks=40 --v2-tasks=0 \
  --rate=0 >/dev/null 2>&1 &
pids+=("$!")
wait_up "http://127.0.0.1:$sim_port/_sim/config"
api="http://127.0.0.1:$sim_port/v1.3"

names=(ours ours-lean json_exporter)
labels=("twelvelabs_exporter (default)" "twelvelabs_exporter --web.disable-exporter-metrics" "json_exporter $("$je" --version 2>&1 | sed -nE '1s/.*version ([^ ]*) .*revision: ([^)]{0,12})[^)]*\).*/\1 \2/p')")
declare -A pid url

for name in ours ours-lean; do
  port=$(free_port)
  extra=()
  [ "$name" = ours-lean ] && extra=(--web.disable-exporter-metrics)
  TWELVELABS_API_KEY=bench "$work/exporter" --web.listen-address="127.0.0.1:$port" \
    --twelvelabs.url="$api" --twelvelabs.embed-api=v1 --twelvelabs.cache-ttl=0 \
    "${extra[@]}" >"$work/$name.log" 2>&1 &
  pid[$name]=$!; pids+=("$!")
  url[$name]="http://127.0.0.1:$port/metrics"
  wait_up "http://127.0.0.1:$port/"
done

cat >"$work/json_exporter.yml" <<'EOF'
modules:
  twelvelabs:
    headers:
      x-api-key: bench
    metrics:
    - name: twelvelabs_embed_tasks_total_results
      help: Tasks the Embed API reports (page_info.total_results).
      path: '{ .page_info.total_results }'
      labels:
        api: v1
    - name: twelvelabs_embed_task
      type: object
      help: One series per task on the page, with its status and model.
      path: '{ .data[*] }'
      labels:
        api: v1
        id: '{ ._id }'
        status: '{ .status }'
        model_name: '{ .model_name }'
      values:
        info: 1
EOF
port=$(free_port)
"$je" --config.file="$work/json_exporter.yml" --web.listen-address="127.0.0.1:$port" >"$work/json_exporter.log" 2>&1 &
pid[json_exporter]=$!; pids+=("$!")
# The target, URL-encoded: $api/embed/tasks?page_limit=50
target=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$api/embed/tasks?page_limit=50")
url[json_exporter]="http://127.0.0.1:$port/probe?module=twelvelabs&target=$target"
wait_up "http://127.0.0.1:$port/"

# Each exporter must list the account: the 40 tasks, as 40 v1 tasks in ours and
# 40 task series in json_exporter's.
for name in "${names[@]}"; do
  curl -fsS -o "$work/$name.metrics" "${url[$name]}"
done
for name in ours ours-lean; do
  grep -q '^twelvelabs_up{api="v1"} 1' "$work/$name.metrics" || { echo "bench: $name failed to list:"; tail -3 "$work/$name.log"; exit 1; }
  got=$(awk '/^twelvelabs_embed_tasks\{api="v1",/ { s += $2 } END { print s + 0 }' "$work/$name.metrics")
  [ "$got" = 40 ] || { echo "bench: $name counted $got tasks, not 40" >&2; exit 1; }
done
got=$(grep -c '^twelvelabs_embed_task_info{' "$work/json_exporter.metrics" || true)
[ "$got" = 40 ] || { echo "bench: json_exporter gave $got task series, not 40" >&2; tail -3 "$work/json_exporter.log"; exit 1; }

per_round=$((scrapes / rounds)) scrapes=$(((scrapes / rounds) * rounds))
declare -A ticks secs reqs series bytes
for name in "${names[@]}"; do
  curl_config "${url[$name]}" 50 >"$work/$name.warm"
  curl_config "${url[$name]}" "$per_round" >"$work/$name.run"
  scrape "$work/$name.warm" "$name"
  ticks[$name]=0 secs[$name]=0 reqs[$name]=0
  series[$name]=$(grep -vc '^#' "$work/$name.metrics")
  bytes[$name]=$(wc -c <"$work/$name.metrics")
done
for r in $(seq 0 $((rounds - 1))); do
  for i in 0 1 2; do
    name=${names[$(((i + r) % 3))]}   # a rotating order
    p=${pid[$name]}
    q0=$(sim_requests); t0=$(cpu_ticks "$p"); s0=$(date +%s.%N)
    scrape "$work/$name.run" "$name"
    t1=$(cpu_ticks "$p"); s1=$(date +%s.%N); q1=$(sim_requests)
    ticks[$name]=$((ticks[$name] + t1 - t0))
    reqs[$name]=$((reqs[$name] + q1 - q0))
    secs[$name]=$(awk -v a="${secs[$name]}" -v b="$s0" -v c="$s1" 'BEGIN { print a + c - b }')
  done
done

ms() { awk -v t="${ticks[$1]}" -v hz="$hz" -v n="$scrapes" 'BEGIN { printf "%.3f", t * 1000 / hz / n }'; }
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
conn="one keep-alive connection"
[ -n "$newconn" ] && conn="a new TCP connection per scrape"
echo "# one-page account: 40 Embed API v1 tasks; $scrapes sequential scrapes each ($rounds interleaved rounds, after 50 warm-up), $conn; CPU = exporter process utime+stime at $hz Hz (simulator and curl not counted)"
printf '| %-58s | %11s | %9s | %11s | %8s | %8s | %11s |\n' exporter "CPU ms/scr" "wall ms" "API req/scr" series bytes "vs json_exp"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 60))" ------------- ----------- ------------- ---------- ---------- -------------
for i in 0 1 2; do
  name=${names[$i]}
  printf '| %-58s | %11s | %9.3f | %11.2f | %8d | %8d | %10sx |\n' "${labels[$i]}" "$(ms "$name")" \
    "$(awk -v s="${secs[$name]}" -v n="$scrapes" 'BEGIN { print s * 1000 / n }')" \
    "$(awk -v q="${reqs[$name]}" -v n="$scrapes" 'BEGIN { print q / n }')" "${series[$name]}" "${bytes[$name]}" \
    "$(awk -v a="${ticks[json_exporter]}" -v b="${ticks[$name]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')"
done
echo "# target: json_exporter / ours >= 4 (API req/scr = simulator requests per scrape: every scrape lists)"
