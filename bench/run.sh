#!/usr/bin/env bash
# Scrape benchmark: the exporter binary against the simulator binary over
# loopback, with the simulator adding a latency to every request, for several
# task counts and concurrencies. Prints, per run: tasks, pages, API requests,
# scrape wall time, the issue's bound 1.2 x (1 + ceil((pages-1)/c)) x latency,
# and the exporter's peak RSS. Then the Go benchmarks, in benchstat's format.
#
#   bench/run.sh [-l LATENCY] [-n "1000 10000 100000"] [-c "1 4 8 16"] [-g COUNT]
#   make bench   (the defaults: -l 50ms)
set -euo pipefail
cd "$(dirname "$0")/.."

latency=50ms counts="1000 10000 100000" concs="1 4 8 16" gocount=5
while getopts "l:n:c:g:" opt; do
  case $opt in
    l) latency=$OPTARG ;; n) counts=$OPTARG ;; c) concs=$OPTARG ;; g) gocount=$OPTARG ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
. bench/lib.sh
lat_ms=$(awk -v l="$latency" 'BEGIN { if (l ~ /ms$/) { sub(/ms$/, "", l); print l+0 } else if (l ~ /s$/) { sub(/s$/, "", l); print l*1000 } else print l+0 }')

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
echo "# simulator latency per request: $latency"
printf '| %8s | %5s | %8s | %4s | %9s | %9s | %6s | %13s |\n' tasks pages requests c "scrape s" "bound s" "within" "peak RSS MiB"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------- ------- ---------- ------ ----------- ----------- -------- ---------------

for n in $counts; do
  sim_port=$(free_port)
  "$work/simulator" --listen-address="127.0.0.1:$sim_port" --api-key=bench --v1-tasks=0 --v2-tasks="$n" \
    --rate=0 --latency="$latency" >/dev/null 2>&1 &
  sim_pid=$!; pids+=("$sim_pid")
  wait_up "http://127.0.0.1:$sim_port/_sim/config"
  for c in $concs; do
    port=$(free_port)
    TWELVELABS_API_KEY=bench "$work/exporter" --web.listen-address="127.0.0.1:$port" \
      --twelvelabs.url="http://127.0.0.1:$sim_port/v1.3" --twelvelabs.embed-api=v2 \
      --twelvelabs.concurrency="$c" --twelvelabs.timeout=15m --twelvelabs.max-pages=100000 >"$work/exporter.log" 2>&1 &
    exp_pid=$!; pids+=("$exp_pid")
    wait_up "http://127.0.0.1:$port/"
    before=$(curl -fsS "http://127.0.0.1:$sim_port/_sim/config" | sed -E 's/.*"v2":([0-9]+).*/\1/')
    secs=$(curl -fsS -o "$work/metrics" -w '%{time_total}' "http://127.0.0.1:$port/metrics")
    after=$(curl -fsS "http://127.0.0.1:$sim_port/_sim/config" | sed -E 's/.*"v2":([0-9]+).*/\1/')
    grep -q '^twelvelabs_up{api="v2"} 1' "$work/metrics" || { echo "bench: listing failed:"; grep twelvelabs_ "$work/exporter.log" | tail -3; exit 1; }
    pages=$(awk '/^twelvelabs_exporter_scrape_pages\{api="v2"\}/ {print $2}' "$work/metrics")
    rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$exp_pid/status")
    bound=$(awk -v p="$pages" -v c="$c" -v l="$lat_ms" 'BEGIN { r = 1 + int((p - 1 + c - 1) / c); printf "%.3f", 1.2 * r * l / 1000 }')
    within=$(awk -v s="$secs" -v b="$bound" 'BEGIN { print (s <= b) ? "yes" : "NO" }')
    printf '| %8d | %5d | %8d | %4d | %9.3f | %9s | %6s | %13s |\n' "$n" "$pages" "$((after - before))" "$c" "$secs" "$bound" "$within" "$rss"
    kill "$exp_pid"; wait "$exp_pid" 2>/dev/null || true
  done
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true
done

echo
echo "# Go benchmarks (benchstat format), -count=$gocount"
go test -run '^$' -bench 'DecodeAggregate|ListingPeakHeap|ScrapeCached' -benchmem -count="$gocount" ./client . | grep -E '^(goos|goarch|pkg|cpu|Benchmark)'

echo
echo "# Incremental listing at steady state (100,000 tasks, 10 new a minute; 1,000,000 tasks, 100 new a minute; expiry on the API's schedule), and a 400-task batch finishing"
go test -run '^$' -bench 'IncrementalSteadyState|BatchFinish' -benchtime 1x -timeout 30m ./collector | grep -E '^(Benchmark)'
