#!/usr/bin/env bash
# A large account: N tasks (default 100,000) behind a slow API (default 300 ms a
# request), more than one scrape timeout can list. The exporter runs at its
# defaults; scrapes come as Prometheus sends them (every INTERVAL, with
# X-Prometheus-Scrape-Timeout-Seconds: TIMEOUT). Each row: when, how long the
# scrape took, twelvelabs_up, the tasks it exported, and the age of the listing
# it served. Every scrape must answer within the timeout, with either no task
# metrics (before the first listing completes) or a complete listing.
#
#   bench/large-account.sh [-n 100000] [-l 300ms] [-i 15] [-t 10] [-d 240]
set -euo pipefail
cd "$(dirname "$0")/.."

n=100000 latency=300ms interval=15 timeout=10 duration=240
while getopts "n:l:i:t:d:" opt; do
  case $opt in
    n) n=$OPTARG ;; l) latency=$OPTARG ;; i) interval=$OPTARG ;; t) timeout=$OPTARG ;; d) duration=$OPTARG ;;
    *) sed -n '2,11p' "$0"; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh

sim_port=$(free_port) port=$(free_port)
"$work/simulator" --listen-address="127.0.0.1:$sim_port" --api-key=bench --v1-tasks=0 --v2-tasks="$n" --rate=0 \
  --latency="$latency" >/dev/null 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$sim_port/_sim/config"
# The listing's window ends at the last whole second: let the newest
# generated tasks fall inside it, so that a complete listing holds all N.
sleep 1.1
TWELVELABS_API_KEY=bench "$work/exporter" --web.listen-address="127.0.0.1:$port" \
  --twelvelabs.url="http://127.0.0.1:$sim_port/v1.3" --twelvelabs.embed-api=v2 >"$work/exporter.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$port/"

echo "# $n tasks, $latency a request, scrapes every ${interval}s with a ${timeout}s timeout, exporter defaults"
printf '| %6s | %8s | %3s | %8s | %14s | %s |\n' "t s" "scrape s" up tasks "listing age s" "on time"
printf '|%s|%s|%s|%s|%s|%s|\n' -------- ---------- ----- ---------- ---------------- ---------
start=$(date +%s)
late=0
while [ $(( $(date +%s) - start )) -lt "$duration" ]; do
  t0=$(date +%s.%N)
  secs=$(curl -sS -m $((timeout + 5)) -o "$work/m" -w '%{time_total}' -H "X-Prometheus-Scrape-Timeout-Seconds: $timeout" \
    "http://127.0.0.1:$port/metrics")
  up=$(awk '/^twelvelabs_up\{api="v2"\}/ {print $2}' "$work/m")
  tasks=$(awk '/^twelvelabs_embed_tasks\{/ {s += $2} END {printf "%d", s}' "$work/m")
  age=$(awk -v now="$(date +%s.%N)" '/^twelvelabs_exporter_last_success_timestamp_seconds\{api="v2"\}/ {printf "%.1f", now - $2; f=1} END {if (!f) print "-"}' "$work/m")
  ok=$(awk -v s="$secs" -v t="$timeout" 'BEGIN { print (s <= t) ? "yes" : "NO" }')
  [ "$ok" = yes ] || late=$((late + 1))
  if [ "$up" = 1 ] && [ "$tasks" != "$n" ]; then echo "PARTIAL: $tasks tasks exported of $n"; exit 1; fi
  printf '| %6.1f | %8.3f | %3s | %8s | %14s | %7s |\n' "$(awk -v a="$t0" -v b="$start" 'BEGIN {print a-b}')" "$secs" "$up" "$tasks" "$age" "$ok"
  sleep "$(awk -v i="$interval" -v s="$secs" 'BEGIN { d = i - s; print (d > 0) ? d : 0 }')"
done
[ "$late" = 0 ] || { echo "$late scrapes answered late"; exit 1; }
