#!/usr/bin/env bash
# Measures how fast the eventflow command starts: `--version` and a `series get` against a running
# query service, run as `java -jar eventflow.jar` (the JVM's defaults) and through ./eventflow (the
# class-data archive, serial GC, C1 only). Starts its own query service (H2 in memory) on a free
# port from the same jar and stops it at the end. Uses hyperfine when installed
# (apt-get install hyperfine), else a loop that prints min and median of wall time.
# Usage: eventflow-cli/bench/cli-start.sh [runs]   (default 20). Figures: docs/BENCHMARKS.md.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
jar="$root/eventflow-cli/target/eventflow.jar"
runs="${1:-20}"
log="$(mktemp)"

"$root/eventflow" --version >/dev/null # builds the jar and the archive if needed

EVENTFLOW_GRPC_PORT=0 EVENTFLOW_METRICS_PORT=none EVENTFLOW_STORE='jdbc:h2:mem:cli-start' \
  java -cp "$jar" io.eventflow.timeseries.srv.TimeSeriesServer >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$log"' EXIT
port=""
for _ in $(seq 1 600); do # 60 s at most for the service to listen
  port="$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$log" | head -1)"
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "the query service did not start within 60 s" >&2; exit 1; }

query=(series get bench.count.sum --server "127.0.0.1:$port" --start 2026-11-20 --end 2026-11-21)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

if command -v hyperfine >/dev/null; then
  # -N: no shell between hyperfine and the command, so its start is not counted.
  hyperfine -N --warmup 2 --runs "$runs" --style basic \
    -n "java -jar --version" "java -jar $jar --version" \
    -n "./eventflow --version" "$root/eventflow --version" \
    -n "java -jar series get" "java -jar $jar ${query[*]}" \
    -n "./eventflow series get" "$root/eventflow ${query[*]}"
else
  measure() {
    local name="$1"
    shift
    local times=()
    for _ in $(seq 1 "$runs"); do
      local start end
      start=$(date +%s%N)
      "$@" >/dev/null 2>&1
      end=$(date +%s%N)
      times+=($(((end - start) / 1000000)))
    done
    local sorted
    sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    echo "$name: min ${sorted[0]} ms, median ${sorted[$((runs / 2))]} ms ($runs runs)"
  }
  measure "java -jar --version" java -jar "$jar" --version
  measure "./eventflow --version" "$root/eventflow" --version
  measure "java -jar series get" java -jar "$jar" "${query[@]}"
  measure "./eventflow series get" "$root/eventflow" "${query[@]}"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
