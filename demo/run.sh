#!/usr/bin/env bash
# One-command demo: the TwelveLabs API simulator, the exporter, Prometheus with
# the alerting rules, and Alertmanager, on loopback. No TwelveLabs key needed.
# Needs Go, and Debian's prometheus and prometheus-alertmanager packages.
# Ctrl-C stops everything and removes the demo's data.
set -euo pipefail
cd "$(dirname "$0")/.."

SIM_PORT=${SIM_PORT:-10158}
EXPORTER_PORT=${EXPORTER_PORT:-10157}
PROM_PORT=${PROM_PORT:-19090}
AM_PORT=${AM_PORT:-19093}

for bin in prometheus prometheus-alertmanager; do
  command -v "$bin" >/dev/null || { echo "demo: $bin is missing: apt-get install -y prometheus prometheus-alertmanager" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "demo: stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap stop INT TERM EXIT

echo "demo: building into $work"
go build -o "$work/twelvelabs_exporter" .
go build -o "$work/twelvelabs-simulator" ./cmd/twelvelabs-simulator

"$work/twelvelabs-simulator" --listen-address="127.0.0.1:$SIM_PORT" --api-key=demo-key \
  --rate=60 --failed-ratio=0.03 --processing-time=30s >"$work/simulator.log" 2>&1 &
pids+=($!)

TWELVELABS_API_KEY=demo-key "$work/twelvelabs_exporter" --web.listen-address="127.0.0.1:$EXPORTER_PORT" \
  --twelvelabs.url="http://127.0.0.1:$SIM_PORT/v1.3" >"$work/exporter.log" 2>&1 &
pids+=($!)

cat >"$work/alertmanager.yml" <<YAML
route: {receiver: log, group_wait: 5s, group_interval: 10s}
receivers: [{name: log}]
YAML
prometheus-alertmanager --config.file="$work/alertmanager.yml" --storage.path="$work/am" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$work/alertmanager.log" 2>&1 &
pids+=($!)

# The demo shortens each alert's "for:" from minutes to seconds, so that
# alerts fire while you watch; thresholds are the production ones.
sed -E 's/^([[:space:]]+for:[[:space:]]+)([0-9]+)m[[:space:]]*$/\1\2s/' alerts/twelvelabs.rules.yml >"$work/rules.yml"
cat >"$work/prometheus.yml" <<YAML
global: {scrape_interval: 5s, scrape_timeout: 4s, evaluation_interval: 5s}
rule_files: ["$work/rules.yml"]
alerting:
  alertmanagers: [{static_configs: [{targets: ["127.0.0.1:$AM_PORT"]}]}]
scrape_configs:
  - job_name: twelvelabs
    static_configs: [{targets: ["127.0.0.1:$EXPORTER_PORT"]}]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$work/prometheus.log" 2>&1 &
pids+=($!)

wait_for() {
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "demo: $1 did not come up; logs in $work" >&2; return 1
}
wait_for "http://127.0.0.1:$EXPORTER_PORT/"
wait_for "http://127.0.0.1:$PROM_PORT/-/ready"
wait_for "http://127.0.0.1:$AM_PORT/-/ready"

# A task stuck for two hours: TwelveLabsTasksStuckProcessing fires in about 20 s.
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$SIM_PORT/_sim/tasks" \
  -d '{"api":"v2","n":1,"status":"processing","age":"2h","model":"marengo3.5"}'

cat <<TXT

  Simulator     http://127.0.0.1:$SIM_PORT/v1.3/embed-v2/tasks   (x-api-key: demo-key)
  Exporter      http://127.0.0.1:$EXPORTER_PORT/metrics
  Prometheus    http://127.0.0.1:$PROM_PORT/alerts
  Alertmanager  http://127.0.0.1:$AM_PORT/#/alerts

  A task stuck for 2 hours was added: TwelveLabsTasksStuckProcessing fires in about 20 s.
  Try more:
    # many failures -> TwelveLabsHighFailureRatio
    curl -X POST 127.0.0.1:$SIM_PORT/_sim/tasks -d '{"api":"v1","n":200,"status":"failed","model":"marengo3.0"}'
    # revoke the key -> TwelveLabsAPIKeyRejected
    curl -X POST 127.0.0.1:$SIM_PORT/_sim/config -d '{"key":"revoked"}'
    # rate-limit half the requests -> retries, 429s on the dashboard's API panel
    curl -X POST 127.0.0.1:$SIM_PORT/_sim/config -d '{"fault":{"kind":"429","ratio":0.5,"retry_after":"1"}}'

  Logs: $work/*.log     Ctrl-C stops everything.
TXT
wait
