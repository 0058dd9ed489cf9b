#!/bin/bash
# Single-event HTTP load on the collector with wrk (a native load generator, so the load costs
# little of the machine): eventflow-broker (durable, temporary directory) in one JVM, the local
# stack's collector (open, loopback) publishing to it in another, wrk with keep-alive connections
# POSTing one JSON event per request (collector-event.lua). Every 200 waited for the broker's
# confirmation. Prints requests/s, latency p50/p99 (wrk's, client side), the CPU per request of
# the collector, the broker and wrk (from /proc/PID/stat and time(1) over the measured run) and the
# load average before and after.
#
#   eventflow-benchmarks/collector-wrk.sh [seconds=20] [connections=64] [warm-up seconds=60]
#     [wrk script=collector-event.lua]
#
# connections may be a list (64,128,256): one measured run each, after one warm-up with the first.
# collector-batch.lua POSTs batches of 100 events to /v1/batch instead (a connection is then one
# batch in flight), collector-ndjson.lua the same batches as newline-delimited JSON; the CPU is
# then also given per event.
#
# Needs wrk (Debian: apt-get install wrk) and the benchmarks jar (./mvnw -B -pl eventflow-benchmarks
# -am package -DskipTests). COLLECTOR_JAVA_OPTS go to the collector's JVM (e.g. a JFR recording),
# EXTRA_CP is put before the jar (classes to try without rebuilding it). Ports are free ones.
# wrk is closed-loop: each connection sends its next request when the answer came, so its
# percentiles leave out the waiting a fixed-rate client would see when the server stalls
# (coordinated omission); at saturation they are those of the requests served.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar=${JAR:-$here/target/benchmarks.jar}
cp=${EXTRA_CP:+$EXTRA_CP:}$jar
seconds=${1:-20}
connections=${2:-64}
warmup=${3:-60}
script=$here/${4:-collector-event.lua}
command -v wrk >/dev/null || { echo "collector-wrk.sh: wrk is not on the PATH (apt-get install wrk)" >&2; exit 2; }
[ -f "$jar" ] || { echo "collector-wrk.sh: $jar is missing: build eventflow-benchmarks first" >&2; exit 2; }

tmp=$(mktemp -d /tmp/collector-wrk.XXXXXX)
broker_pid=
collector_pid=
cleanup() {
  set +e
  exec 3>&- 2>/dev/null || true # end of the collector's stdin: it stops gracefully
  [ -n "$collector_pid" ] && { timeout 10 tail --pid="$collector_pid" -f /dev/null || kill "$collector_pid"; } 2>/dev/null
  [ -n "$broker_pid" ] && { kill "$broker_pid"; wait "$broker_pid"; } 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

# Waits until file $1 has a line matching $2 and prints it; gives up after 60 s.
await_line() {
  for _ in $(seq 600); do
    if line=$(grep -m1 -E "$2" "$1"); then echo "$line"; return; fi
    sleep 0.1
  done
  echo "collector-wrk.sh: no '$2' in $1 after 60 s:" >&2; cat "$1" >&2; exit 1
}

# CPU ticks of process $1 so far: user system.
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
# CPU ticks of process $1's threads so far, summed by thread name without its number: ticks name.
thread_ticks() {
  for t in /proc/"$1"/task/*; do
    echo "$(awk '{print $(NF - 38) + $(NF - 37)}' "$t/stat" 2>/dev/null)|$(cat "$t/comm" 2>/dev/null)"
  done | awk -F'|' '{sub(/[-#]?[0-9]+$/, "", $2); n[$2] += $1} END {for (k in n) print n[k] "|" k}'
}
# Context switches of process $1's threads so far (voluntary + involuntary).
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }

java -cp "$jar" io.eventflow.broker.BrokerMain --data-dir "$tmp/broker" --port 0 >"$tmp/broker.out" 2>&1 &
broker_pid=$!
broker=$(await_line "$tmp/broker.out" "PUBSUB_EMULATOR_HOST=" | sed -E 's/.*PUBSUB_EMULATOR_HOST=([^ ]+).*/\1/')

mkfifo "$tmp/in"
# shellcheck disable=SC2086 # COLLECTOR_JAVA_OPTS is a list of options
java ${COLLECTOR_JAVA_OPTS:-} -cp "$cp" io.eventflow.benchmarks.CollectorDriver serve --broker "$broker" \
  <"$tmp/in" >"$tmp/collector.out" 2>&1 &
collector_pid=$!
exec 3>"$tmp/in"
collector=$(await_line "$tmp/collector.out" "^collector " | cut -d' ' -f2)
url=http://$collector/ # the wrk script sets the path
echo "broker $broker (pid $broker_pid), collector $collector (pid $collector_pid), $(nproc) cores"

# Warm-up: the JIT, the connections, the publisher's channel.
wrk -t1 -c"${connections%%,*}" -d"${warmup}s" -s "$script" "$url" >"$tmp/warmup.txt"
grep -E "^requests/s|^not 2xx" "$tmp/warmup.txt" | sed 's/^/warm-up: /'

for c in ${connections//,/ }; do
  echo "-- $c connections, ${seconds} s"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  thread_ticks "$collector_pid" >"$tmp/threads0"
  c0=$(ticks "$collector_pid")
  s0=$(switches "$collector_pid")
  b0=$(ticks "$broker_pid")
  /usr/bin/time -f "wrk cpu %U %S" -o "$tmp/wrk.time" \
    wrk -t1 -c"$c" -d"${seconds}s" --latency -s "$script" "$url" >"$tmp/run.txt"
  c1=$(ticks "$collector_pid")
  thread_ticks "$collector_pid" >"$tmp/threads1"
  s1=$(switches "$collector_pid")
  b1=$(ticks "$broker_pid")
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)

  sed -n '/^requests /,$p' "$tmp/run.txt"
  requests=$(awk '/^requests /{print $2}' "$tmp/run.txt")
  events=$(awk '/^events /{print $2}' "$tmp/run.txt")
  events=${events:-$requests}
  hz=$(getconf CLK_TCK)
  read -r cu0 cs0 <<<"$c0"
  read -r cu1 cs1 <<<"$c1"
  read -r bu0 bs0 <<<"$b0"
  read -r bu1 bs1 <<<"$b1"
  awk -v r="$requests" -v e="$events" -v hz="$hz" -v cu=$((cu1 - cu0)) -v cs=$((cs1 - cs0)) \
    -v b=$((bu1 + bs1 - bu0 - bs0)) -v sw=$((s1 - s0)) '$1 == "wrk" {
    printf "collector CPU %.1f s = %.0f us/request (user %.0f, system %.0f); %.1f context switches/request\n",
      (cu + cs) / hz, (cu + cs) / hz / r * 1e6, cu / hz / r * 1e6, cs / hz / r * 1e6, sw / r
    if (e != r) printf "collector CPU %.1f us/event, broker %.1f us/event, wrk %.1f us/event\n",
      (cu + cs) / hz / e * 1e6, b / hz / e * 1e6, ($3 + $4) / e * 1e6
    printf "broker CPU %.1f s = %.0f us/request\n", b / hz, b / hz / r * 1e6
    printf "wrk CPU %.1f s = %.0f us/request\n", $3 + $4, ($3 + $4) / r * 1e6
  }' "$tmp/wrk.time"
  # Where the collector's CPU went, by thread (name without its number), the busiest first.
  awk -F'|' -v r="$requests" -v hz="$hz" 'NR == FNR {t0[$2] = $1; next}
    {d = $1 - t0[$2]; if (d > 0) printf "%.0f|%s\n", d / hz / r * 1e6, $2}' "$tmp/threads0" "$tmp/threads1" |
    sort -t'|' -k1,1nr | head -8 | awk -F'|' '{printf "%s %s us", (NR == 1 ? "collector threads:" : ","), $2 " " $1} END {print ""}'
  echo "load average before: $load_before; after: $load_after"
done
