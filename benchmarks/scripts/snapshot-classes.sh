#!/usr/bin/env bash
# Copies a built checkout's module classes to /work/cp-NAME/ and writes /work/cp-NAME.cp, a class
# path that stays fixed while the checkout is rebuilt (an A/B arm, or the figures of a commit).
# usage: snapshot-classes.sh CHECKOUT NAME   (build first: mvn -pl benchmarks -am package -DskipTests)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 CHECKOUT NAME" >&2; exit 2; }
src=$(cd "$1" && pwd); name=$2; dst=${SNAPSHOT_DIR:-/work}/cp-$name
[ -f "$src/benchmarks/target/classpath.txt" ] || { echo "$src/benchmarks/target/classpath.txt missing: build the benchmarks module first" >&2; exit 1; }
rm -rf "$dst"; mkdir -p "$dst"
cp=""
for m in native-bindings arena scheduler net collector sysmon runtime benchmarks; do
  [ -d "$src/$m/target/classes" ] || { echo "$src/$m/target/classes missing" >&2; exit 1; }
  cp -r "$src/$m/target/classes" "$dst/$m"
  cp="$cp${cp:+:}$dst/$m"
done
echo "$cp:$(cat "$src/benchmarks/target/classpath.txt")" > "$dst.cp"
echo "$dst.cp ($(git -C "$src" rev-parse --short HEAD)$(git -C "$src" diff --quiet || echo ' + uncommitted'))"
