package dev.gort.bench.gc;

import dev.gort.gc.Collector;
import dev.gort.sys.CpuClock;
import dev.gort.sys.LibC;
import dev.gort.sys.TuningProperty;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * A diagnostic sampler ({@code -Dgort.bt.phasesplit=true}, off by default): a daemon thread reads
 * the collector's phase and one thread's CPU clock (Linux's per-thread CPU clock id, from its tid)
 * about every millisecond and splits that thread's CPU and the wall time into "marking" and "not
 * marking". A sample interval whose two ends saw different phases is counted apart ("boundary"):
 * which side its CPU belongs to is not known. With {@code -Dgort.bt.phaselog=FILE} the phase
 * changes are written to FILE as "CLOCK_MONOTONIC ns, 1 (mark start) or 0 (mark end)" lines, to
 * split a {@code perf record -k CLOCK_MONOTONIC} profile by phase. Linux only (the clock id).
 */
final class PhaseSplit implements AutoCloseable {
    static boolean enabled() {
        return TuningProperty.flag("gort.bt.phasesplit", false);
    }

    private final Collector gc;
    private final int clockId;
    private final int tid;
    private final Thread thread;
    private volatile boolean stop;
    /** [not marking, marking, boundary] wall and CPU nanoseconds, and sample counts; written by the sampler only. */
    private final long[] wall = new long[3];
    private final long[] cpu = new long[3];
    private final long[] samples = new long[3];
    private final long[] changes = new long[1 << 16];
    private int nchanges;

    /** Samples the calling thread's CPU. */
    PhaseSplit(Collector gc) {
        this.gc = gc;
        this.tid = LibC.gettid();
        // Linux's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED): ~tid << 3 | CPUCLOCK_SCHED (2) | per-thread (4).
        this.clockId = (~tid << 3) | 6;
        this.thread = new Thread(this::run, "phase-split");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long t = CpuClock.monotonicNanos();
        long c = CpuClock.nanos(clockId);
        boolean mk = gc.marking();
        while (!stop) {
            LockSupport.parkNanos(1_000_000);
            long t1 = CpuClock.monotonicNanos();
            long c1 = CpuClock.nanos(clockId);
            boolean mk1 = gc.marking();
            int k = mk == mk1 ? (mk ? 1 : 0) : 2;
            wall[k] += t1 - t;
            cpu[k] += c1 - c;
            samples[k]++;
            if (mk != mk1 && nchanges < changes.length) {
                changes[nchanges++] = (mk1 ? 1 : 0) | ((t + t1) / 2) << 1;
            }
            t = t1;
            c = c1;
            mk = mk1;
        }
    }

    @Override
    public void close() {
        stop = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void print(PrintStream out) {
        out.printf(java.util.Locale.ROOT,
                "phasesplit: tid %d; not marking wall %.2f s cpu %.2f s; marking wall %.2f s cpu %.2f s;"
                        + " boundary wall %.3f s cpu %.3f s; samples %d/%d/%d; phase changes %d%n",
                tid, wall[0] / 1e9, cpu[0] / 1e9, wall[1] / 1e9, cpu[1] / 1e9, wall[2] / 1e9, cpu[2] / 1e9,
                samples[0], samples[1], samples[2], nchanges);
        String log = System.getProperty("gort.bt.phaselog");
        if (log != null) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < nchanges; i++) {
                sb.append(changes[i] >>> 1).append(' ').append(changes[i] & 1).append('\n');
            }
            try {
                Files.writeString(Path.of(log), sb);
            } catch (IOException e) {
                out.println("phasesplit: could not write " + log + ": " + e);
            }
        }
    }
}
