package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.MemStats;
import dev.gort.gc.Collector;
import dev.gort.gc.Pacer;
import dev.gort.sys.ProcessMemory;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the gort run's resident memory is, over time: a daemon thread that samples the process's
 * RSS beside the heap's own figures (pages in use, idle, released, resident arena pages, span
 * descriptors, pointer bitmap) and the pacer's (heapLive, marked, goal) every {@code periodMillis},
 * and keeps the sample taken at the highest RSS. Diagnostic only: it reads MemStats (which sums
 * the mcaches' counters without stopping anyone) and mincore over the committed arena, a few
 * hundred microseconds a sample, on its own thread. Descriptors are MSpanInuse (live descriptors x
 * their size; the resident descriptor pages are the most ever live, so after the heap shrank
 * "rest" includes a few MB of idle descriptors; MSpanSys would count the committed, untouched
 * pending-free pairs as well).
 *
 * <p>Printed at the end ({@link #print}): one line per sample ({@code SAMPLE ...}, MB) and the
 * peak ({@code PEAK ...}). "rest" is RSS less the arena's resident pages, the descriptors and the
 * bitmap: the JVM itself (Java heap, code, metaspace, threads, malloc) plus gort's small tables.
 *
 * <pre>-Dgort.bt.sample=MS   (BinaryTrees gort: 0 or absent = off)</pre>
 */
final class RssSampler implements AutoCloseable {
    /** One sample, in bytes (cycles: completed collections). */
    record Sample(long millis, long rss, long anonymous, long arenaResident, long heapInuse, long heapIdle,
                  long heapReleased, long descriptors, long bitmap, long heapLive, long heapMarked, long goal,
                  long cycles, long heapAlloc, long committed, long growths, long[] reclaims) {
        long rest() {
            return rss - arenaResident - descriptors - bitmap;
        }
    }

    private final Heap heap;
    private final Collector gc;
    private final long periodMillis;
    private final long t0 = System.nanoTime();
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stop;
    private Sample peak;

    RssSampler(Heap heap, Collector gc, long periodMillis) {
        if (periodMillis <= 0) {
            throw new IllegalArgumentException("sampling period " + periodMillis + " ms: must be > 0");
        }
        this.heap = heap;
        this.gc = gc;
        this.periodMillis = periodMillis;
        this.thread = Thread.ofPlatform().daemon().name("rss-sampler").start(this::run);
    }

    private void run() {
        while (!stop) {
            sampleNow();
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Takes one sample now (also called once more at the end, before the heap closes). */
    synchronized void sampleNow() {
        if (heap.isClosed()) {
            return;
        }
        ProcessMemory pm = ProcessMemory.read();
        MemStats ms = heap.readMemStats();
        Pacer p = gc.pacer();
        long goal = p.heapGoal();
        Sample s = new Sample((System.nanoTime() - t0) / 1_000_000, pm.vmRss(), pm.anonymous(), heap.arenaResidentBytes(),
                ms.heapInuse(), ms.heapIdle(), ms.heapReleased(), ms.mSpanInuse(), ms.gcSys(), p.heapLive(), p.heapMarked(),
                goal == Pacer.INFINITE ? -1 : goal, gc.cycles(), ms.heapAlloc(), heap.arenaCommittedBytes(),
                heap.arenaGrowths(), heap.gc().reclaimOutcomes());
        samples.add(s);
        if (peak == null || s.rss() > peak.rss()) {
            peak = s;
        }
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sampleNow();
    }

    /** The samples (every {@code every}-th, and the peak) and the peak line, in MB. */
    synchronized void print(PrintStream out, int every) {
        out.println("SAMPLE ms rss anon arenaResident heapInuse heapIdle heapReleased descriptors bitmap rest heapLive marked goal cycles heapAlloc committed (MB) growths reclaim-fit/walkedout");
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            if (i % Math.max(1, every) == 0 || s == peak || i == samples.size() - 1) {
                out.println("SAMPLE " + line(s));
            }
        }
        if (peak != null) {
            out.println("PEAK " + line(peak));
        }
    }

    private static String line(Sample s) {
        return s.millis() + " " + mb(s.rss()) + " " + mb(s.anonymous()) + " " + mb(s.arenaResident()) + " "
                + mb(s.heapInuse()) + " " + mb(s.heapIdle()) + " " + mb(s.heapReleased()) + " " + mb(s.descriptors())
                + " " + mb(s.bitmap()) + " " + mb(s.rest()) + " " + mb(s.heapLive()) + " " + mb(s.heapMarked()) + " "
                + mb(s.goal()) + " " + s.cycles() + " " + mb(s.heapAlloc()) + " " + mb(s.committed())
                + " " + s.growths() + " " + s.reclaims()[0] + "/" + s.reclaims()[1];
    }

    private static String mb(long bytes) {
        return bytes < 0 ? "-" : String.format("%.1f", bytes / 1048576.0);
    }
}
