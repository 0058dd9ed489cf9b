#!/usr/bin/env bash
# Compares how fast jars start and answer the client commands: `series get` (an empty series, one
# round trip), `series list` and `publish` (one event), each jar run as ./eventflow runs it (its
# own class-data archive, serial GC, C1 only except for publish), the jars alternating run by run
# so that a change of machine load hits all of them alike. Starts a query service (H2 in memory)
# and an eventflow-broker (in memory) on free loopback ports from the fat jar and stops them at
# the end. Each jar's archive is built here, in a temporary directory, from the same training runs.
#
# Usage: eventflow-cli/bench/series-start.sh [runs] [NAME=JAR ...]
#   runs      measured runs per jar and command (default 15), after 2 warm-up runs
#   NAME=JAR  the jars to compare; default fat=target/eventflow.jar client=target/eventflow-client.jar
# Run it alone on the machine for absolute figures. Prints wall median, p90 and min, and the median
# CPU time (user + system). Figures: docs/BENCHMARKS.md, "CLI start".
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
target="$root/eventflow-cli/target"
fat="${EVENTFLOW_FAT_JAR:-$target/eventflow.jar}"
runs="${1:-15}"
shift || true
variants=("$@")
if [ ${#variants[@]} -eq 0 ]; then
  variants=("fat=$fat" "client=$target/eventflow-client.jar")
fi
work="$(mktemp -d)"
server=""
broker=""
cleanup() {
  # Both stopped before either is waited for: wait returns the killed process's status (143),
  # which set -e would take for a failure, leaving the other running.
  kill $server $broker 2>/dev/null || true
  wait $server $broker 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits up to 60 s for the sed expression $2 to match a line of the log $1; prints the match.
await() {
  local log="$1" expr="$2" pid="$3" found=""
  for _ in $(seq 1 600); do
    found="$(sed -n "$expr" "$log" | head -1)"
    [ -n "$found" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$found" ] || { cat "$log" >&2; echo "did not start: see above" >&2; exit 1; }
  echo "$found"
}

EVENTFLOW_GRPC_PORT=0 EVENTFLOW_METRICS_PORT=none EVENTFLOW_STORE='jdbc:h2:mem:series-start' \
  java -cp "$fat" io.eventflow.timeseries.srv.TimeSeriesServer >"$work/server.log" 2>&1 &
server=$!
java -cp "$fat" io.eventflow.broker.BrokerMain --in-memory --port 0 >"$work/broker.log" 2>&1 &
broker=$!
query="127.0.0.1:$(await "$work/server.log" 's/.*serving on port \([0-9]*\).*/\1/p' "$server")"
emulator="$(await "$work/broker.log" 's/.*PUBSUB_EMULATOR_HOST=\([^ ]*\).*/\1/p' "$broker")"
curl -sf -X PUT "http://$emulator/v1/projects/bench/topics/events" >/dev/null
echo '{"type":"purchase","source":"bench","attributes":{"items":{"intValue":"2"}}}' >"$work/event.json"

commands=(get list publish)
args_of() {
  case "$1" in
    get) echo "series get bench.count.sum --server $query --start 2026-11-20 --end 2026-11-21" ;;
    list) echo "series list --server $query" ;;
    publish) echo "publish --topic projects/bench/topics/events --emulator $emulator" ;;
  esac
}

# The java command line ./eventflow runs for command $2 from jar $1 with archive $3.
java_line() {
  local jar="$1" command="$2" archive="$3"
  echo "java -XX:SharedArchiveFile=$archive -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off" \
    "-XX:+UseSerialGC $([ "$command" = publish ] || echo -XX:TieredStopAtLevel=1) -jar $jar"
}

# Training: the classes each command loads from each jar, dumped into that jar's archive.
for variant in "${variants[@]}"; do
  name="${variant%%=*}"
  jar="${variant#*=}"
  for command in "${commands[@]}"; do
    # shellcheck disable=SC2046
    java -XX:DumpLoadedClassList="$work/$name.$command.lst" -jar "$jar" $(args_of "$command") \
      <"$work/event.json" >"$work/train.out" 2>&1 ||
      { cat "$work/train.out" >&2; echo "$name: $command failed" >&2; exit 1; }
  done
  sort -u "$work/$name".*.lst >"$work/$name.classes"
  java -Xshare:dump -XX:SharedClassListFile="$work/$name.classes" \
    -XX:SharedArchiveFile="$work/$name.jsa" -cp "$jar" >"$work/$name.dump.log" 2>&1 ||
    { cat "$work/$name.dump.log" >&2; exit 1; }
done

# One timed run: appends "command name wall cpu" to the results.
run() {
  local name="$1" jar="$2" command="$3" times
  # shellcheck disable=SC2046
  times="$( { TIMEFORMAT='%3R %3U %3S'; time $(java_line "$jar" "$command" "$work/$name.jsa") \
    $(args_of "$command") <"$work/event.json" >/dev/null 2>&1; } 2>&1)"
  echo "$command $name $times" | awk '{print $1, $2, $3, $4 + $5}' >>"$work/results"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $(java -version 2>&1 | head -1)"
for round in $(seq -1 "$runs"); do
  order=("${variants[@]}")
  if [ $((round % 2)) -eq 1 ]; then # every other round the other way round
    order=()
    for ((i = ${#variants[@]} - 1; i >= 0; i--)); do order+=("${variants[$i]}"); done
  fi
  for command in "${commands[@]}"; do
    for variant in "${order[@]}"; do
      run "${variant%%=*}" "${variant#*=}" "$command"
    done
  done
  [ "$round" -eq 0 ] && : >"$work/results" # rounds -1 and 0 were the warm-up
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Field $3 (wall) or $4 (CPU) of command $1 run from jar $2, sorted.
column_of() { awk -v c="$1" -v n="$2" -v f="$3" '$1 == c && $2 == n {print $f}' "$work/results" | sort -n; }
printf '%-8s %-10s %6s %12s %9s %9s %11s\n' command jar runs "wall median" "wall p90" "wall min" "CPU median"
for command in "${commands[@]}"; do
  for variant in "${variants[@]}"; do
    name="${variant%%=*}"
    # Median (mean of the middle two of an even count), p90 (nearest rank) and min.
    stats='{ v[NR] = $1 } END { printf "%.3f %.3f %.3f %d\n", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2, v[int(NR * 0.9 + 0.999)], v[1], NR }'
    read -r wall_median wall_p90 wall_min count < <(column_of "$command" "$name" 3 | awk "$stats")
    read -r cpu_median _ < <(column_of "$command" "$name" 4 | awk "$stats")
    printf '%-8s %-10s %6d %11ss %8ss %8ss %10ss\n' "$command" "$name" "$count" \
      "$wall_median" "$wall_p90" "$wall_min" "$cpu_median"
  done
done
