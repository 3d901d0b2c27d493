#!/usr/bin/env bash
# Many accounts: one exporter watching N accounts (--config.file), against one
# simulator serving N keys (simulator.Accounts, built at run time from a small
# Go program in the work folder), each key with T tasks on Embed API v1 and v2.
# The exporter runs with --twelvelabs.cache-ttl=1h. Measures the exporter's
# RSS before and after probing every account once (memory per account), the
# CPU per probe uncached (first probes) and cached (later rounds, from the
# cache: no API request), and isolation: while a probe of acct-0, made slow
# (SLOW latency on every request of its key), is in flight, probes of 10 other
# accounts must answer well under SLOW. Every probe must return twelvelabs_up 1
# and T tasks for both APIs.
#
#   bench/accounts.sh [-n ACCOUNTS (100)] [-t TASKS per API per account (500)] [-s SLOW_LATENCY (2s)] [-r CACHED_ROUNDS (3)]
set -euo pipefail
cd "$(dirname "$0")/.."

n=100 tasks=500 slow=2s rounds=3
while getopts "n:t:s:r:" opt; do
  case $opt in
    n) n=$OPTARG ;; t) tasks=$OPTARG ;; s) slow=$OPTARG ;; r) rounds=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
[ "$n" -ge 2 ] || { echo "bench: -n wants 2 accounts or more" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh
slow_ms=$(awk -v l="$slow" 'BEGIN { if (l ~ /ms$/) { sub(/ms$/, "", l); print l+0 } else if (l ~ /s$/) { sub(/s$/, "", l); print l*1000 } else print l+0 }')

# The multi-key simulator: a module of its own that uses this repository's
# simulator package through a replace directive.
mkdir -p "$work/multisim"
cat >"$work/multisim/go.mod" <<EOF
module benchmultisim

go $(awk '/^go / {print $2}' go.mod)

require github.com/twelvelabs-community/twelvelabs_exporter v0.0.0

replace github.com/twelvelabs-community/twelvelabs_exporter => $PWD
EOF
cp go.sum "$work/multisim/go.sum"
cat >"$work/multisim/main.go" <<'EOF'
// Command multisim serves simulator.Accounts: -accounts keys bench-key-0..N-1,
// each with -tasks tasks on v1 and v2. POST /_bench/latency?account=I&latency=D
// sets one account's latency; GET /_bench/requests prints the list requests
// served, all accounts and both APIs together.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:10158", "address to listen on")
	accounts := flag.Int("accounts", 100, "accounts (keys)")
	tasks := flag.Int("tasks", 500, "tasks per API per account")
	flag.Parse()

	// Two seconds back: the exporter's window ends at the last whole second.
	now := time.Now().Add(-2 * time.Second)
	servers := make([]*simulator.Server, *accounts)
	byKey := make(map[string]*simulator.Server, *accounts)
	for i := range servers {
		key := fmt.Sprintf("bench-key-%d", i)
		s := simulator.New(key)
		for _, api := range []string{simulator.V1, simulator.V2} {
			s.SetTasks(api, simulator.Generate(simulator.GenerateOptions{
				Seed: uint64(i) + 1, N: *tasks, Now: now, API: api, FailedRatio: 0.03, ProcessingRatio: 0.02,
			}))
		}
		servers[i], byKey[key] = s, s
	}

	mux := http.NewServeMux()
	mux.Handle("/", simulator.NewAccounts(byKey))
	mux.HandleFunc("GET /_bench/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /_bench/requests", func(w http.ResponseWriter, _ *http.Request) {
		var total int64
		for _, s := range servers {
			total += s.Requests(simulator.V1) + s.Requests(simulator.V2)
		}
		fmt.Fprintln(w, total)
	})
	mux.HandleFunc("POST /_bench/latency", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.FormValue("account"))
		if err != nil || i < 0 || i >= len(servers) {
			http.Error(w, "bad account", http.StatusBadRequest)
			return
		}
		d, err := time.ParseDuration(r.FormValue("latency"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		servers[i].SetLatency(d)
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
EOF
(cd "$work/multisim" && GOWORK=off GOFLAGS="${GOFLAGS:-} -mod=mod" go build -o "$work/multisim-bin" .)

sim_port=$(free_port) port=$(free_port)
sim="http://127.0.0.1:$sim_port"
exp="http://127.0.0.1:$port"
"$work/multisim-bin" -listen="127.0.0.1:$sim_port" -accounts="$n" -tasks="$tasks" >"$work/multisim.log" 2>&1 &
pids+=($!)
wait_up "$sim/_bench/ready"

# The accounts file, and each account's key in the exporter's environment.
keys=()
{
  echo "accounts:"
  for i in $(seq 0 $((n - 1))); do
    printf '  - name: acct-%d\n    key_env: KEY_%d\n' "$i" "$i"
    keys+=("KEY_$i=bench-key-$i")
  done
} >"$work/accounts.yml"
env "${keys[@]}" "$work/exporter" --web.listen-address="127.0.0.1:$port" --config.file="$work/accounts.yml" \
  --twelvelabs.url="$sim/v1.3" --twelvelabs.cache-ttl=1h >"$work/exporter.log" 2>&1 &
exp_pid=$!; pids+=("$exp_pid")
wait_up "$exp/"
sleep 0.5

kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$exp_pid/status"; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$exp_pid/stat"; } # utime + stime, after the comm field
hz=$(getconf CLK_TCK)
sim_requests() { curl -fsS "$sim/_bench/requests"; }
fds() { find "/proc/$exp_pid/fd" -mindepth 1 | wc -l; }
goroutines() { curl -fsS "$exp/metrics" | awk '$1 == "go_goroutines" {print $2}'; }

# probe FROM TO DIR: probes acct-FROM..acct-TO in turn, one connection, into
# DIR/acct-I; prints each probe's HTTP code and wall time.
probe() {
  local args=() i
  [ "$1" -le "$2" ] || return 0
  for i in $(seq "$1" "$2"); do args+=(-o "$3/acct-$i" "$exp/probe?target=acct-$i"); done
  curl -sS --globoff -m 30 -H 'X-Prometheus-Scrape-Timeout-Seconds: 10' -w '%{http_code} %{time_total}\n' "${args[@]}"
}
# check FILE: twelvelabs_up 1 and the right task count for both APIs.
check() {
  local api up got
  for api in v1 v2; do
    up=$(awk -v m="twelvelabs_up{api=\"$api\"}" '$1 == m {print $2}' "$1")
    got=$(awk -v a="api=\"$api\"" '/^twelvelabs_embed_tasks\{/ && index($0, a) {s += $2} END {printf "%d", s}' "$1")
    if [ "$up" != 1 ] || [ "$got" != "$tasks" ]; then
      echo "bench: $(basename "$1") $api: twelvelabs_up ${up:-absent}, $got tasks of $tasks" >&2
      grep -m3 'level=ERROR' "$work/exporter.log" >&2 || true
      return 1
    fi
  done
}
codes_ok() { awk '$1 != 200 { bad = 1 } END { exit bad }' "$1" || { echo "bench: a probe did not answer 200: $(sort "$1" | uniq -c | head -3)" >&2; exit 1; }; }

rss_before=$(kib VmRSS)
fds_before=$(fds) gor_before=$(goroutines)
mkdir -p "$work/first" "$work/cached"

# Isolation: acct-0 slow, its first probe in flight while 10 others are probed.
others=$((n - 1 < 10 ? n - 1 : 10))
curl -fsS -X POST "$sim/_bench/latency?account=0&latency=$slow" >/dev/null
(
  t0=$(date +%s.%N)
  curl -sS -m 60 -H 'X-Prometheus-Scrape-Timeout-Seconds: 10' -o "$work/first/acct-0" "$exp/probe?target=acct-0"
  echo "$t0 $(date +%s.%N)" >"$work/slow.times"
) &
slow_pid=$!; pids+=("$slow_pid")
sleep 0.2
probe 1 "$others" "$work/first" >"$work/isolation.times"
others_end=$(date +%s.%N)
wait "$slow_pid"
codes_ok "$work/isolation.times"
read -r slow_t0 slow_t1 <"$work/slow.times"
slow_secs=$(awk -v a="$slow_t0" -v b="$slow_t1" 'BEGIN { printf "%.3f", b - a }')
iso_max=$(awk '{ if ($2 > m) m = $2 } END { printf "%.3f", m }' "$work/isolation.times")
overlap=$(awk -v e="$others_end" -v s="$slow_t1" 'BEGIN { print (e < s) ? "yes" : "NO" }')
iso_ok=$(awk -v m="$iso_max" -v l="$slow_ms" 'BEGIN { print (m * 1000 < l / 4) ? "yes" : "NO" }')
# A slow listing longer than the scrape's budget goes on in the background:
# the next probes serve it once done.
slow_up=yes
for _ in 1 2 3 4 5 6; do
  check "$work/first/acct-0" 2>/dev/null && break
  slow_up=no
  curl -sS -m 30 -H 'X-Prometheus-Scrape-Timeout-Seconds: 10' -o "$work/first/acct-0" "$exp/probe?target=acct-0"
done

# Round 1: every other account's first probe, listed from the simulator.
c0=$(ticks) r0=$(sim_requests)
probe $((others + 1)) $((n - 1)) "$work/first" >"$work/round1.times"
c1=$(ticks) r1=$(sim_requests)
codes_ok "$work/round1.times"
for i in $(seq 0 $((n - 1))); do check "$work/first/acct-$i"; done
rss_after=$(kib VmRSS) hwm=$(kib VmHWM)
fds_after=$(fds) gor_after=$(goroutines)
uncached=$((n - 1 - others))

# Cached rounds: every account again, from the cache.
c2=$(ticks) r2=$(sim_requests)
for _ in $(seq "$rounds"); do probe 0 $((n - 1)) "$work/cached" >>"$work/cached.times"; done
c3=$(ticks) r3=$(sim_requests)
codes_ok "$work/cached.times"
for i in $(seq 0 $((n - 1))); do check "$work/cached/acct-$i"; done
[ "$r3" = "$r2" ] || { echo "bench: cached rounds made $((r3 - r2)) API requests; want none" >&2; exit 1; }

ms_per() { awk -v t="$1" -v hz="$hz" -v p="$2" 'BEGIN { if (p > 0) printf "%.2f", t * 1000 / hz / p; else print "-" }'; }
wall_avg() { awk '{ s += $2; k++ } END { if (k) printf "%.1f", s * 1000 / k; else print "-" }' "$1"; }

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
echo "# $n accounts, $tasks tasks per API each (v1 and v2), acct-0 slowed to $slow a request; exporter at its defaults with --twelvelabs.cache-ttl=1h"
printf '| %-52s | %12s |\n' measure value
printf '|%s|%s|\n' ------------------------------------------------------ -------------:
row() { printf '| %-52s | %12s |\n' "$1" "$2"; }
row "RSS after start MiB" "$(awk -v k="$rss_before" 'BEGIN { printf "%.1f", k / 1024 }')"
row "RSS after every account probed once MiB" "$(awk -v k="$rss_after" 'BEGIN { printf "%.1f", k / 1024 }')"
row "memory per account KiB ((after - start) / $n)" "$(awk -v a="$rss_after" -v b="$rss_before" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }')"
row "peak RSS (VmHWM) MiB" "$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')"
row "goroutines after start / after probes" "$gor_before / $gor_after"
row "open fds after start / after probes" "$fds_before / $fds_after"
row "uncached probes (first listing, ${uncached} accounts)" "$uncached"
row "  API requests per uncached probe" "$(awk -v r="$((r1 - r0))" -v p="$uncached" 'BEGIN { if (p) printf "%.1f", r / p; else print "-" }')"
row "  CPU ms per uncached probe" "$(ms_per $((c1 - c0)) "$uncached")"
row "  wall ms per uncached probe (mean)" "$(wall_avg "$work/round1.times")"
row "cached probes ($rounds rounds of $n)" "$((rounds * n))"
row "  API requests during cached probes" "$((r3 - r2))"
row "  CPU ms per cached probe" "$(ms_per $((c3 - c2)) $((rounds * n)))"
row "  wall ms per cached probe (mean)" "$(wall_avg "$work/cached.times")"
row "slow probe of acct-0 s (up 1 on first probe: $slow_up)" "$slow_secs"
row "max wall ms of $others other probes meanwhile" "$(awk -v m="$iso_max" 'BEGIN { printf "%.1f", m * 1000 }')"
row "  all done while acct-0's probe ran" "$overlap"
row "  under SLOW/4 ($(awk -v l="$slow_ms" 'BEGIN { printf "%g", l / 4 }') ms)" "$iso_ok"
[ "$overlap" = yes ] && [ "$iso_ok" = yes ] || { echo "bench: isolation failed" >&2; exit 1; }
