package dev.gort;

import dev.gort.arena.MCache;
import dev.gort.arena.MemStats;
import dev.gort.sched.Go;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * sysmon in a running gort, with the real scheduler and heap (periods shortened where the test
 * needs it). Tests that allocate straight from the P's mcache and free by hand (the heap's manual
 * mode) run with GOGC=off, so the collector never sweeps objects it cannot see.
 */
class SysmonIntegrationTest {
    static Gort.Options opts(Map<String, String> env) {
        return new Gort.Options().settings(env, Map.of());
    }

    /**
     * GOMAXPROCS=1: a goroutine blocked in a syscall loses its P to sysmon and another goroutine runs
     * meanwhile: 1000 gosched rounds while the other stays blocked (it leaves only when released).
     * Until session 28 the rounds were counted over 300 ms of wall time and had to pass 1000, a
     * bound on the machine's speed (a poison-mode run at load ~28 counted 964).
     */
    @Test
    void blockedSyscallLosesItsP() {
        AtomicLong progressDuringSyscall = new AtomicLong();
        int code = Gort.run(new String[0], args -> {
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean inSyscall = new AtomicBoolean();
            AtomicLong counter = new AtomicLong();
            dev.gort.sync.WaitGroup wg = new dev.gort.sync.WaitGroup();
            wg.add(2);
            Gort.go(() -> {
                Gort.syscall(() -> {
                    inSyscall.set(true);
                    try {
                        release.await(120, TimeUnit.SECONDS); // a blocking Java call, until released (hang guard)
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    inSyscall.set(false);       // left the call: rounds counted after this were not "meanwhile"
                });
                wg.done();
            });
            Gort.go(() -> {
                while (!inSyscall.get()) {
                    Gort.gosched();
                }
                long until = System.nanoTime() + 60_000_000_000L;     // hang guard: no P for this goroutine
                while (counter.get() <= 1000 && System.nanoTime() < until) {
                    counter.incrementAndGet();
                    Gort.gosched();
                }
                progressDuringSyscall.set(inSyscall.get() ? counter.get() : -counter.get());
                release.countDown();
                wg.done();
            });
            wg.await();
            // Not asserted: that sysmon was the taker. A stop-the-world takes a P out of a syscall
            // too (Go's stopTheWorld does), and the collector's pause-path warm-up stops the world
            // in a run's first milliseconds: CI's stw2 run (session 28) saw the rounds done with
            // retakes=0 after 12 sysmon rounds. Sysmon's retake itself: SysmonPolicyTest, SysmonThreadTest.
        }, opts(Map.of("GOMAXPROCS", "1")));
        assertEquals(0, code);
        assertTrue(progressDuringSyscall.get() >= 0, "the rounds ended only after the other goroutine's call returned"
                + " (its 120-s hang guard): its P was not taken while it blocked (" + -progressDuringSyscall.get() + " rounds)");
        assertTrue(progressDuringSyscall.get() > 1000, "ran " + progressDuringSyscall.get() + " times in 60 s while the other blocked");
    }

    /**
     * GOMAXPROCS=1: a goroutine looping on Gort.poll() is preempted by sysmon (10 ms slice), so a
     * goroutine queued behind it runs. Measured over several trials; Go's own bound is slice + one
     * sysmon sleep (<= 20 ms); gort wakes sysmon at the slice's end, so ~10-11 ms on an idle machine.
     */
    @Test
    void pollLoopIsPreempted() {
        List<Long> latenciesMs = new ArrayList<>();
        int code = Gort.run(new String[0], args -> {
            for (int trial = 0; trial < 7; trial++) {
                AtomicBoolean otherRan = new AtomicBoolean();
                AtomicLong queuedAt = new AtomicLong();
                AtomicLong ranAt = new AtomicLong();
                dev.gort.sync.WaitGroup wg = new dev.gort.sync.WaitGroup();
                wg.add(1);
                Gort.go(() -> {
                    queuedAt.set(System.nanoTime());
                    Gort.go(() -> {
                        ranAt.set(System.nanoTime());
                        otherRan.set(true);
                    });
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (!otherRan.get() && System.nanoTime() < deadline) {
                        Gort.poll(); // the only safepoint: never yields unless asked to
                    }
                    wg.done();
                });
                wg.await();
                assertTrue(otherRan.get(), "the queued goroutine never ran: spinner not preempted");
                latenciesMs.add((ranAt.get() - queuedAt.get()) / 1_000_000);
            }
            assertTrue(Gort.sysmonStats().preemptRequests() >= 7, Gort.sysmonStats().toString());
        }, opts(Map.of("GOMAXPROCS", "1")));
        assertEquals(0, code);
        List<Long> sorted = new ArrayList<>(latenciesMs);
        sorted.sort(null);
        System.out.println("preemption latency ms (GOMAXPROCS=1, 10 ms slice): " + latenciesMs + " median " + sorted.get(3));
        // Go's bound is ~20 ms; the machine is shared (load average often 8+ on 2 cores), where a
        // runnable thread can wait tens of ms for a CPU (a median of 113 ms was seen at load 10-15,
        // when the bound was x5): assert the median with a x12 margin. Without preemption the
        // spinner runs to its 10 s deadline and the assertion above fails instead.
        assertTrue(sorted.get(3) <= 250, "median " + sorted.get(3) + " ms: " + latenciesMs);
        // No lower bound: a goroutine started through runnext inherits the time slice of the one
        // before it (Go's inheritTime), so it can be asked to yield before running 10 ms itself.
    }

    /**
     * Free pages idle for the (shortened) scavenge age are released by sysmon's scavenger pass:
     * mincore shows the arena's residency fall, HeapReleased rises; pages freed only just now stay.
     */
    @Test
    void idleSpansReleasedAfterTheIdleAge() {
        long size = 64L << 20;
        int code = Gort.run(new String[0], args -> {
            GortRuntime rt = Gort.currentRuntime();
            MCache cache = (MCache) Go.mcache();
            long obj = 256L << 10; // large objects: each its own span, back to the page heap on free
            long[] ps = new long[(int) (size / obj)];
            for (int i = 0; i < ps.length; i++) {
                ps[i] = cache.alloc(obj, true);
                for (long a = ps[i]; a < ps[i] + obj; a += 4096) {
                    dev.gort.sys.NativeMemory.putLong(a, a);
                }
            }
            long touched = rt.heap.arenaResidentBytes();
            assertTrue(touched >= size, "resident after touch: " + touched);
            for (long p : ps) {
                cache.free(p);
            }
            long freedAt = System.nanoTime();
            MemStats before = Gort.readMemStats();
            Gort.sleep(Duration.ofMillis(100));
            long resident100 = rt.heap.arenaResidentBytes();
            if (System.nanoTime() - freedAt < 700_000_000L) { // the 1 s age has not passed: nothing released yet
                assertTrue(resident100 >= size * 9 / 10, "released too early: " + resident100);
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (rt.heap.arenaResidentBytes() > size / 100 && System.nanoTime() < deadline) {
                Gort.sleep(Duration.ofMillis(50));
            }
            long after = rt.heap.arenaResidentBytes();
            long waitedMs = (System.nanoTime() - freedAt) / 1_000_000;
            // Pages count as released only once madvise has returned: mincore can see the drop a moment
            // before the scavenger pass books it, so wait (bounded) for the books too.
            while (Gort.readMemStats().heapReleased() - before.heapReleased() < size && System.nanoTime() < deadline) {
                Gort.sleep(Duration.ofMillis(20));
            }
            MemStats m = Gort.readMemStats();
            assertTrue(after <= size / 100, "arena resident " + after + " after " + waitedMs + " ms");
            assertTrue(waitedMs >= 900, "released after " + waitedMs + " ms, before the 1 s idle age");
            assertTrue(m.heapReleased() - before.heapReleased() >= size, "HeapReleased " + before.heapReleased() + " -> " + m.heapReleased()
                    + "; before " + before + "; after " + m + "; " + Gort.sysmonStats() + "; resident " + after + " (touched " + touched + ")");
            assertTrue(Gort.sysmonStats().scavengedBytes() >= size, Gort.sysmonStats().toString());
        }, opts(Map.of("GOMAXPROCS", "1", "GORT_SCAVENGE_IDLE", "1s", "GORT_SCAVENGE_PERIOD", "100ms", "GOGC", "off")));
        assertEquals(0, code);
    }

    /** A memory limit below the retained heap makes sysmon release down to 95 % of it. */
    @Test
    void memoryLimitDrivesTheScavenger() {
        long size = 64L << 20;
        int code = Gort.run(new String[0], args -> {
            GortRuntime rt = Gort.currentRuntime();
            MCache cache = (MCache) Go.mcache();
            long obj = 256L << 10;
            long[] ps = new long[(int) (size / obj)];
            for (int i = 0; i < ps.length; i++) {
                ps[i] = cache.alloc(obj, true);
                dev.gort.sys.NativeMemory.fill(ps[i], obj, (byte) 1);
            }
            for (int i = 0; i < ps.length / 2; i++) {
                cache.free(ps[i]);
            }
            Gort.setMemoryLimit(48L << 20);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (Gort.readMemStats().heapRetained() > (48L << 20) * 95 / 100 && System.nanoTime() < deadline) {
                Gort.sleep(Duration.ofMillis(10));
            }
            MemStats m = Gort.readMemStats();
            assertTrue(m.heapRetained() <= (48L << 20) * 95 / 100, m.toString());
            assertTrue(m.heapReleased() >= 8L << 20, m.toString());
            assertTrue(rt.heap.arenaResidentBytes() <= m.heapRetained() + (1L << 20), "mincore agrees with retained");
        }, opts(Map.of("GOMAXPROCS", "1", "GORT_SCAVENGE_PERIOD", "off", "GOGC", "off")));
        assertEquals(0, code);
    }

    /** GORT_DEBUG=schedtrace: sysmon prints the SCHED lines (as Go's sysmon does) to the runtime's stderr; the scheduler's own tracer thread is not started. */
    @Test
    void schedtraceIsPrintedBySysmon() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream ps = new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8);
        AtomicBoolean tracerThread = new AtomicBoolean();
        long[] sleptMs = new long[1];
        assertEquals(0, Gort.run(new String[0], args -> {
            long t0 = System.nanoTime();
            Gort.sleep(Duration.ofMillis(400));
            sleptMs[0] = (System.nanoTime() - t0) / 1_000_000;
            tracerThread.set(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("gort-schedtrace")));
        }, opts(Map.of("GOMAXPROCS", "2", "GORT_DEBUG", "schedtrace=50,scheddetail=1")).stderr(ps)));
        String out = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        long sched = out.lines().filter(l -> l.startsWith("SCHED ") && l.contains("gomaxprocs=2")).count();
        // Periodic (two lines at least) and not more often than every 50 ms of the sleep as it ran:
        // a starved JVM once slept 1.9 s with sysmon off the CPU throughout, printing 2 lines (review16).
        long most = Math.max(12, sleptMs[0] / 50 + 4);
        assertTrue(sched >= (sleptMs[0] < 1000 ? 3 : 2) && sched <= most, "about " + sleptMs[0] + "/50 SCHED lines expected (at most "
                + most + "), got " + sched + ":\n" + out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("  P1: status=")), "scheddetail's P lines:\n" + out);
        assertFalse(tracerThread.get(), "the scheduler's own schedtrace thread must not run under Gort.run");
    }

    /**
     * Go's retake treats a P's runnext as work (runqempty): a goroutine just started by Gort.go
     * sits in runnext, not in the ring, and sysmon's port must see it.
     */
    @Test
    void runnextCountsAsLocalWorkForRetake() {
        assertEquals(0, Gort.run(new String[0], args -> {
            GortRuntime rt = Gort.currentRuntime();
            dev.gort.sysmon.SchedulerPort port = SysmonPorts.scheduler(rt.sched);
            int pid = Go.pid();
            assertFalse(port.hasLocalWork(pid), "nothing queued yet");
            AtomicBoolean ran = new AtomicBoolean();
            Gort.go(() -> ran.set(true));    // newproc: into this P's runnext, no yield
            assertEquals(0, rt.sched.p(pid).runqsize(), "the new G is in runnext, not in the ring");
            assertTrue(port.hasLocalWork(pid), "a G waiting in runnext is work");
            while (!ran.get()) {
                Gort.gosched();
            }
            assertFalse(port.hasLocalWork(pid));
        }, opts(Map.of("GOMAXPROCS", "1", "GOGC", "off"))));
    }

    /**
     * Go's retake counts only the P's own queue as the work that takes a P from a syscall
     * ({@code runqempty(pp)}): a goroutine in the global queue is for the idle Ps, which the
     * global put woke (wakep). At GOMAXPROCS=1 main yields to the global queue and the goroutine
     * it started runs from runnext; there, with main queued globally and its own queue empty, the
     * port must say "no local work" (it said yes when it counted the global queue).
     */
    @Test
    void theGlobalQueueIsNotLocalWorkForRetake() {
        AtomicReference<String> seen = new AtomicReference<>();
        assertEquals(0, Gort.run(new String[0], args -> {
            GortRuntime rt = Gort.currentRuntime();
            dev.gort.sysmon.SchedulerPort port = SysmonPorts.scheduler(rt.sched);
            AtomicBoolean done = new AtomicBoolean();
            Gort.go(() -> {
                // Main is in the global queue unless the 61st-tick check ran it first: then look again.
                while (seen.get() == null) {
                    int pid = Go.pid();
                    if (rt.sched.globalRunqueueSize() > 0 && rt.sched.p(pid).runqempty()) {
                        seen.set("global " + rt.sched.globalRunqueueSize() + ", local work " + port.hasLocalWork(pid));
                    } else {
                        Gort.gosched();
                    }
                }
                done.set(true);
            });
            while (!done.get()) {
                Gort.gosched();
            }
        }, opts(Map.of("GOMAXPROCS", "1", "GOGC", "off"))));
        assertTrue(seen.get().endsWith("local work false"), "a goroutine in the global queue only: " + seen.get());
    }

    /**
     * Go's sysmonwait in the real runtime: while main sleeps and nothing else runs, every P is idle
     * and sysmon sleeps deeply (few rounds); once goroutines run again it is awake: a poll() loop
     * at GOMAXPROCS=1 is still preempted so another goroutine gets the P.
     *
     * <p>The idle rounds are counted by a plain thread inside main's sleep, from the moment sysmon
     * is seen to have begun a deep sleep to at most 590 ms after main's sleep began: the timer
     * cannot have woken the P yet. Counting from main after the sleep also counted sysmon's rounds
     * after the wake-up (a wake restarts its sleep at 20 us: some 60 rounds in its first ~20 ms
     * awake), which a loaded machine stretches until main gets a CPU to read the counter (failed
     * that way at load 15-20: "62 rounds in 600 ms idle"). Until session 29 the window began at a
     * fixed 200 ms after main's sleep began, taken as the moment every P was idle; on a loaded
     * machine main's M had not yet released the P by then (its way from the park to the idle list
     * switched out), so sysmon was still in its awake rounds (backed off to 10 ms) for part of the
     * window: "15 rounds in 306 ms" (load 12) and "11 rounds in 302 ms" (load 29) in session 28; a
     * traced run in session 29 saw sysmon's last awake round 41 ms into the window.
     */
    @Test
    void deepSleepWhileIdleAndAwakeWhenGoroutinesRun() {
        assertEquals(0, Gort.run(new String[0], args -> {
            GortRuntime rt = Gort.currentRuntime();
            long[] window = null;              // {rounds in the window, window ms, deep sleeps at its end}
            // Sleeps until one whose window the sampler read in time: each lasts ~600 ms, and how
            // many a loaded machine spoils is not bounded (a fixed 5 was); 120 s is the hang guard.
            int sleeps = 0;
            long sleepsUntil = System.nanoTime() + 120_000_000_000L;
            for (; window == null && System.nanoTime() - sleepsUntil < 0; sleeps++) {
                long t0 = System.nanoTime();
                long[][] out = new long[1][];
                long deep0 = rt.sysmon.stats().deepSleeps();     // main holds the only P: no deep sleep can begin before its sleep
                Thread sampler = Thread.ofPlatform().name("idle-window-sampler").start(() -> out[0] = idleWindow(rt, t0, deep0));
                Gort.sleep(Duration.ofMillis(600));
                Gort.syscall(() -> {
                    try {
                        sampler.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                window = out[0];               // null: no deep sleep in time, or the sampler descheduled past the window; again
            }
            assertNotNull(window, "in " + sleeps + " sleeps of 600 ms (120 s) the sampler thread never saw sysmon begin a deep sleep and"
                    + " read its rounds again at least " + MIN_IDLE_WINDOW_NANOS / 1_000_000 + " ms later within one");
            long idleRounds = window[0];
            assertTrue(window[2] >= 1, "no deep sleep while every P was idle (rounds meanwhile: " + idleRounds + ")");
            assertTrue(idleRounds < 10, idleRounds + " rounds in " + window[1] + " ms while every P was idle; a 10 ms sleep makes ~"
                    + window[1] / 10);
            AtomicBoolean other = new AtomicBoolean();
            dev.gort.sync.WaitGroup wg = new dev.gort.sync.WaitGroup();
            wg.add(1);
            long t0 = System.nanoTime();
            Gort.go(() -> {
                while (!other.get() && System.nanoTime() - t0 < 60_000_000_000L) {
                    Gort.poll(); // only sysmon's preemption request lets main have the P again
                }
                wg.done();
            });
            Gort.sleep(Duration.ofMillis(20)); // the hog takes the only P; main's timer fires behind it
            other.set(true);
            wg.await();
            assertTrue(other.get(), "the hog was never preempted after the deep sleep");
            assertTrue(Gort.sysmonStats().preemptRequests() >= 1);
        }, opts(Map.of("GOMAXPROCS", "1", "GOGC", "off"))));
    }

    /** The shortest window {@link #idleWindow} accepts: a deep sleep begun later than this before its end spoils the try. */
    private static final long MIN_IDLE_WINDOW_NANOS = 100_000_000L;

    /**
     * Sysmon's rounds from the moment a deep sleep is seen to have begun (its count passed
     * {@code deep0}, read by main while it held the only P; main's sleep has then made every P idle) to a second read at most 590 ms after
     * {@code t0}, while main sleeps 600 ms from t0: {rounds, window ms, deep sleeps so far}; or
     * null if no deep sleep began by 500 ms after t0 or this thread did not get a CPU in time for
     * the reads (the window under {@link #MIN_IDLE_WINDOW_NANOS} or past 590 ms): the caller
     * tries again. With every P idle and sysmon asleep, a round in the window means a P left the
     * idle list or sysmon woke for nothing.
     */
    private static long[] idleWindow(GortRuntime rt, long t0, long deep0) {
        long r1 = -1;
        long s1 = 0;
        while (System.nanoTime() - (t0 + 500_000_000L) < 0) {
            dev.gort.sysmon.SysmonStats st = rt.sysmon.stats();
            if (st.deepSleeps() > deep0) {
                r1 = st.rounds();
                s1 = System.nanoTime();
                break;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
        if (r1 < 0) {
            return null;
        }
        sleepUntil(Math.max(t0 + 500_000_000L, s1 + MIN_IDLE_WINDOW_NANOS));
        dev.gort.sysmon.SysmonStats st = rt.sysmon.stats();
        long s2 = System.nanoTime();
        if (s2 - t0 > 590_000_000L || s2 - s1 < MIN_IDLE_WINDOW_NANOS) {
            return null;
        }
        return new long[] {st.rounds() - r1, (s2 - s1) / 1_000_000, st.deepSleeps()};
    }

    private static void sleepUntil(long deadline) {
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }

    /** GORT_DEBUG=harddecommit=1 reaches the heap: what the scavenger releases is PROT_NONE until reused. */
    @Test
    void harddecommitMakesReleasedPagesInaccessible() {
        int code = Gort.run(new String[0], args -> {
            GortRuntime rt = Gort.currentRuntime();
            assertTrue(rt.heap.config().hardDecommit());
            MCache cache = (MCache) Go.mcache();
            long p = cache.alloc(1L << 20, true);
            dev.gort.sys.NativeMemory.putLong(p, 1);
            cache.free(p);
            Gort.freeOSMemory();
            assertTrue(dev.gort.sys.MemoryMaps.perms(p).startsWith("---"), dev.gort.sys.MemoryMaps.perms(p));
            long q = cache.alloc(1L << 20, true);
            assertEquals(0, dev.gort.sys.NativeMemory.getLong(q), "reused released memory reads zero");
            cache.free(q);
        }, opts(Map.of("GOMAXPROCS", "1", "GOGC", "off", "GORT_DEBUG", "harddecommit=1")));
        assertEquals(0, code);
    }
}
