package dev.gort.gc;

import dev.gort.sched.Frame;
import dev.gort.sched.G;
import dev.gort.sched.Go;
import dev.gort.sched.PStatus;
import dev.gort.sched.Scheduler;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Under the scheduler a stop's request ({@code gcwaiting}) is visible before the stopper's
 * preemptall flags a goroutine, and stays so without the flag when preemptall missed it (a
 * goroutine that started on a P whose curg the stopper read as empty: execute's race, flagged only
 * at the stopper's next timed pass, 0.1-1.6 ms later, or later when the stopper waits for a CPU).
 * An assist's drain breaks off on the request, and its retry took the allocation safepoint, which
 * yields on the flag only: until session 34 it passed through steal, drain and retry again and
 * again (no scan work, two thread-CPU clock reads each) until the flag came, on a CPU the stopper
 * may need (pace33's "left alone"). Now the safepoint after a pass also yields for the request the
 * pass saw ({@link World#assistSafepointThenCurrent}, {@code Go.poll(true)}), as Go's assist that
 * breaks off for a preemption always yields.
 *
 * <p>No timing: the goroutine's flag is cleared after the stopper's preemptall (test seam), the
 * stopper's later passes, which would flag it again, are held in its give-up check until every P
 * stopped, and the passes the assist makes meanwhile are counted ({@link Assists#afterDrain}).
 * {@link #SPIN_PASSES} passes end the hold and fail the test; the whole case runs on a thread
 * joined with a 60 s guard.
 */
class AssistStopFlagWindowTest {
    static final Type NODE = RaggedRoundAssistTest.NODE;
    static final long NEXT = RaggedRoundAssistTest.NEXT;
    static final long GUARD_MS = 60_000;
    /** Passes of the assist with the stop requested and no flag that count as a spin (the fix makes one). */
    static final long SPIN_PASSES = 1_000;
    static final long DEBT = -100_000;

    @Test
    void anAssistThatSeesAStopBeforeItsFlagYieldsToIt() throws Exception {
        ForcedMode.assumeConcurrentMark("stops at the BEFORE_MARK_TERMINATION breakpoint");
        AtomicReference<String> phase = new AtomicReference<>("start");
        AtomicLong passes = new AtomicLong();
        AtomicLong passesInWindow = new AtomicLong(-1);
        AtomicBoolean spun = new AtomicBoolean();
        AtomicBoolean allStoppedSeen = new AtomicBoolean();
        CountDownLatch endHold = new CountDownLatch(1);
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().name("assist-stop-window").start(() -> {
            try {
                SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
                    Scheduler sched = ((SchedWorld) gc.world()).scheduler();
                    AtomicReference<Thread> stopper = new AtomicReference<>();
                    AtomicReference<Throwable> stopFailure = new AtomicReference<>();
                    try (Frame f = Frame.push(1)) {
                        for (int i = 0; i < 20_000; i++) {
                            long p = gc.alloc(NODE);
                            Mem.storePtr(p, NEXT, f.get(0));
                            f.set(0, p);
                        }
                        Go.syscall(() -> {
                            gc.gc();
                            gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
                            gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, GUARD_MS);
                        });
                        assertTrue(gc.marking(), "held in the mark phase");
                        gc.pacer().bgScanCredit.set(0);      // nothing to steal: every pass goes to the drain
                        G self = Go.current();
                        Assists assists = gc.assistsForTest();
                        Runnable usual = assists.afterDrain;
                        assists.afterDrain = () -> {
                            usual.run();
                            long n = passes.incrementAndGet();
                            if (n == 1) {
                                stopper.set(startStopper(sched, endHold, allStoppedSeen, stopFailure));
                                long deadline = System.nanoTime() + GUARD_MS * 1_000_000;
                                // The request and this goroutine's flag, both set by the stopper's preemptall.
                                while (!(sched.worldStopping() && Go.preemptPending())) {
                                    assertTrue(System.nanoTime() - deadline < 0, "the stop was never requested");
                                    Thread.onSpinWait();
                                }
                                sched.unflagForTest(self);      // as if preemptall had missed this goroutine
                                phase.set("stop requested, this goroutine unflagged");
                            } else if (n == 1 + SPIN_PASSES) {
                                spun.set(true);
                                passesInWindow.set(n - 1);
                                endHold.countDown();        // let the stopper flag it again: the test ends
                            }
                        };
                        Mutator me = gc.world().current();
                        me.assistBytes = DEBT;
                        phase.set("allocating in debt");
                        try {
                            f.set(0, gc.alloc(NODE));
                        } finally {
                            assists.afterDrain = usual;
                            // Ends the stopper's hold whatever happened: a failing assert in the hook
                            // must not leave the stop held for GUARD_MS (review34a F4).
                            endHold.countDown();
                        }
                        phase.set("allocated");
                        Thread st = stopper.get();
                        assertNotNull(st, "the stop was started");
                        Go.syscall(() -> {
                            try {
                                st.join(GUARD_MS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
                        assertFalse(st.isAlive(), "the stop ended");
                        assertNull(stopFailure.get(), "the stopper failed");
                        gc.setBreakpoint(Collector.Breakpoint.NONE);
                        gc.resume();
                        phase.set("done");
                    }
                });
            } catch (Throwable e) {
                err.set(e);
            }
        });
        t.join(GUARD_MS * 2);
        assertFalse(t.isAlive(), "the case did not end within " + 2 * GUARD_MS / 1000 + " s (phase: " + phase.get() + ")");
        if (err.get() != null) {
            throw new AssertionError("phase " + phase.get(), err.get());
        }
        assertEquals("done", phase.get());
        assertFalse(spun.get(), "the assist passed " + passesInWindow.get() + " times through its loop with the stop requested"
                + " and no preempt flag, instead of yielding to the stop it broke off for");
        assertTrue(allStoppedSeen.get(), "the stop stopped every P");
    }

    /**
     * A platform thread that stops the world and starts it again. Its give-up check, asked at each
     * timed pass before the re-preempt that would flag the goroutine again, holds the pass until
     * every P stopped (it then returns false and the stop completes) or the test ends the hold.
     */
    private static Thread startStopper(Scheduler sched, CountDownLatch endHold, AtomicBoolean allStoppedSeen,
                                       AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().daemon().name("stopper").start(() -> {     // daemon: a failed case leaves no thread holding the JVM
            try {
                sched.stopTheWorld("AssistStopFlagWindowTest", () -> {
                    long deadline = System.nanoTime() + GUARD_MS * 1_000_000;
                    try {
                        while (endHold.getCount() > 0 && System.nanoTime() - deadline < 0) {
                            if (allStopped(sched)) {
                                allStoppedSeen.set(true);
                                break;
                            }
                            endHold.await(1, TimeUnit.MILLISECONDS);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return false;
                });
                if (allStopped(sched)) {
                    allStoppedSeen.set(true);
                }
                sched.startTheWorld();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
    }

    private static boolean allStopped(Scheduler sched) {
        for (int i = 0; i < sched.gomaxprocs(); i++) {
            if (sched.p(i).status() != PStatus.GCSTOP) {
                return false;
            }
        }
        return true;
    }
}
