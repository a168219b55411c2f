package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * GOMAXPROCS at run time (Go's runtime.GOMAXPROCS + procresize): resizing up and down while
 * goroutines spawn, exchange messages and sleep; a destroyed P's run queue, timers, free Gs and
 * goid batch are not lost; the caller whose P goes continues on P 0; bad values change nothing.
 */
@Timeout(180)
class ProcResizeTest {

    /** A goroutine running on P {@code want}, found by spinning goroutines on every P; runs {@code body} there. */
    private static void onP(int want, Runnable body) {
        AtomicBoolean taken = new AtomicBoolean();
        Chan<Boolean> done = new Chan<>(1);
        int procs = Go.scheduler().gomaxprocs();
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int i = 0; i < procs * 2; i++) {
            Go.go(() -> {
                while (!taken.get() && System.nanoTime() < deadline) {
                    if (Go.pid() == want && taken.compareAndSet(false, true)) {
                        body.run();
                        done.send(true);
                        return;
                    }
                    Go.gosched();
                }
            });
        }
        done.recv();
    }

    @Test
    void resizeUpAndDownWhileGoroutinesSpawnSendAndSleep() {
        int producers = 4;
        int perProducer = Integer.getInteger("gort.stress.resize.msgs", 20_000);
        int sleepers = 50;
        int timers = 2_000;
        int[] sizes = {1, 4, 2, 1, 3, 6, 2, 1, 5, 2};
        AtomicLong received = new AtomicLong();
        AtomicLong sum = new AtomicLong();
        AtomicInteger spawnedDone = new AtomicInteger();
        AtomicInteger timersFired = new AtomicInteger();
        AtomicInteger earlyTimers = new AtomicInteger();
        AtomicInteger sleptShort = new AtomicInteger();
        AtomicInteger resizes = new AtomicInteger();
        Scheduler s = SchedTesting.run(2, () -> {
            Scheduler sched = Go.scheduler();
            Chan<Long> msgs = new Chan<>(64);
            Chan<Boolean> prodDone = new Chan<>(producers);
            Chan<Boolean> consDone = new Chan<>(2);
            Chan<Boolean> sleepDone = new Chan<>(sleepers);
            Chan<Boolean> resizerDone = new Chan<>(1);
            AtomicBoolean stop = new AtomicBoolean();
            // Timers of every length, armed from whatever P each goroutine is on.
            TimerFunc f = (arg, now) -> {
                if (now < (Long) arg) {
                    earlyTimers.incrementAndGet();
                }
                timersFired.incrementAndGet();
            };
            for (int i = 0; i < timers; i++) {
                long delay = (i % 200) * 1_000_000L;
                int k = i;
                Go.go(() -> {
                    long when = System.nanoTime() + delay;
                    Time.startTimer(f, when, delay, 0);
                    if (k % 7 == 0) {
                        Go.gosched();
                    }
                });
            }
            for (int p = 0; p < producers; p++) {
                int base = p * perProducer;
                Go.go(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        msgs.send((long) (base + i));
                        if (i % 500 == 499) {
                            Time.sleep(Duration.ofMillis(1)); // let the resizer interleave with the traffic
                        }
                        if (i % 1000 == 0) {
                            // spawn a short-lived child now and then: free Gs and goid batches in play
                            Go.go(spawnedDone::incrementAndGet);
                        }
                    }
                    prodDone.send(true);
                });
            }
            // Two consumers until all messages arrived.
            long total = (long) producers * perProducer;
            for (int c = 0; c < 2; c++) {
                Go.go(() -> {
                    for (;;) {
                        long n = received.get();
                        if (n >= total) {
                            break;
                        }
                        Long v = msgs.recv();
                        if (v < 0) {
                            break;
                        }
                        sum.addAndGet(v);
                        received.incrementAndGet();
                    }
                    consDone.send(true);
                });
            }
            for (int i = 0; i < sleepers; i++) {
                Go.go(() -> {
                    for (int r = 0; r < 5; r++) {
                        long t0 = System.nanoTime();
                        Time.sleep(Duration.ofMillis(3));
                        if (System.nanoTime() - t0 < 3_000_000L) {
                            sleptShort.incrementAndGet();
                        }
                    }
                    sleepDone.send(true);
                });
            }
            // The resizer: through every size, from a goroutine, while all of the above runs.
            Go.go(() -> {
                for (int round = 0; !stop.get(); round++) {
                    int n = sizes[round % sizes.length];
                    int before = Go.scheduler().gomaxprocs();
                    int prev = sched.setGomaxprocs(n);
                    assertEquals(before, prev, "setGomaxprocs returns the previous setting");
                    assertEquals(n, sched.gomaxprocs());
                    resizes.incrementAndGet();
                    Time.sleep(Duration.ofMillis(2));
                }
                resizerDone.send(true);
            });
            for (int i = 0; i < producers; i++) {
                prodDone.recv();
            }
            for (int i = 0; i < sleepers; i++) {
                sleepDone.recv();
            }
            // Consumers: one may wait on recv after the other took the last message.
            consDone.recv();
            msgs.send(-1L);
            consDone.recv();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (timersFired.get() < timers && System.nanoTime() < deadline) {
                Time.sleep(Duration.ofMillis(5));
            }
            stop.set(true);
            resizerDone.recv();
            while (spawnedDone.get() < producers * ((perProducer + 999) / 1000)) {
                Go.gosched();
            }
            sched.setGomaxprocs(2);
        });
        long total = (long) producers * perProducer;
        assertEquals(total, received.get(), "every message received once");
        assertEquals(total * (total - 1) / 2, sum.get(), "no message lost or duplicated");
        assertEquals(timers, timersFired.get(), "every timer fired");
        assertEquals(0, earlyTimers.get(), "no timer fired early");
        assertEquals(0, sleptShort.get(), "no sleep was short");
        assertTrue(resizes.get() >= sizes.length, "resized " + resizes.get() + " times");
        assertEquals(2, s.gomaxprocs());
        System.out.println("ProcResizeTest: " + resizes.get() + " resizes during " + total + " messages, "
                + timers + " timers, " + s.goroutinesStarted() + " goroutines");
    }

    @Test
    void aDestroyedPsQueueTimersFreeGsAndGoidsAreNotLost() {
        int children = 600;       // more than the 256-slot ring: overflow to global too
        int timers = 300;
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger fired = new AtomicInteger();
        AtomicInteger pidAfter = new AtomicInteger(-2);
        AtomicInteger deadTimers = new AtomicInteger(-1);
        AtomicInteger deadFree = new AtomicInteger(-1);
        AtomicInteger deadQueue = new AtomicInteger(-1);
        AtomicInteger heldTimers = new AtomicInteger();
        AtomicInteger firedEarly = new AtomicInteger();
        AtomicInteger freeBefore = new AtomicInteger();
        AtomicInteger queuedBefore = new AtomicInteger();
        AtomicReference<String> deadStatus = new AtomicReference<>();
        Set goids = new Set();
        SchedTesting.run(4, () -> {
            Scheduler sched = Go.scheduler();
            onP(3, () -> {
                // Dead Gs, some likely on P3's free list (the children run there unless stolen).
                Chan<Boolean> c = new Chan<>(100);
                for (int i = 0; i < 40; i++) {
                    Go.go(() -> {
                        goids.add(Go.current().goid());
                        c.send(true);
                    });
                }
                for (int i = 0; i < 40; i++) {
                    c.recv();
                }
            });
            onP(3, () -> {
                // No safepoint from here to the resize: timers on P3's heap, a full run queue.
                freeBefore.set(sched.p(3).gfreeCount());
                for (int i = 0; i < timers; i++) {
                    Time.startTimer((a, now) -> fired.incrementAndGet(), null, 200_000_000L + i * 100_000L, 0);
                }
                // A loop descheduled past the first deadline (loaded machine) lets another M's
                // steal pass run P3's due timers (Go's stealWork checks other Ps' timers): those
                // fired, the rest are on the heap.
                heldTimers.set(sched.p(3).timers.size());
                firedEarly.set(fired.get());
                for (int i = 0; i < children; i++) {
                    Go.go(() -> {
                        goids.add(Go.current().goid());
                        ran.incrementAndGet();
                    });
                }
                queuedBefore.set(sched.p(3).runqsize());
                int prev = sched.setGomaxprocs(1);
                assertEquals(4, prev);
                pidAfter.set(Go.pid());
                P dead = sched.p(3);
                deadStatus.set(Integer.toString(dead.status()));
                deadTimers.set(dead.timers.size());
                deadFree.set(dead.gfreeCount());
                deadQueue.set(dead.runqsize() + (dead.runqempty() ? 0 : 1));
            });
            long deadline = System.nanoTime() + 60_000_000_000L;
            while ((ran.get() < children || fired.get() < timers) && System.nanoTime() < deadline) {
                Time.sleep(Duration.ofMillis(2));
            }
            // Grow back: revived Ps work, goids stay unique.
            assertEquals(1, sched.setGomaxprocs(4));
            Chan<Boolean> c = new Chan<>(400);
            for (int i = 0; i < 400; i++) {
                Go.go(() -> {
                    goids.add(Go.current().goid());
                    c.send(true);
                });
            }
            for (int i = 0; i < 400; i++) {
                c.recv();
            }
            assertEquals(PStatus.IDLE == sched.p(3).status() || PStatus.RUNNING == sched.p(3).status(), true);
        });
        assertTrue(heldTimers.get() > 0 && heldTimers.get() + firedEarly.get() >= timers,
                "the timers were on P3's heap or had fired: " + heldTimers.get() + " + " + firedEarly.get());
        assertEquals(0, pidAfter.get(), "the caller whose P was destroyed continues on P 0");
        assertEquals(Integer.toString(PStatus.DEAD), deadStatus.get());
        assertEquals(0, deadTimers.get(), "timers moved off the dead P");
        assertEquals(0, deadFree.get(), "free Gs moved to the global list");
        assertEquals(0, deadQueue.get(), "run queue and runnext emptied");
        assertEquals(children, ran.get(), "every queued goroutine ran");
        assertEquals(timers, fired.get(), "every timer fired");
        assertEquals(40 + children + 400, goids.size(), "goids unique across resizes");
        System.out.println("ProcResizeTest: P3 had " + queuedBefore.get() + " queued goroutines, " + freeBefore.get()
                + " free Gs, " + heldTimers.get() + " timers when it was destroyed");
    }

    @Test
    void shrinkToOneSwitchesToCasFreeQueuesAndBack() {
        AtomicReference<List<Boolean>> modes = new AtomicReference<>();
        AtomicLong stealsAtOne = new AtomicLong(-1);
        SchedTesting.run(2, () -> {
            Scheduler sched = Go.scheduler();
            List<Boolean> m = new ArrayList<>();
            m.add(sched.stealable);
            sched.setGomaxprocs(1);
            m.add(sched.stealable);
            long steals0 = sched.steals();
            // Work at GOMAXPROCS=1: nobody steals.
            Chan<Integer> ch = new Chan<>();
            Go.go(() -> {
                for (int i = 0; i < 10_000; i++) {
                    ch.send(i);
                }
            });
            for (int i = 0; i < 10_000; i++) {
                assertEquals(i, ch.recv());
            }
            stealsAtOne.set(sched.steals() - steals0);
            sched.setGomaxprocs(3);
            m.add(sched.stealable);
            // Work at 3 again, with spawning across Ps.
            AtomicInteger n = new AtomicInteger();
            Chan<Boolean> done = new Chan<>(1000);
            for (int i = 0; i < 1000; i++) {
                Go.go(() -> {
                    n.incrementAndGet();
                    done.send(true);
                });
            }
            for (int i = 0; i < 1000; i++) {
                done.recv();
            }
            assertEquals(1000, n.get());
            modes.set(m);
        });
        assertEquals(List.of(true, false, true), modes.get());
        assertEquals(0, stealsAtOne.get(), "no steals while GOMAXPROCS=1");
    }

    @Test
    void badValuesChangeNothingAndSameValueDoesNotStop() {
        Scheduler before = Scheduler.create(SchedConfig.defaults().gomaxprocs(2));
        IllegalStateException notStarted = assertThrows(IllegalStateException.class, () -> before.setGomaxprocs(3));
        assertTrue(notStarted.getMessage().contains("SchedConfig.gomaxprocs"), notStarted.getMessage());
        before.close();
        AtomicReference<List<String>> msgs = new AtomicReference<>();
        AtomicLong gen = new AtomicLong();
        Scheduler s = SchedTesting.run(2, () -> {
            Scheduler sched = Go.scheduler();
            List<String> m = new ArrayList<>();
            for (int bad : new int[] {0, -1, SchedConfig.MAX_PROCS + 1, Integer.MIN_VALUE}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sched.setGomaxprocs(bad));
                m.add(e.getMessage());
                assertEquals(2, sched.gomaxprocs());
            }
            long g0 = sched.procresizeGeneration();
            assertEquals(2, sched.setGomaxprocs(2));
            gen.set(sched.procresizeGeneration() - g0);
            // Still usable.
            Chan<Integer> c = new Chan<>();
            Go.go(() -> c.send(7));
            assertEquals(7, c.recv());
            msgs.set(m);
        });
        for (String m : msgs.get()) {
            assertTrue(m.contains("accepted: 1..1024") && m.contains("stays 2"), m);
        }
        assertEquals(0, gen.get(), "the same value does not resize");
        assertEquals(2, s.gomaxprocs());
        IllegalStateException after = assertThrows(IllegalStateException.class, () -> s.setGomaxprocs(3));
        assertTrue(after.getMessage().contains("stopped"), after.getMessage());
    }

    @Test
    void schedtraceShowsTheNewGomaxprocs() {
        AtomicReference<String> at3 = new AtomicReference<>();
        AtomicReference<String> at1 = new AtomicReference<>();
        AtomicReference<String> detail = new AtomicReference<>();
        SchedTesting.run(2, () -> {
            Scheduler sched = Go.scheduler();
            sched.setGomaxprocs(3);
            at3.set(sched.schedtrace(false));
            sched.setGomaxprocs(1);
            at1.set(sched.schedtrace(false));
            detail.set(sched.schedtrace(true));
        });
        assertTrue(at3.get().contains("gomaxprocs=3 "), at3.get());
        assertTrue(at3.get().trim().matches(".*\\[\\d+ \\d+ \\d+]"), at3.get());
        assertTrue(at1.get().contains("gomaxprocs=1 "), at1.get());
        assertTrue(at1.get().trim().endsWith("[0]") || at1.get().trim().matches(".*\\[\\d+]"), at1.get());
        assertFalse(detail.get().contains("  P1:"), detail.get());
    }

    @Test
    void resizeFromAThreadThatIsNotAGoroutine() throws Exception {
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        SchedTesting.run(2, () -> {
            Scheduler sched = Go.scheduler();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    for (int n : new int[] {3, 1, 4, 2}) {
                        sched.setGomaxprocs(n);
                        Thread.sleep(2);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            Chan<Boolean> c = new Chan<>(10);
            for (int i = 0; i < 5_000; i++) {
                Go.go(() -> {
                    done.incrementAndGet();
                    c.send(true);
                });
                c.recv();
            }
            Go.syscall(() -> {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(2, sched.gomaxprocs());
        });
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(5_000, done.get());
    }

    /**
     * Review finding: readers of allp without a happens-before edge to the last resize (threads
     * that are not Ms: schedtrace, the syscall retaker, a timer reset from a plain thread; an M that
     * released its P) read the volatile copy. While a plain thread resizes 1..4 over and over, a
     * second plain thread takes schedtraces (each must list exactly gomaxprocs Ps, all non-null),
     * a third resets a timer (addTimer falls back to P 0), goroutines enter syscalls (the retaker
     * scans the Ps) and park and wake (findRunnable's re-check): nothing fails, every timer fires.
     */
    @Test
    void readersThatAreNotMsSeeWholePArraysDuringResizes() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger traces = new AtomicInteger();
        AtomicInteger fired = new AtomicInteger();
        AtomicInteger resets = new AtomicInteger();
        SchedTesting.run(2, () -> {
            Scheduler sched = Go.scheduler();
            AtomicBoolean stop = new AtomicBoolean();
            Time.GoTimer timer = Time.afterFunc(Duration.ofHours(1), fired::incrementAndGet);
            Thread resizer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        sched.setGomaxprocs(1 + i % 4);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Thread tracer = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        String t = sched.schedtrace(true);
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile("gomaxprocs=(\\d+) ").matcher(t);
                        assertTrue(m.find(), t);
                        int n = Integer.parseInt(m.group(1));
                        assertEquals(n, t.split("\n  P", -1).length - 1, "one line per P: " + t);
                        assertTrue(n >= 1 && n <= 4, t);
                        traces.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Thread resetter = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        timer.reset(Duration.ofNanos(50_000));
                        resets.incrementAndGet();
                        Thread.sleep(1);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Chan<Boolean> done = new Chan<>(4);
            for (int g = 0; g < 4; g++) {
                Go.go(() -> {
                    while (!stop.get()) {
                        Go.syscall(() -> LockSupport.parkNanos(200_000));   // the retaker takes the P
                        Time.sleep(Duration.ofNanos(100_000));              // park, wake by timer
                    }
                    done.send(true);
                });
            }
            Go.syscall(() -> {
                try {
                    resizer.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Time.sleep(Duration.ofMillis(20));          // the last reset's timer fires
            stop.set(true);
            for (int g = 0; g < 4; g++) {
                done.recv();
            }
            Go.syscall(() -> {
                try {
                    tracer.join();
                    resetter.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Time.sleep(Duration.ofMillis(5));
        });
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        System.out.println("readersThatAreNotMs: traces=" + traces.get() + " resets=" + resets.get() + " fired=" + fired.get());
        assertTrue(traces.get() > 0 && resets.get() > 0, "the readers ran");
        assertTrue(fired.get() >= 1, "timers reset from a plain thread fire (" + fired.get() + " of " + resets.get() + ")");
    }

    /** GORT_AFFINITY=spread: Ms keep their pins across resizes, and Ms made for new Ps follow the same policy (by M index). */
    @Test
    void pinnedMsKeepTheirCpuAndNewMsFollowThePolicy() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.gort.sys.CpuAffinity.supported(), "CPU affinity needs Linux");
        java.util.BitSet allowed = dev.gort.sys.CpuAffinity.mask();
        AtomicReference<int[][]> before = new AtomicReference<>();
        AtomicReference<String> err = new AtomicReference<>();
        Scheduler s = SchedTesting.run(SchedConfig.defaults().gomaxprocs(1).affinity(Affinity.SPREAD), () -> {
            Scheduler sched = Go.scheduler();
            before.set(sched.pinnedCpus());
            for (int n : new int[] {4, 1, 3}) {
                sched.setGomaxprocs(n);
                Chan<Boolean> done = new Chan<>(40);
                for (int i = 0; i < 40; i++) {
                    Go.go(() -> {
                        long until = System.nanoTime() + 200_000;
                        while (System.nanoTime() < until) {
                            Go.poll();                  // busy: other Ps need Ms of their own
                        }
                        java.util.BitSet mask = dev.gort.sys.CpuAffinity.mask();
                        if (mask.cardinality() != 1) {
                            err.compareAndSet(null, "M" + Go.mid() + " runs unpinned: mask " + mask);
                        }
                        done.send(true);
                    });
                }
                for (int i = 0; i < 40; i++) {
                    done.recv();
                }
            }
        });
        assertEquals(null, err.get());
        int[][] pins = s.pinnedCpus();
        int[][] old = before.get();
        assertTrue(pins.length > old.length, "new Ms were made for the new Ps: " + old.length + " -> " + pins.length);
        for (int m = 0; m < pins.length; m++) {
            assertEquals(Affinity.SPREAD.cpuFor(m, allowed), pins[m][0], "M" + m + " follows the spread policy");
            if (m < old.length) {
                assertEquals(old[m][0], pins[m][0], "M" + m + " kept its pin");
            }
        }
    }

    /**
     * Three goroutines and a plain thread resize at once (one resize at a time is admitted, the
     * others wait without holding their P): all finish, and afterwards exactly the Ps below
     * GOMAXPROCS are alive and every P made above it is dead and empty.
     */
    @Test
    void concurrentResizersAreSerialised() {
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<String> states = new AtomicReference<>();
        SchedTesting.run(2, () -> {
            Scheduler sched = Go.scheduler();
            Chan<Boolean> fin = new Chan<>(4);
            for (int r = 0; r < 3; r++) {
                int seed = r;
                Go.go(() -> {
                    java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
                    for (int i = 0; i < 40; i++) {
                        sched.setGomaxprocs(1 + rnd.nextInt(5));
                        done.incrementAndGet();
                    }
                    fin.send(true);
                });
            }
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 40; i++) {
                        sched.setGomaxprocs(1 + i % 4);
                        done.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            for (int r = 0; r < 3; r++) {
                fin.recv();
            }
            Go.syscall(() -> {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            sched.stopTheWorld("check");
            StringBuilder sb = new StringBuilder();
            int n = sched.gomaxprocs();
            for (int i = 0; i < SchedConfig.MAX_PROCS; i++) {
                P p;
                try {
                    p = sched.p(i);
                } catch (IllegalArgumentException e) {
                    break; // never made
                }
                boolean dead = p.status() == PStatus.DEAD;
                if (dead != (i >= n) || (dead && (!p.runqempty() || p.timers.size() != 0 || p.gfreeCount() != 0
                        || p.mcache() != null))) {
                    sb.append("P").append(i).append(" status ").append(p.status()).append(" with GOMAXPROCS ").append(n)
                            .append("; ");
                }
            }
            sched.startTheWorld();
            states.set(sb.toString());
        });
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(160, done.get());
        assertEquals("", states.get());
    }

    /** A concurrent set of goids. */
    private static final class Set {
        private final java.util.Set<Long> s = ConcurrentHashMap.newKeySet();
        private final AtomicInteger dups = new AtomicInteger();

        void add(long id) {
            if (!s.add(id)) {
                dups.incrementAndGet();
            }
        }

        int size() {
            assertEquals(0, dups.get(), "duplicate goids");
            return s.size();
        }
    }
}
