#!/usr/bin/env bash
# Regenerates Java bindings from src/main/c/gort_sys.h with jextract, where jextract is installed.
#
# gort does not build from the output: LibC, OsConstants, Errno and the struct descriptors
# (Timespec, Rusage, CpuSet) are hand-written with the same names, because jextract cannot be
# installed on the build machines. Run this on a machine that has it to diff the hand-written
# bindings against generated ones; HeaderConformanceTest checks the same facts (constants,
# struct layouts, prototypes) with the system C compiler on every test run.
#
# usage: native-bindings/jextract.sh [output-dir]     (default: native-bindings/target/jextract)
# Needs jextract (https://jdk.java.net/jextract/) on PATH or in $JEXTRACT.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
header="$here/src/main/c/gort_sys.h"
out="${1:-$here/target/jextract}"
jextract="${JEXTRACT:-$(command -v jextract || true)}"

if [ -z "$jextract" ] || [ ! -x "$jextract" ]; then
  echo "jextract.sh: jextract is not installed (looked at \$JEXTRACT and PATH)." >&2
  echo "  Get it from https://jdk.java.net/jextract/ and rerun, or set JEXTRACT=/path/to/jextract." >&2
  echo "  Without it, the hand-written bindings stay authoritative; HeaderConformanceTest checks them." >&2
  exit 1
fi

# Functions: every prototype in the header ("type name(args);"). Constants: the words between
# the GORT-CONSTANTS markers. Both lists come from the header, so it stays the single list.
functions=$(sed -n 's/^[a-z].*[ *]\([a-z_][a-z0-9_]*\)(.*);.*$/\1/p' "$header" | sort -u)
constants=$(sed -n '/GORT-CONSTANTS-BEGIN/,/GORT-CONSTANTS-END/p' "$header" \
  | grep -v 'GORT-CONSTANTS' | tr -d '*' | tr ' ' '\n' | grep -v '^$' | sort -u)

# Keep only what this OS declares: the header lists Linux-only calls (sched_getcpu, epoll_*,
# accept4 ...) and macOS-only ones (kqueue, pthread_threadid_np) under #if, and macros one OS
# lacks (RUSAGE_THREAD, MADV_FREE_REUSABLE ...); asking jextract for a name the headers do not
# declare is at best noise. The C preprocessor decides, with the same #if branches the
# conformance probe compiles.
cc="${CC:-cc}"
if command -v "$cc" >/dev/null 2>&1; then
  declared=$("$cc" -E -P "$header" | tr -c 'A-Za-z0-9_' '\n' | sort -u)
  defined=$("$cc" -dM -E "$header" | awk '{ sub(/\(.*/, "", $2); print $2 }' | sort -u)
  functions=$(comm -12 <(echo "$functions") <(echo "$declared"))
  constants=$(comm -12 <(echo "$constants") <(echo "$defined"))
else
  echo "jextract.sh: no C compiler ($cc) to filter the lists by this OS's headers; passing all names" >&2
fi

args=(--output "$out" --target-package dev.gort.sys.jextract --header-class-name GortSys)
for f in $functions; do args+=(--include-function "$f"); done
for c in $constants; do args+=(--include-constant "$c"); done
for s in timespec timeval rusage; do args+=(--include-struct "$s"); done
case "$(uname -s)" in
  Linux) args+=(--include-typedef cpu_set_t) ;; # gort_sys.h defines _GNU_SOURCE itself
esac

mkdir -p "$out"
echo "jextract.sh: $jextract ${args[*]} $header"
"$jextract" "${args[@]}" "$header"
echo "jextract.sh: generated into $out (package dev.gort.sys.jextract); compare with src/main/java/dev/gort/sys"
