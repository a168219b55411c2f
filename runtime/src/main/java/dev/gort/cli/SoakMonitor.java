package dev.gort.cli;

import dev.gort.arena.Heap;
import dev.gort.arena.MemStats;
import dev.gort.gc.Collector;
import dev.gort.gc.GcStats;
import dev.gort.gc.StwPause;
import dev.gort.gc.WriteBarrier;
import dev.gort.sys.ProcessMemory;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The soak's figures: one line per report period (cycles, cycles sysmon forced, barrier stores that took
 * the slow path, objects freed, live heap, RSS, bytes the scavenger released, the longest pause),
 * RSS sampled every few seconds for the slope, and the totals at the end.
 *
 * <p>Rounds come and go (each has its own heap and collector), so a round {@linkplain #attach
 * attaches} its world and {@linkplain #detach detaches} it before closing anything; a sample is
 * taken under the same lock, so the monitor never reads a closed heap. Counters are summed as
 * deltas per attached world.
 */
final class SoakMonitor {
    /** RSS samples this often, for the slope (the report lines show the latest). */
    static final long RSS_SAMPLE_MILLIS = 5_000;
    /** A period's longest pause is printed with its steps when it reaches this. */
    static final long LONG_PAUSE_NANOS = 50_000_000L;

    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private final long reportMillis;
    private final long warmupMillis;
    private Thread thread;
    private volatile boolean stopping;

    // The attached world (guarded by this).
    private String world = "-";
    /** The worlds attached during this period, e.g. "goroutines+threads". */
    private String periodWorlds = "";
    private Collector gc;
    private Heap heap;
    private LongSupplier scavenged;
    private LongSupplier sysmonForced;
    private long seenCycles;
    private long seenForced;
    private long seenFrees;
    private long seenScavenged;

    // Totals and this period's figures (guarded by this).
    long cycles;
    long forced;
    long frees;
    long scavengedBytes;
    long maxPauseNs;
    private long periodCycles;
    private long periodForced;
    private long periodFrees;
    private long periodScavenged;
    private long periodMaxPause;
    private long periodBarrier0 = WriteBarrier.slowStores();
    private final long barrier0 = WriteBarrier.slowStores();
    private final List<long[]> rss = new ArrayList<>();     // {millis since start, bytes}
    /** The period's longest single pause with its steps (set on the collector's coordinator thread). */
    private final Object longestLock = new Object();
    private StwPause longest;
    /** RSS less the Java heap's committed bytes: what gort's own memory (and the JVM's non-heap) holds. */
    private final List<long[]> rssOutsideJavaHeap = new ArrayList<>();
    long peakRss;

    SoakMonitor(PrintStream out, long reportMillis, long totalMillis) {
        this.out = out;
        this.reportMillis = reportMillis;
        this.warmupMillis = Math.min(5 * 60_000L, totalMillis / 3);
    }

    long elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * Attaches a round's world: {@code scavengedBytes} and {@code forcedBySysmon} count from the
     * world's start (the scavenger's released bytes, the cycles sysmon forced after its period
     * without one; a world without sysmon passes zero).
     */
    synchronized void attach(String name, Collector c, Heap h, LongSupplier scavengedBytes, LongSupplier forcedBySysmon) {
        world = name;
        if (!("+" + periodWorlds + "+").contains("+" + name + "+")) {
            periodWorlds = periodWorlds.isEmpty() ? name : periodWorlds + "+" + name;
        }
        gc = c;
        heap = h;
        scavenged = scavengedBytes;
        sysmonForced = forcedBySysmon;
        seenCycles = 0;
        seenForced = forcedBySysmon.getAsLong();
        seenFrees = h.readMemStats().frees();
        c.setPauseBreakdownListener(this::offerPause);
        seenScavenged = scavengedBytes.getAsLong();
    }

    /** Called after every pause with its breakdown (on the coordinator thread: keep it short). */
    private void offerPause(StwPause p) {
        synchronized (longestLock) {
            if (longest == null || p.totalNanos() > longest.totalNanos()) {
                longest = p;
            }
        }
    }

    /** Takes the world's last figures; call before closing its collector or heap. */
    synchronized void detach() {
        if (gc != null) {
            sampleWorld();
            gc.setPauseBreakdownListener(null);
        }
        world = "-";
        gc = null;
        heap = null;
        scavenged = null;
        sysmonForced = null;
    }

    private void sampleWorld() {
        GcStats.Snapshot s = gc.gcStats();
        long newCycles = s.numGC() - seenCycles;
        if (newCycles > 0) {
            long[] ring = s.pauseNs();
            long n = Math.min(newCycles, ring.length);
            for (long k = 0; k < n; k++) {
                long p = ring[(int) ((s.numGC() - 1 - k) % ring.length)];
                periodMaxPause = Math.max(periodMaxPause, p);
            }
        }
        periodCycles += newCycles;
        long f = sysmonForced.getAsLong();
        periodForced += f - seenForced;
        seenCycles = s.numGC();
        seenForced = f;
        MemStats m = heap.readMemStats();
        periodFrees += m.frees() - seenFrees;
        seenFrees = m.frees();
        long sc = scavenged.getAsLong();
        periodScavenged += sc - seenScavenged;
        seenScavenged = sc;
    }

    synchronized void sampleRss() {
        long r = ProcessMemory.rssBytes();
        rss.add(new long[] {elapsedMillis(), r});
        rssOutsideJavaHeap.add(new long[] {elapsedMillis(), r - Runtime.getRuntime().totalMemory()});
        peakRss = Math.max(peakRss, r);
    }

    /** Prints this period's line and starts the next period. */
    synchronized void report() {
        if (gc != null) {
            sampleWorld();
        }
        long live = heap != null ? heap.readMemStats().heapAlloc() : -1;
        long bs = WriteBarrier.slowStores();
        long rssNow = ProcessMemory.rssBytes();
        cycles += periodCycles;
        forced += periodForced;
        frees += periodFrees;
        scavengedBytes += periodScavenged;
        maxPauseNs = Math.max(maxPauseNs, periodMaxPause);
        out.printf(Locale.ROOT, "soak %6.1f min [%s]: cycles +%d (%d), sysmon-forced +%d, barrier stores +%d, freed +%d objects, "
                        + "live %s, RSS %s (Java heap committed %s), scavenged +%s, max pause %.2f ms, load %s%n",
                elapsedMillis() / 60_000.0, periodWorlds.isEmpty() ? "-" : periodWorlds, periodCycles, cycles, periodForced, bs - periodBarrier0, periodFrees,
                live < 0 ? "-" : Format.bytes(live), Format.bytes(rssNow), Format.bytes(Runtime.getRuntime().totalMemory()), Format.bytes(periodScavenged),
                periodMaxPause / 1e6, loadAverage());
        StwPause lp;
        synchronized (longestLock) {
            lp = longest;
            longest = null;
        }
        if (lp != null && lp.totalNanos() >= LONG_PAUSE_NANOS) {
            out.println("soak   longest pause of the period: " + lp);
        }
        periodBarrier0 = bs;
        periodWorlds = gc != null ? world : "";
        periodCycles = 0;
        periodForced = 0;
        periodFrees = 0;
        periodScavenged = 0;
        periodMaxPause = 0;
    }

    long barrierStores() {
        return WriteBarrier.slowStores() - barrier0;
    }

    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    /**
     * RSS slope after warm-up in percent of the mean RSS per 10 minutes (least squares over the
     * samples), or NaN with fewer than 3 samples after the warm-up.
     */
    synchronized double rssSlopePercentPer10Min() {
        return slope(rss, warmupMillis);
    }

    /**
     * The same slope for RSS less the Java heap's committed size. The JVM's collector grows and
     * shrinks its heap with the loads' Java garbage (a 30-minute run went from 400 to 640 MiB RSS
     * with 9 MiB of live Java objects); this figure leaves that out. Meaningful with a pre-touched
     * fixed Java heap (the launcher's), where committed == resident.
     */
    synchronized double rssOutsideJavaHeapSlopePercentPer10Min() {
        return slope(rssOutsideJavaHeap, warmupMillis);
    }

    long warmupMillis() {
        return warmupMillis;
    }

    /** Least-squares slope of {@code samples} ({t ms, bytes}) after {@code fromMillis}, in % of their mean per 10 min. */
    static double slope(List<long[]> samples, long fromMillis) {
        double n = 0, st = 0, sy = 0;
        for (long[] s : samples) {
            if (s[0] >= fromMillis) {
                n++;
                st += s[0];
                sy += s[1];
            }
        }
        if (n < 3) {
            return Double.NaN;
        }
        double mt = st / n, my = sy / n, num = 0, den = 0;
        for (long[] s : samples) {
            if (s[0] >= fromMillis) {
                num += (s[0] - mt) * (s[1] - my);
                den += (s[0] - mt) * (s[0] - mt);
            }
        }
        if (den == 0 || my == 0) {
            return Double.NaN;
        }
        return num / den * 600_000.0 / my * 100.0;
    }

    void start() {
        thread = Thread.ofPlatform().daemon().name("soak-monitor").start(() -> {
            long nextReport = reportMillis;
            long nextRss = 0;
            while (!stopping) {
                long now = elapsedMillis();
                if (now >= nextRss) {
                    sampleRss();
                    nextRss += RSS_SAMPLE_MILLIS;
                }
                if (now >= nextReport) {
                    report();
                    nextReport += reportMillis;
                }
                try {
                    Thread.sleep(Math.max(1, Math.min(nextRss, nextReport) - elapsedMillis()));
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** Stops the thread and prints the last (partial) period. */
    void stop() throws InterruptedException {
        stopping = true;
        thread.interrupt();
        thread.join();
        sampleRss();
        report();
    }
}
