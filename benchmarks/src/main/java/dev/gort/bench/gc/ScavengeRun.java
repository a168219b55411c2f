package dev.gort.bench.gc;

import dev.gort.Gort;
import dev.gort.arena.Heap;
import dev.gort.arena.MemStats;
import dev.gort.gc.Collector;
import dev.gort.gc.Mem;
import dev.gort.gc.Type;
import dev.gort.sched.Frame;
import dev.gort.sys.NativeMemory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The scavenger's workload (session 27, {@code scav27}): a booted runtime (sysmon, the collector's
 * own cycles) whose heap grows to {@code liveMiB} of live objects, drops to a tenth, and then runs
 * steady (the kept tenth churned and more garbage allocated, so cycles keep coming) for {@code
 * steadySeconds}, then idles for {@code idleSeconds} (no allocation: no cycle). Every {@code
 * sampleMs} the main goroutine prints a line: time, phase, RSS, the arena's resident pages
 * (mincore), HeapInuse, HeapIdle, HeapReleased, retained (HeapSys - HeapReleased), the pacer's
 * goal and the cycle count (MiB). It shows when freed pages go back to the OS (sysmon's retain
 * pass), how close to the goal + 10 % target they go, and whether the allocator reuses freed
 * resident pages before fresh ones after the drop.
 *
 * <pre>java ... dev.gort.bench.gc.ScavengeRun [liveMiB=256] [steadySeconds=6] [idleSeconds=3] [sampleMs=100]</pre>
 * Objects are 512 B to 8 KiB noscan byte objects (small spans of several classes) held in one
 * pointer array; every 4 KiB page of an object is written once so its memory is resident.
 * GOMAXPROCS and GOGC come from the environment as for any gort program.
 */
public final class ScavengeRun {
    private ScavengeRun() {
    }

    static final long MiB = 1L << 20;

    public static void main(String[] args) {
        long liveMiB = args.length > 0 ? parse(args[0], "liveMiB") : 256;
        long steadySeconds = args.length > 1 ? parse(args[1], "steadySeconds") : 6;
        long idleSeconds = args.length > 2 ? parse(args[2], "idleSeconds") : 3;
        long sampleMs = args.length > 3 ? parse(args[3], "sampleMs") : 100;
        int code = Gort.run(args, a -> run(liveMiB, steadySeconds, idleSeconds, sampleMs));
        System.exit(code);
    }

    private static long parse(String s, String what) {
        try {
            long v = Long.parseLong(s);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new IllegalArgumentException(what + " \"" + s + "\" is not valid; accepted: a positive integer");
    }

    static final class Sampler {
        final long start = System.nanoTime();
        final long periodNanos;
        final Heap heap;
        long next;
        long peakRss;

        Sampler(long sampleMs, Heap heap) {
            this.periodNanos = sampleMs * 1_000_000;
            this.heap = heap;
            System.out.println("SCAV_HEADER ms phase rss arenaResident heapInuse heapIdle heapReleased retained goal cycles (MiB)");
        }

        void maybe(String phase) {
            long now = System.nanoTime();
            if (now - next < 0) {
                return;
            }
            next = now + periodNanos;
            MemStats m = Gort.readMemStats();
            long rss = rss();
            peakRss = Math.max(peakRss, rss);
            System.out.printf("SCAV %d %s %.1f %.1f %.1f %.1f %.1f %.1f %.1f %d%n", (now - start) / 1_000_000, phase,
                    mb(rss), mb(heap.arenaResidentBytes()), mb(m.heapInuse()), mb(m.heapIdle()), mb(m.heapReleased()),
                    mb(m.heapRetained()), mb(Gort.collector().pacer().heapGoal()), Gort.gcStats().numGC());
        }

        long elapsedMs() {
            return (System.nanoTime() - start) / 1_000_000;
        }
    }

    static double mb(long bytes) {
        return bytes / (double) MiB;
    }

    /** CPU time of the sysmon thread (where the retain work runs), or -1. */
    static long sysmonCpuNanos() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("gort-sysmon")) {
                return mx.getThreadCpuTime(t.threadId());
            }
        }
        return -1;
    }

    /** Field {@code i} (0-based, after the command) of /proc/self/stat: 9 minflt, 13 utime, 14 stime (ticks), or -1. */
    static long procStat(int i) {
        try {
            String st = Files.readString(Path.of("/proc/self/stat"));
            String[] f = st.substring(st.lastIndexOf(')') + 2).trim().split(" ");
            return Long.parseLong(f[i - 2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static long rss() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
            return Long.parseLong(f[1]) * 4096;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static void run(long liveMiB, long steadySeconds, long idleSeconds, long sampleMs) {
        Collector c = Gort.collector();
        Sampler s = new Sampler(sampleMs, c.heap());
        SplittableRandom rnd = new SplittableRandom(27);
        int slots = (int) (liveMiB * MiB / 4096);       // objects average ~4.25 KiB
        try (Frame f = Frame.push(1)) {
            f.set(0, c.allocArray(Type.POINTER, slots));
            for (int i = 0; i < slots; i++) {
                long o = newObject(c, rnd);
                Mem.storePtr(f.get(0), (long) i * 8, o);
                s.maybe("grow");
            }
            for (int i = 0; i < slots; i++) {
                if (i % 10 != 0) {
                    Mem.storePtr(f.get(0), (long) i * 8, 0);
                }
            }
            long steadyEnd = s.elapsedMs() + steadySeconds * 1000;
            while (s.elapsedMs() < steadyEnd) {
                int i = rnd.nextInt(slots / 10) * 10;
                Mem.storePtr(f.get(0), (long) i * 8, newObject(c, rnd));    // churn the kept tenth
                newObject(c, rnd);                                            // and garbage beside it
                s.maybe("steady");
            }
            long idleEnd = s.elapsedMs() + idleSeconds * 1000;
            while (s.elapsedMs() < idleEnd) {
                Gort.sleep(java.time.Duration.ofMillis(Math.max(1, sampleMs / 2)));
                s.maybe("idle");
            }
            MemStats m = Gort.readMemStats();
            System.out.printf("SCAV_END peakRss=%.1f heapReleased=%.1f retained=%.1f arenaResident=%.1f cycles=%d scavenged=%.1f"
                            + " sysmonCpuMs=%.1f processCpuMs=%d minflt=%d%n",
                    mb(s.peakRss), mb(m.heapReleased()), mb(m.heapRetained()), mb(c.heap().arenaResidentBytes()),
                    Gort.gcStats().numGC(), mb(Gort.sysmonStats().scavengedBytes()), sysmonCpuNanos() / 1e6,
                    procStat(13) * 10 + procStat(14) * 10, procStat(9));
        }
    }

    /** A 512 B - 8 KiB noscan object with each of its 4 KiB pages written once (resident). */
    static long newObject(Collector c, SplittableRandom rnd) {
        long size = 512 + rnd.nextInt(16) * 512L;
        long o = c.allocBytes(size);
        for (long off = 0; off < size; off += 4096) {
            NativeMemory.putLong(o + off, size);
        }
        return o;
    }
}
