package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.ThreadWorld;
import dev.gort.gc.WorkbufPool;
import dev.gort.sched.Chan;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sys.PosixOsMemory;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * The stop-the-world mechanism alone, without a collector: MUTATORS mutators (platform threads
 * registered with a {@link ThreadWorld}, or goroutines under gort's scheduler at GOMAXPROCS=2) run
 * a loop of ~0.2 us of arithmetic between safepoints ({@code ThreadWorld.poll()} / {@code
 * Go.poll()}), and a platform thread stops and restarts the world STOPS times with a random gap
 * of 0-2 x GAP_US between stops. Prints the distribution of the time to stop (request until the
 * stop call returns: every mutator at a safepoint and the stopper back on a CPU) and of the time
 * to resume (the world's release until each mutator runs its loop again). Thousands of stops in
 * seconds: an A/B of stop-path changes on a shared machine, where the collector's own pause
 * benchmark gives a few dozen pauses a minute.
 *
 * <pre>java ... dev.gort.bench.gc.StopLatencyRun [threads|goroutines] [STOPS=4000] [MUTATORS=2] [GAP_US=500]</pre>
 */
public final class StopLatencyRun {
    static volatile boolean done;
    /** Bumped by the stopper after each restart; mutators compare it to see that a stop passed. */
    static volatile long epoch;
    static volatile long restartNanos;

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "threads";
        int stops = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
        int mutators = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        long gapNanos = (args.length > 3 ? Long.parseLong(args[3]) : 500) * 1000;
        if (!mode.equals("threads") && !mode.equals("goroutines")) {
            throw new IllegalArgumentException("mode '" + mode + "': accepted threads or goroutines");
        }
        if (stops < 1 || mutators < 1 || gapNanos < 0) {
            throw new IllegalArgumentException("STOPS and MUTATORS must be >= 1 and GAP_US >= 0");
        }
        String load0 = BinaryTreesRun.loadAverage();
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 32), PosixOsMemory.get());
        long[] stopNs = new long[stops];
        long[][] resumeNs = new long[mutators][stops + 1];
        int[] resumes = new int[mutators];
        if (mode.equals("threads")) {
            WorkbufPool pool = new WorkbufPool();
            ThreadWorld world = new ThreadWorld(heap, pool, 2);
            CountDownLatch registered = new CountDownLatch(mutators);
            Thread[] ts = new Thread[mutators];
            for (int i = 0; i < mutators; i++) {
                int me = i;
                ts[i] = Thread.ofPlatform().name("mutator-" + i).start(() -> {
                    world.register(1);
                    registered.countDown();
                    loop(() -> world.poll(), world::lastRestartNanos, resumeNs[me], resumes, me);
                    world.unregister();
                });
            }
            registered.await();
            stopper(stops, gapNanos, stopNs, world::stopTheWorld, world::startTheWorld, world::lastRestartNanos);
            for (Thread t : ts) {
                t.join();
            }
            pool.close();
        } else {
            Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).heap(heap));
            CountDownLatch started = new CountDownLatch(mutators);
            Thread runner = Thread.ofPlatform().name("runner").start(() -> sched.run(() -> {
                Chan<Boolean> fin = new Chan<>(mutators);
                for (int i = 0; i < mutators; i++) {
                    int me = i;
                    Go.go(() -> {
                        started.countDown();
                        loop(Go::poll, sched::lastWorldStartNanos, resumeNs[me], resumes, me);
                        fin.send(true);
                    });
                }
                for (int i = 0; i < mutators; i++) {
                    fin.recv();
                }
            }));
            started.await();
            stopper(stops, gapNanos, stopNs, sched::stopTheWorld, sched::startTheWorld, sched::lastWorldStartNanos);
            runner.join();
        }
        heap.close();
        System.out.printf(Locale.ROOT, "### stop-the-world latency, %s, %d mutators, %d stops, gap 0-%d us; load %s -> %s%n%n",
                mode, mutators, stops, 2 * gapNanos / 1000, load0, BinaryTreesRun.loadAverage());
        System.out.println("| figure | p50 us | p90 us | p99 us | max us | over 500 us |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        row("time to stop", stopNs, stops);
        long[] all = new long[Arrays.stream(resumes).sum()];
        int k = 0;
        for (int i = 0; i < mutators; i++) {
            System.arraycopy(resumeNs[i], 0, all, k, resumes[i]);
            k += resumes[i];
        }
        row("time to resume (per mutator)", all, all.length);
        System.out.printf(Locale.ROOT, "%nper stop: stopper context switches %.2f voluntary + %.2f involuntary, stopper CPU %.1f us,"
                + " process CPU %.1f us (whole run, mutators' loops included)%n",
                (double) stopperSwitches[0] / stops, (double) stopperSwitches[1] / stops, stopperCpuNanos / 1e3 / stops,
                processCpuNanos / 1e3 / stops);
    }

    /** The stopper thread's voluntary and involuntary context switches during the stops (Linux). */
    static final long[] stopperSwitches = new long[2];
    static long stopperCpuNanos;
    static long processCpuNanos;

    static long[] contextSwitches() {
        long[] r = new long[2];
        try {
            for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/thread-self/status"))) {
                if (l.startsWith("voluntary_ctxt_switches:")) {
                    r[0] = Long.parseLong(l.substring(l.indexOf(':') + 1).trim());
                } else if (l.startsWith("nonvoluntary_ctxt_switches:")) {
                    r[1] = Long.parseLong(l.substring(l.indexOf(':') + 1).trim());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: zeros
        }
        return r;
    }

    interface Stop {
        void stop(String reason);
    }

    static void stopper(int stops, long gapNanos, long[] stopNs, Stop stop, Runnable start, java.util.function.LongSupplier released) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        // -Dgort.bench.stopperslice.us=N: the stopper asks for an N us EEVDF slice (ThreadSlice),
        // as the collector's coordinator does: the A/B of that setting.
        long sliceUs = dev.gort.sys.TuningProperty.microsAsNanos("gort.bench.stopperslice.us", 0, 0, dev.gort.sys.ThreadSlice.MAX_NANOS / 1000) / 1000;
        if (sliceUs > 0) {
            System.out.println("stopper slice " + sliceUs + " us: " + (dev.gort.sys.ThreadSlice.request(sliceUs * 1000)
                    ? "taken" : "not supported here"));
        }
        // -Dgort.bench.stopper.rtprio=N: the stopper runs each stop and restart at SCHED_FIFO N
        // (RealtimeBoost), as the collector's coordinator does with -Dgort.gc.stopper.rtprio=N.
        int rtprio = dev.gort.sys.RealtimeBoost.priorityFromProperty("gort.bench.stopper.rtprio");
        dev.gort.sys.RealtimeBoost boost = null;
        if (rtprio > 0) {
            try {
                boost = dev.gort.sys.RealtimeBoost.forCurrentThread(rtprio);
                System.out.println("stopper boosted to SCHED_FIFO " + rtprio + " over each stop");
            } catch (dev.gort.sys.NativeException | UnsupportedOperationException e) {
                System.out.println("stopper boost refused: " + e.getMessage() + "; running unboosted");
            }
        }
        LockSupport.parkNanos(200_000_000);                 // the mutators' loops compiled
        long[] cs0 = contextSwitches();
        long cpu0 = dev.gort.sys.CpuClock.threadCpuNanos();
        long pcpu0 = dev.gort.sys.CpuClock.processCpuNanos();
        long gapSwitches = 0;
        for (int s = 0; s < stops; s++) {
            if (boost != null) {
                boost.raise();                              // before the request, as the collector does
            }
            long t0 = System.nanoTime();
            stop.stop("StopLatencyRun");
            stopNs[s] = System.nanoTime() - t0;
            epoch = s + 1;
            start.run();
            if (boost != null) {
                boost.lower();
            }
            if (gapNanos > 0) {
                long gap = r.nextLong(2 * gapNanos);
                long t1 = System.nanoTime();
                while (System.nanoTime() - t1 < gap) {
                    LockSupport.parkNanos(gap - (System.nanoTime() - t1));
                    gapSwitches++;                      // each sleep of the gap is one voluntary switch, not the stop's
                }
            }
        }
        long[] cs1 = contextSwitches();
        stopperSwitches[0] = cs1[0] - cs0[0] - gapSwitches;
        stopperSwitches[1] = cs1[1] - cs0[1];
        stopperCpuNanos = dev.gort.sys.CpuClock.threadCpuNanos() - cpu0;
        processCpuNanos = dev.gort.sys.CpuClock.processCpuNanos() - pcpu0;
        done = true;
    }

    static long sink;

    /** A mutator: a safepoint, ~0.2 us of work, and after a stop the time since the world's release. */
    static void loop(Runnable poll, java.util.function.LongSupplier released, long[] resumeNs, int[] resumes, int me) {
        long seen = epoch;
        long x = me + 1;
        int n = 0;
        while (!done) {
            poll.run();
            long e = epoch;
            if (e != seen) {
                seen = e;
                long rel = released.getAsLong();
                if (n < resumeNs.length && rel != 0) {
                    resumeNs[n++] = System.nanoTime() - rel;
                }
            }
            for (int i = 0; i < 64; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
        }
        sink += x;
        resumes[me] = n;
    }

    static void row(String name, long[] ns, int n) {
        long[] s = Arrays.copyOf(ns, n);
        Arrays.sort(s);
        long over = Arrays.stream(s).filter(v -> v > 500_000).count();
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | %d of %d |%n", name, pct(s, 50), pct(s, 90), pct(s, 99),
                s.length == 0 ? 0 : s[s.length - 1] / 1000, over, s.length);
    }

    static long pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1000;
    }
}
