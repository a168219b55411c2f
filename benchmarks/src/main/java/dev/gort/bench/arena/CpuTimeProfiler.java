package dev.gort.bench.arena;

import dev.gort.sys.CpuClock;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

import java.util.List;

/**
 * {@code -prof dev.gort.bench.arena.CpuTimeProfiler}: the process's CPU time per operation
 * ({@code ·cpu.ns/op}) beside JMH's wall-clock score, plus the CPU share of the iteration
 * ({@code ·cpu.share}, 1.0 = the benchmark thread ran the whole time on one CPU).
 *
 * <p>Why: on a machine shared with other builds, a benchmark thread that waits for a CPU still
 * accrues wall-clock time, so two benchmarks of one run see different loads and their ratio is
 * noise. CPU time (clock_gettime(CLOCK_PROCESS_CPUTIME_ID), every thread of the fork: the
 * benchmark thread, plus JIT and GC work, which belongs to the cost of e.g. {@code new byte[]})
 * does not grow while the thread is descheduled. It still grows with cache and core sharing, so
 * it is less noisy, not noise-free. Meaningful for single-threaded AverageTime benchmarks.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private long cpuStart;
    private long wallStart;

    @Override
    public String getDescription() {
        return "process CPU time per operation (robust to the benchmark thread being descheduled)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        wallStart = CpuClock.monotonicNanos();
        cpuStart = CpuClock.processCpuNanos();
    }

    @Override
    public List<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
            IterationResult result) {
        long cpu = CpuClock.processCpuNanos() - cpuStart;
        long wall = CpuClock.monotonicNanos() - wallStart;
        long ops = result.getMetadata().getAllOps();
        if (ops <= 0) {
            return List.of();
        }
        return List.of(
                new ScalarResult("cpu.ns/op", (double) cpu / ops, "ns/op", AggregationPolicy.AVG),
                new ScalarResult("cpu.share", wall == 0 ? 0 : (double) cpu / wall, "cpu/wall", AggregationPolicy.AVG));
    }
}
