package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A startm that throws before an M took its P (a new M's allocation failing) gives the P back and
 * drops its spinning count: here wakep's, from a {@code go} statement, at GOMAXPROCS=2. Before,
 * the P stayed IDLE on no list and nmspinning stayed 1, so no later wakep started an M: the
 * program ran on one P for good (the two goroutines below, each waiting for the other to start
 * without yielding, then never met). The restart's hand-off is StopFaultTest's "startm" case.
 * Since robust31 the {@code go} statement whose wake-up failed does not throw: its goroutine is
 * queued and runs once (counted in startmFailures, not started a second time by a caller that
 * believed it failed).
 *
 * <p>Since session 33 the failure also owes a wake-up ({@code wakeOwed}), which the retaker
 * thread's next pass pays by starting a spinning M on the idle P (flake34: seen once under load;
 * with a 150 ms pause before the look, 9 of 300 runs found that M holding the P). So the test does not read one
 * snapshot: it waits until the failure's state is seen whole (the P idle, nobody counted spinning,
 * the wake-up still owed) or the owed wake-up was paid (only a try holding an idle P clears it).
 * A lost P, or a spinning count left at 1, is neither, for good.
 */
@Timeout(180)
class StartmFaultTest {

    @Test
    void aFailedStartmGivesItsPBackAndTheNextGoUsesIt() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        AtomicReference<Throwable> fromGo = new AtomicReference<>();
        AtomicInteger started = new AtomicInteger();
        AtomicInteger firstRuns = new AtomicInteger();
        AtomicBoolean met = new AtomicBoolean(true);
        AtomicBoolean armed = new AtomicBoolean(true);
        long[] failures = new long[1];
        String[] before = {""};
        String[] afterFault = {""};
        s.run(() -> {
            // The wake-up under test must call startm: the other P idle, no M spinning. No yield
            // while waiting (a gosched wakes an M itself).
            long readyBy = System.nanoTime() + 60_000_000_000L;
            while ((s.npidle.get() != 1 || s.nmspinning.get() != 0) && System.nanoTime() - readyBy < 0) {
                Thread.onSpinWait();
            }
            before[0] = "idle Ps " + s.npidle.get() + ", spinning Ms " + s.nmspinning.get();
            Chan<Boolean> firstRan = new Chan<>(1);
            s.mpool.faultForTest = where -> {
                if (armed.getAndSet(false)) {
                    throw new StopFaultTest.InjectedFault(where);
                }
            };
            try {
                Go.go(() -> {               // queued; its wakep's startm fails
                    firstRuns.incrementAndGet();
                    firstRan.send(true);
                });
            } catch (Throwable t) {
                fromGo.set(t);
            } finally {
                s.mpool.faultForTest = null;
            }
            failures[0] = s.startmFailures();
            // Either the failure's own state, whole, or the owed wake-up paid by the retaker's pass
            // (wakeOwed cleared only with the idle P in hand; nothing sets it again here). Read in
            // this order, a pass landing between the reads makes one look fail, not pass wrongly.
            long settledBy = System.nanoTime() + 60_000_000_000L;
            String seen;
            while (true) {
                boolean owed = s.wakeOwed;
                int idle = s.npidle.get();
                int spinning = s.nmspinning.get();
                seen = "idle Ps " + idle + ", spinning Ms " + spinning + ", wake-up owed " + owed;
                if (!owed || (idle == 1 && spinning == 0) || System.nanoTime() - settledBy > 0) {
                    break;
                }
                Thread.onSpinWait();
            }
            afterFault[0] = seen;
            firstRan.recv();                // main parks: its P runs the queued goroutine
            // Two goroutines that can only both start on two Ps: each spins, without a safepoint,
            // until the other started (60 s at most).
            Chan<Boolean> done = new Chan<>(2);
            for (int i = 0; i < 2; i++) {
                Go.go(() -> {
                    started.incrementAndGet();
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (started.get() < 2) {
                        if (System.nanoTime() - deadline > 0) {
                            met.set(false);
                            break;
                        }
                        Thread.onSpinWait();
                    }
                    done.send(true);
                });
            }
            done.recv();
            done.recv();
        });
        assertNull(fromGo.get(), "the go statement threw its failed wake-up, though its goroutine was queued and ran");
        assertEquals(1, failures[0], "the failed wake-up is counted (startmFailures)");
        assertEquals(1, firstRuns.get(), "the goroutine ran once");
        assertEquals("idle Ps 1, spinning Ms 0", before[0], "precondition: the go statement's wake-up calls startm");
        assertTrue(afterFault[0].endsWith("wake-up owed false") || afterFault[0].equals("idle Ps 1, spinning Ms 0, wake-up owed true"),
                "the failed startm's P is back on the idle list and its spinning count dropped, or the owed wake-up took that P;"
                        + " seen for 60 s instead: " + afterFault[0]);
        assertTrue(met.get(), "two goroutines ran at once on the two Ps after the failure");
        s.close();
    }

    /**
     * The scheduler alone (no sysmon, no retaker thread: syscallRetake(0)), GOMAXPROCS=2: a
     * {@code go} statement whose wake-up fails returns normally; its goroutine is in the caller's
     * P's run queue and runs exactly once when the caller blocks, with nobody retrying the
     * wake-up. On lead31 the go statement threw the injected fault: a caller that then started
     * the goroutine again ran it twice.
     */
    @Test
    void aGoWhoseWakeUpFailsReturnsAndItsGoroutineRunsOnceWithoutSysmon() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger goCalls = new AtomicInteger();
        AtomicReference<Throwable> fromGo = new AtomicReference<>();
        long[] failures = new long[1];
        s.run(() -> {
            Chan<Boolean> ran = new Chan<>(2);
            s.mpool.faultForTest = where -> {
                if (armed.getAndSet(false)) {
                    throw new StopFaultTest.InjectedFault(where);
                }
            };
            Runnable work = () -> {
                runs.incrementAndGet();
                ran.send(true);
            };
            try {
                goCalls.incrementAndGet();
                Go.go(work);
            } catch (Throwable t) {
                // What a caller does with a go statement that failed: starts the goroutine again.
                fromGo.set(t);
                goCalls.incrementAndGet();
                Go.go(work);
            } finally {
                s.mpool.faultForTest = null;
            }
            failures[0] = s.startmFailures();
            for (int i = 0; i < goCalls.get(); i++) {
                ran.recv();
            }
        });
        assertNull(fromGo.get(), "the go statement threw its failed wake-up (" + runs.get() + " runs)");
        assertEquals(1, runs.get(), "the goroutine ran once");
        assertEquals(1, failures[0], "the failed wake-up is counted (startmFailures)");
        s.close();
    }

    /**
     * The same for a wake-up after a channel send readied a parked receiver (GOMAXPROCS=2, the
     * other P idle): the value was handed over and the receiver queued, so the send returns
     * normally and the receiver gets the value once. On lead31 the send threw the injected fault
     * after delivering: a sender that then sent again delivered twice.
     */
    @Test
    void aSendWhoseReceiversWakeUpFailsReturnsNormally() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicReference<Throwable> fromSend = new AtomicReference<>();
        AtomicReference<String> state = new AtomicReference<>("");
        AtomicInteger received = new AtomicInteger();
        long[] failures = new long[1];
        s.run(() -> {
            Chan<Integer> ch = new Chan<>(0);
            Chan<Boolean> done = new Chan<>(1);
            G receiver = Go.go(() -> {
                received.addAndGet(ch.recv());
                done.send(true);
            });
            long deadline = System.nanoTime() + 60_000_000_000L;
            while ((receiver.status() != GStatus.WAITING || s.npidle.get() != 1) && System.nanoTime() - deadline < 0) {
                Go.gosched();
            }
            state.set("receiver " + receiver + ", idle Ps " + s.npidle.get());
            s.mpool.faultForTest = where -> {
                if (armed.getAndSet(false)) {
                    throw new StopFaultTest.InjectedFault(where);
                }
            };
            try {
                ch.send(1);                 // hands 1 to the parked receiver; readying it wakes an M: fails
            } catch (Throwable t) {
                fromSend.set(t);
            } finally {
                s.mpool.faultForTest = null;
            }
            failures[0] = s.startmFailures();
            done.recv();
        });
        assertTrue(state.get().contains("[waiting]") && state.get().endsWith("idle Ps 1"), state.get());
        assertNull(fromSend.get(), "the send threw its receiver's failed wake-up, though it had handed the value over");
        assertEquals(1, received.get(), "the receiver got the value once");
        assertEquals(1, failures[0], "the failed wake-up is counted (startmFailures)");
        s.close();
    }

    /**
     * The wake-up after a yield: Go.gosched (and a slice preemption, the same code) puts the
     * goroutine in the global queue and its M, on g0, wakes an M for an idle P (Go's goschedImpl
     * wakep). GOMAXPROCS=2, the other P idle, nobody spinning, no sysmon and no retaker: that
     * wake-up's startm fails (injected once). The M goes on and runs the goroutine itself from the
     * global queue; the failure is counted, as a go statement's is since robust31. On lead31 the
     * failure reached the M's loop, which made it the fatal "scheduler failure on M": run() threw
     * FatalError and the program ended on a failure gort otherwise survives (review31).
     */
    @Test
    void aGoschedWhoseWakeUpFailsGoesOnAndTheProgramSurvives() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean();
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<String> state = new AtomicReference<>("");
        long[] failures = new long[1];
        boolean[] resumed = new boolean[1];
        s.run(() -> {
            // No yield while waiting: a gosched here would itself call the wake-up under test.
            long deadline = System.nanoTime() + 60_000_000_000L;
            while ((s.npidle.get() != 1 || s.nmspinning.get() != 0) && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            state.set("idle Ps " + s.npidle.get() + ", spinning Ms " + s.nmspinning.get());
            s.mpool.faultForTest = where -> {
                if (armed.getAndSet(false)) {
                    faults.incrementAndGet();
                    throw new StopFaultTest.InjectedFault(where);
                }
            };
            armed.set(true);
            Go.gosched();                   // to the global queue; the M's wake-up for it fails
            s.mpool.faultForTest = null;
            resumed[0] = true;
            failures[0] = s.startmFailures();
        });
        assertEquals("idle Ps 1, spinning Ms 0", state.get());
        assertEquals(1, faults.get(), "the yield's wake-up called startm, which failed");
        assertTrue(resumed[0], "main ran on after its yield");
        assertEquals(1, failures[0], "the failed wake-up is counted (startmFailures)");
        s.close();
    }

    /**
     * GOMAXPROCS=1 with the scheduler's retaker thread: main waits in a syscall for a goroutine
     * queued on its own P. The retaker hands that P off; the hand-off's startm fails (injected
     * once): the P goes idle, the goroutine to the global queue, the error to the retaker. Before,
     * that error ended the retaker thread and nothing woke an M for the goroutine: main waited its
     * whole 60 s guard. Now the retaker goes on and its next pass starts an M for the global queue
     * (Scheduler.wakeForGlobalWork) once startm works again.
     */
    @Test
    void goroutinesAFailedHandOffLeftInTheGlobalQueueRunOnceAnMCanBeMade() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(1_000_000).fatalHandler(FatalHandler.THROW));
        AtomicInteger startms = new AtomicInteger();
        CountDownLatch ran = new CountDownLatch(1);
        boolean[] ranWhileMainWaited = new boolean[1];
        s.run(() -> {
            s.mpool.faultForTest = where -> {
                if (startms.getAndIncrement() == 0) {
                    throw new StopFaultTest.InjectedFault(where);
                }
            };
            Go.go(ran::countDown);      // in main's P's runnext: only a hand-off of that P can run it
            Go.syscall(() -> {
                try {
                    ranWhileMainWaited[0] = ran.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            s.mpool.faultForTest = null;
        });
        assertTrue(startms.get() >= 1, "the retaker handed main's P off (startm called " + startms.get() + " times)");
        assertTrue(ranWhileMainWaited[0], "the goroutine left in the global queue by the failed hand-off ran while main waited"
                + " (startm called " + startms.get() + " times)");
        s.close();
    }

    /**
     * The same hand-off failing as a new M's allocation really fails: with the Java heap's
     * OutOfMemoryError, an Error (review29's finding 1). On lead30 the retaker thread, the thread
     * that retries the wake-up, rethrew every Error but an AssertionError and so ended on the very
     * failure it exists to recover from: main waited its whole 60 s guard. Now the failure is a
     * failed attempt: counted (schedtrace's startmfailures=), the thread goes on and its next pass
     * starts an M for the goroutine the hand-off left in the global queue.
     */
    @Test
    void theRetakerThreadSurvivesAnOutOfMemoryErrorFromTheHandOffsStartm() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(1_000_000).fatalHandler(FatalHandler.THROW));
        AtomicInteger startms = new AtomicInteger();
        CountDownLatch ran = new CountDownLatch(1);
        boolean[] ranWhileMainWaited = new boolean[1];
        AtomicReference<String> trace = new AtomicReference<>("");
        boolean[] retakerAlive = new boolean[1];
        s.run(() -> {
            s.mpool.faultForTest = where -> {
                if (startms.getAndIncrement() == 0) {
                    throw new OutOfMemoryError("injected: Java heap space at " + where);
                }
            };
            Go.go(ran::countDown);      // in main's P's runnext: only a hand-off of that P can run it
            Go.syscall(() -> {
                try {
                    ranWhileMainWaited[0] = ran.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            s.mpool.faultForTest = null;
            trace.set(s.schedtrace(false));
            retakerAlive[0] = s.retaker.thread().isAlive();
        });
        assertTrue(startms.get() >= 1, "the retaker handed main's P off (startm called " + startms.get() + " times)");
        assertTrue(ranWhileMainWaited[0], "the goroutine left in the global queue by the hand-off that ran out of memory ran while"
                + " main waited (startm called " + startms.get() + " times)");
        assertTrue(retakerAlive[0], "the retaker thread survived the OutOfMemoryError");
        assertTrue(trace.get().contains(" startmfailures=1 "), "the failure is counted where schedtrace shows it: " + trace.get());
        s.close();
    }

    /**
     * What sysmon sees of the same failure (GOMAXPROCS=1, no retaker thread, the hand-off made by
     * hand): after the failed startm every P is idle and a goroutine waits in the global queue.
     * sysmon must not sleep deeply then (before, armSysmonWake said every P is idle: sysmon parked
     * until a P ran, which nothing would do), and its round's wakeForGlobalWork starts an M that
     * runs the goroutine.
     */
    @Test
    void afterAFailedHandOffSysmonStaysAwakeAndItsWakeUpRunsTheGoroutine() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicReference<Throwable> fromHandOff = new AtomicReference<>();
        AtomicReference<String> stateAfter = new AtomicReference<>("");
        boolean[] deepSleepRefused = new boolean[1];
        boolean[] ran = new boolean[1];
        s.run(() -> {
            CountDownLatch done = new CountDownLatch(1);
            Go.go(done::countDown);     // in main's P's runnext
            Go.syscall(() -> {
                s.mpool.faultForTest = where -> {
                    if (armed.getAndSet(false)) {
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                try {
                    s.retake(0, true);          // main's P, with its goroutine, handed off: that startm fails
                } catch (Throwable t) {
                    fromHandOff.set(t);
                }
                stateAfter.set("idle Ps " + s.idleProcs() + ", global " + s.globalRunqueueSize() + ", spinning " + s.spinningThreads());
                deepSleepRefused[0] = !s.armSysmonWake(() -> { });
                s.disarmSysmonWake();
                s.wakeForGlobalWork();
                try {
                    ran[0] = done.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                s.mpool.faultForTest = null;
            });
        });
        assertNull(fromHandOff.get(), "the hand-off survives its failed startm (counted, owed to sysmon; lead33 threw it)");
        assertEquals("idle Ps 1, global 1, spinning 0", stateAfter.get(), "the failed startm left its goroutine queued globally");
        assertTrue(deepSleepRefused[0], "sysmon may not sleep deeply while a goroutine waits in the global queue (" + stateAfter.get() + ")");
        assertTrue(ran[0], "sysmon's wake-up ran the goroutine (" + stateAfter.get() + ")");
        s.close();
    }

    /**
     * The same failure landing between armSysmonWake's look at the global queue and its arming
     * (review29): the look saw the queue empty (the goroutine still in main's P's runnext), the
     * failed hand-off then left every P idle and the goroutine queued globally, and the arming saw
     * only that every P was idle. On lead29 sysmon was told to sleep deeply with a goroutine
     * stranded: nothing takes a P off the idle list then, so it slept until its own timeout (half
     * the forced-GC period, or the scavenger's next pass). The queue is looked at again after the
     * arming: a P made idle before the arming's read of the idle count has its goroutines queued
     * before that read, so the second look sees them.
     */
    @Test
    void aFailedHandOffBetweenTheQueueLookAndTheArmingKeepsSysmonAwake() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicReference<Throwable> fromHandOff = new AtomicReference<>();
        AtomicReference<String> stateAfter = new AtomicReference<>("");
        boolean[] deepSleepRefused = new boolean[1];
        boolean[] ran = new boolean[1];
        s.run(() -> {
            CountDownLatch done = new CountDownLatch(1);
            Go.go(done::countDown);     // in main's P's runnext: the global queue is empty
            Go.syscall(() -> {
                s.mpool.faultForTest = where -> {
                    if (armed.getAndSet(false)) {
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                s.beforeSysmonArmForTest = () -> {
                    s.beforeSysmonArmForTest = null;
                    try {
                        s.retake(0, true);      // main's P, with its goroutine, handed off: that startm fails
                    } catch (Throwable t) {
                        fromHandOff.set(t);
                    }
                    stateAfter.set("idle Ps " + s.idleProcs() + ", global " + s.globalRunqueueSize() + ", spinning " + s.spinningThreads());
                };
                deepSleepRefused[0] = !s.armSysmonWake(() -> { });
                s.disarmSysmonWake();
                s.beforeSysmonArmForTest = null;
                s.mpool.faultForTest = null;
                s.wakeForGlobalWork();
                try {
                    ran[0] = done.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        });
        assertNull(fromHandOff.get(), "the hand-off survives its failed startm (counted, owed to sysmon; lead33 threw it)");
        assertEquals("idle Ps 1, global 1, spinning 0", stateAfter.get(), "the failed startm left its goroutine queued globally");
        assertTrue(deepSleepRefused[0], "sysmon may not sleep deeply while a goroutine waits in the global queue,"
                + " even if it was queued after armSysmonWake's first look (" + stateAfter.get() + ")");
        assertTrue(ran[0], "the wake-up ran the goroutine (" + stateAfter.get() + ")");
        s.close();
    }
}
