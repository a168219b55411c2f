#!/usr/bin/env bash
# Loopback HTTP/1.1 keep-alive "hello" under wrk: gort http-hello (goroutines on the netpoller)
# vs the same response on JDK virtual threads (com.sun.net.httpserver) and on Netty's native epoll
# transport (HttpServerCodec). One server at a time on 127.0.0.1; wrk and the server share the
# machine's CPUs, so figures are for comparison within one run, not absolute capacity.
#
# usage: benchmarks/net/http-hello-bench.sh [--duration 5s] [--connections 50] [--threads 1]
#                                           [--warmup 3s] [--rounds 1] [--only gort|vthreads|netty]
# needs: wrk (Debian: apt-get install wrk), Maven, JDK 25. Results: benchmarks/results/net-http-<time>.md
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION=5s CONNS=50 THREADS=1 WARMUP=3s ROUNDS=1 ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install wrk)" >&2; exit 1; }

export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
JAVA="$JAVA_HOME/bin/java"
FLAGS=(--enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.vm=ALL-UNNAMED)
(cd "$ROOT" && mvn -B -q -DskipTests -pl benchmarks -am package >&2)
CP="$ROOT/benchmarks/target/classes:$(cat "$ROOT/benchmarks/target/classpath.txt")"
export GOMAXPROCS="${GOMAXPROCS:-2}"

port_up() { # port
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

run_one() { # name port round cmd...   (start, warm up, measure once, stop)
  local name=$1 port=$2 round=$3; shift 3
  "$@" >"/tmp/gort-bench-$name.log" 2>&1 &
  PID=$!
  port_up "$port" || { echo "$name did not start; log:" >&2; cat "/tmp/gort-bench-$name.log" >&2; exit 1; }
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "http://127.0.0.1:$port/" >/dev/null
  local out rps p99 errs cpu0 cpu1 reqs
  cpu0=$(cpu_ticks "$PID")
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$port/")
  cpu1=$(cpu_ticks "$PID")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(grep -E "Socket errors|Non-2xx" <<<"$out" | tr '\n' ' ' | tr ' ' '_' || true)
  # server CPU (user+sys, all threads) during the measured run, and requests per CPU-second
  local cpus per
  cpus=$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}')
  per=$(awk -v r="$reqs" -v c="$cpus" 'BEGIN{ if (c > 0) printf "%.0f", r/c; else print "-" }')
  echo "$name $round $rps $p99 $cpus $per ${errs:-none}"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

cpu_ticks() { # pid -> utime+stime in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

to_ms() { # wrk latency like 1.23ms / 456.00us / 1.02s -> ms
  awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS=()
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
# Rounds interleave the servers, so a burst of load from elsewhere hits all of them alike.
for r in $(seq 1 "$ROUNDS"); do
  want gort && RESULTS+=("$(run_one gort 18090 "$r" "$JAVA" "${FLAGS[@]}" -cp "$CP" dev.gort.net.demo.HttpHello --port 18090)")
  want vthreads && RESULTS+=("$(run_one vthreads 18091 "$r" "$JAVA" "${FLAGS[@]}" -cp "$CP" dev.gort.bench.net.VirtualThreadHttpHello --port 18091)")
  want netty && RESULTS+=("$(run_one netty 18092 "$r" "$JAVA" "${FLAGS[@]}" -Dthreads="$GOMAXPROCS" -cp "$CP" dev.gort.bench.net.NettyEpollHttpHello --port 18092)")
done

mkdir -p "$ROOT/benchmarks/results"
OUT="$ROOT/benchmarks/results/net-http-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "load average before: $LOAD0"
  echo "wrk -t$THREADS -c$CONNS -d$DURATION (warm-up $WARMUP), 127.0.0.1, GOMAXPROCS/event loops=$GOMAXPROCS, $(nproc) CPUs, $(date -u)"
  echo
  echo "| server | round | requests/s | p99 latency (ms) | server CPU s | requests per CPU s | req/s vs gort (same round) | p99 vs gort (same round) | req per CPU s vs gort | errors |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  base_rps="" base_p99=""
  for line in "${RESULTS[@]}"; do
    while read -r name round rps p99 cpus per errs; do
      [ -z "$name" ] && continue
      p99ms=$(to_ms "$p99")
      if [ "$name" = gort ]; then base_rps=$rps base_p99=$p99ms base_per=$per; fi
      if [ -n "$base_rps" ]; then
        rr=$(awk -v a="$rps" -v b="$base_rps" 'BEGIN{printf "%.2f", a/b}')
        pr=$(awk -v a="$p99ms" -v b="$base_p99" 'BEGIN{printf "%.2f", a/b}')
        cr=$(awk -v a="$per" -v b="$base_per" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "-" }')
      else rr="-" pr="-" cr="-"; fi
      echo "| $name | $round | $rps | $p99ms | $cpus | $per | $rr | $pr | $cr | $errs |"
    done <<<"$line"
  done
} | tee "$OUT"
echo "(written to $OUT)" >&2
