#!/usr/bin/env bash
# A/B of `BinaryTrees gort DEPTH` (gctrace) between two class path files, arms alternated
# (A B, A B, ...), each run under a shared lock at autogroup nice -20 (hold it only for the run).
# usage: ab-bt21.sh A.cp B.cp PAIRS   (OUT=dir, default /tmp/ab-<time>; DEPTH=21; LOCK=/tmp/gort-bench.lock;
#        JAVA_OPTS='-Dgort.bt.phasesplit=true ...' adds flags to both arms)
# Prints one line per run: arm, pair, load, wall, max and p99 pause, mutator CPU. Class path files come
# from snapshot-classes.sh. Compare the arms pair by pair (ratios), not the absolute figures.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 A.cp B.cp PAIRS" >&2; exit 2; }
for f in "$1" "$2"; do [ -f "$f" ] || { echo "$f: no such class path file (write one with snapshot-classes.sh)" >&2; exit 2; }; done
[[ $3 =~ ^[1-9][0-9]*$ ]] || { echo "PAIRS '$3' must be a whole number >= 1" >&2; exit 2; }
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
out=${OUT:-/tmp/ab-$(date +%H%M%S)}; mkdir -p "$out"
lock=${LOCK:-/tmp/gort-bench.lock}
flags="--enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.vm=ALL-UNNAMED"
flags="$flags -XX:CompileCommand=quiet -XX:CompileCommand=dontinline,dev.gort.gc.Collector::allocFor"
flags="$flags -Xmx256m -XX:+UseSerialGC -XX:TrimNativeHeapInterval=1000 ${JAVA_OPTS:-}"
for i in $(seq 1 "$3"); do
  for arm in A B; do
    if [ $arm = A ]; then cpf=$1; else cpf=$2; fi
    f="$out/$arm-$i.txt"
    flock "$lock" setsid bash -c "echo -20 > /proc/self/autogroup 2>/dev/null; echo load \$(cut -d' ' -f1-3 /proc/loadavg) > '$f';
      GORT_DEBUG=gctrace=1 '$java' $flags -cp '$(cat "$cpf")' dev.gort.bench.gc.BinaryTrees gort ${DEPTH:-21} >> '$f' 2>&1"
    echo "$arm $i $(head -1 "$f") $(grep -o 'wall_ms=[0-9]*\|max_pause_us=[0-9]*\|p99_pause_us=[0-9]*\|mutator_cpu_ms=[0-9]*' "$f" | tr '\n' ' ')"
  done
done
echo "outputs in $out"
