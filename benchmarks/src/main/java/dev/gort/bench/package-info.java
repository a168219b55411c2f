/**
 * gort's JMH benchmarks and the {@code ./gort bench} driver.
 *
 * <p>One package per area ({@code dev.gort.bench.sys}, {@code .arena}, {@code .sched} ...), one
 * class per question, the peers the issue names as methods of the same class so they run in the
 * same fork on the same machine state. {@link dev.gort.bench.BenchMain} runs JMH with modest
 * budgets, each class's own annotations (the build machines are shared: 1 fork, mostly 3 warmup
 * + 5 measurement iterations of 1 s; a class declares more where it needs them; {@code --quick}
 * 2 + 3 for every class), writes JMH's JSON to {@code benchmarks/results/<timestamp>.json}
 * (git-ignored) and prints a markdown table via {@link dev.gort.bench.BenchTable}.
 *
 * <p><b>Baselines.</b> Ratios are per class: name the floor or the peer method {@code ..._floor}
 * or {@code ...baseline} and every row of the class is divided by it (same parameters when the
 * baseline has them); a class with no marked method is relative to its first row.
 *
 * <p>Rejected: timed unit tests (no warm-up, no fork isolation, no error estimate); a shaded
 * uber-jar (slower to build, and the launcher already has the classpath from
 * maven-dependency-plugin's {@code target/classpath.txt}).
 */
package dev.gort.bench;
