#!/usr/bin/env bash
# Peak RSS of the exporter holding the task state of a large account: the
# exporter binary (incremental listing, Embed API v2 only) against the
# simulator binary with N tasks and no arrivals, scraped once to list the
# account and five times more (each a reconciliation); VmHWM from /proc.
#
#   bench/memory.sh [-n "1000 100000 1000000"] [-g "100 50"]   (GOGC values)
set -euo pipefail
cd "$(dirname "$0")/.."

counts="1000 100000 1000000" gogcs="100 50"
while getopts "n:g:" opt; do
  case $opt in
    n) counts=$OPTARG ;; g) gogcs=$OPTARG ;;
    *) sed -n '2,7p' "$0"; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh

echo "# peak RSS after start-up and 5 scrapes (incremental listing, v2 only)"
printf '| %9s | %4s | %8s | %12s |\n' tasks GOGC requests "peak RSS MiB"
printf '|%s|%s|%s|%s|\n' ----------: -----: ---------: -------------:
for n in $counts; do
  sim_port=$(free_port)
  "$work/simulator" --listen-address="127.0.0.1:$sim_port" --api-key=bench --v1-tasks=0 --v2-tasks="$n" \
    --rate=0 --processing-ratio=0.0002 >/dev/null 2>&1 &
  sim_pid=$!; pids+=("$sim_pid")
  for _ in $(seq 1 1200); do curl -fsS -o /dev/null "http://127.0.0.1:$sim_port/_sim/config" 2>/dev/null && break; sleep 0.1; done
  for g in $gogcs; do
    port=$(free_port)
    GOGC=$g TWELVELABS_API_KEY=bench "$work/exporter" --web.listen-address="127.0.0.1:$port" \
      --twelvelabs.url="http://127.0.0.1:$sim_port/v1.3" --twelvelabs.embed-api=v2 \
      --twelvelabs.timeout=30m --twelvelabs.max-pages=$((n / 50 + 1000)) >"$work/exporter.log" 2>&1 &
    exp_pid=$!; pids+=("$exp_pid")
    wait_up "http://127.0.0.1:$port/"
    for _ in 1 2 3 4 5 6; do
      curl -fsS -o "$work/metrics" -H 'X-Prometheus-Scrape-Timeout-Seconds: 1800' "http://127.0.0.1:$port/metrics"
      grep -q '^twelvelabs_up{api="v2"} 1' "$work/metrics" || { echo "bench: listing failed:"; tail -3 "$work/exporter.log"; exit 1; }
    done
    requests=$(awk '/^twelvelabs_exporter_api_requests_total\{api="v2",code="200"\}/ {print $2}' "$work/metrics")
    rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$exp_pid/status")
    printf '| %9d | %4s | %8s | %12s |\n' "$n" "$g" "$requests" "$rss"
    kill "$exp_pid"; wait "$exp_pid" 2>/dev/null || true
  done
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true
done
