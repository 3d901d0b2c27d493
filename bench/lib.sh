# Shared by the bench scripts: a work folder with the exporter and simulator
# built into it, processes stopped on exit, free ports, waiting for a server.
# Sourced from the repository's root.

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

go build -o "$work/exporter" .
go build -o "$work/simulator" ./cmd/twelvelabs-simulator

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "bench: $1 did not come up" >&2
  exit 1
}
