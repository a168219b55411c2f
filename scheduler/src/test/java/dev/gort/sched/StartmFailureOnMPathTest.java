package dev.gort.sched;

import static dev.gort.sched.SchedTesting.assertNextStopTakesEveryP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A startm that fails (a new M that cannot be made; injected once through
 * {@code MPool.faultForTest}, as in {@link StartmFaultTest}) on the wake-ups an M makes on its own
 * path, and on a ready from outside the scheduler while every P is idle. gort survives a counted
 * startm failure (Go's newm failing is fatal): the work stays queued and someone runs it. On
 * lead32 the M paths below turned the failure into the fatal "scheduler failure on M" (the M's
 * loop reports any throw so), and the outside ready left its goroutine stranded (review31's
 * findings 2 and 3). The scheduler runs alone: no sysmon, no retaker thread ({@code syscallRetake(0)}),
 * so nobody else retries. Waits are for states, under 60 s guards.
 */
@Timeout(180)
class StartmFailureOnMPathTest {

    private static final long GUARD_NANOS = 60_000_000_000L;

    /** A fault that throws once, and only on an M's own path: its thread is an M running no goroutine (g0). */
    private static java.util.function.Consumer<String> onceOnG0(AtomicBoolean armed, AtomicInteger faults) {
        return where -> {
            if (Thread.currentThread() instanceof M m && m.curg == null && armed.getAndSet(false)) {
                faults.incrementAndGet();
                throw new StopFaultTest.InjectedFault(where);
            }
        };
    }

    /**
     * resetspinning: GOMAXPROCS=3. main's {@code go} wakes a spinning M (M1) for P1; main then
     * spins without yielding, so only M1 can run the goroutine: it steals it from main's runnext,
     * and as a spinning M that found work it wakes another spinner for the idle P2 (Go's
     * resetspinning). That startm fails. M1 must still run the goroutine.
     */
    @Test
    void aSpinningMThatFoundWorkSurvivesItsFailedWakeUpAndRunsTheGoroutine() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(3).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicInteger faults = new AtomicInteger();
        AtomicBoolean started = new AtomicBoolean();
        AtomicReference<Throwable> fromRun = new AtomicReference<>();
        AtomicReference<String> before = new AtomicReference<>("");
        long[] failures = new long[1];
        try {
            s.run(() -> {
                long deadline = System.nanoTime() + GUARD_NANOS;
                while ((s.npidle.get() != 2 || s.nmspinning.get() != 0) && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                before.set("idle Ps " + s.npidle.get() + ", spinning Ms " + s.nmspinning.get());
                s.mpool.faultForTest = onceOnG0(armed, faults);
                Go.go(() -> started.set(true));     // main's runnext; its wakep starts M1 spinning (not faulted: main's goroutine)
                // No yield: only M1 can run it. Stop waiting if the scheduler is exiting (lead32: M1 died fatally).
                while (!started.get() && !s.exiting && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                s.mpool.faultForTest = null;
                failures[0] = s.startmFailures();
            });
        } catch (Throwable t) {
            fromRun.set(t);
        }
        s.mpool.faultForTest = null;
        assertEquals("idle Ps 2, spinning Ms 0", before.get());
        assertNull(fromRun.get(), "the failed wake-up of a spinning M that found work ended the program");
        assertEquals(1, faults.get(), "the spinning M's wake-up called startm on g0, which failed");
        assertTrue(started.get(), "the goroutine the spinning M found ran");
        assertEquals(1, failures[0], "the failed wake-up is counted (startmFailures)");
        s.close();
    }

    /**
     * MPool.takeHanded's lost race: an M woken to spin for an idle P (startm from a {@code go}'s
     * wakep) is held before it takes the P (the test hook HandedPStopTest uses); a stop takes the
     * P in its place and the world restarts with that P idle and the M still counted as spinning.
     * Released, the M finds its P taken, stops counting as spinning and wakes a spinner for the
     * idle P: that startm fails. The M must park again and the program go on.
     */
    @Test
    void anMWhoseHandedPAStopTookSurvivesItsFailedWakeUp() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicLong progress = new AtomicLong();
        AtomicLong spawned = new AtomicLong();
        AtomicLong spawns = new AtomicLong();
        AtomicBoolean spawn = new AtomicBoolean();
        AtomicBoolean quit = new AtomicBoolean();
        Runnable counter = () -> {
            while (!quit.get()) {
                progress.incrementAndGet();
                if (spawn.compareAndSet(true, false)) {
                    spawns.incrementAndGet();
                    Go.go(spawned::incrementAndGet);      // wakep: the idle P handed to an M
                }
                Go.poll();
            }
        };
        SchedTesting.Background program = SchedTesting.Background.start(s, counter);
        SchedTesting.assertProgress(progress::get, 1000, "the goroutine runs");

        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicBoolean holdArmed = new AtomicBoolean(true);
        AtomicReference<Thread> heldM = new AtomicReference<>();
        AtomicBoolean faultArmed = new AtomicBoolean(true);
        AtomicInteger faults = new AtomicInteger();
        s.mpool.handedWakeDelayForTest = () -> {
            if (holdArmed.getAndSet(false)) {
                heldM.set(Thread.currentThread());
                held.countDown();
                awaitUninterruptibly(leave);
            }
        };
        try {
            long until = System.nanoTime() + GUARD_NANOS;
            while (!held.await(50, TimeUnit.MILLISECONDS) && System.nanoTime() < until) {
                spawn.set(true);
            }
            assertEquals(0, held.getCount(), "an M was handed the idle P and held before taking it");
            long giveUpAt = System.nanoTime() + GUARD_NANOS;
            s.stopTheWorld("handed P", () -> System.nanoTime() - giveUpAt > 0);
            s.startTheWorld();
            String afterRestart = "idle Ps " + s.npidle.get() + ", spinning Ms " + s.nmspinning.get();
            assertEquals("idle Ps 1, spinning Ms 1", afterRestart, "the restart left the taken P idle, the held M counted as spinning");
            s.mpool.faultForTest = where -> {
                // Only the held M's wake-up after it lost its P (not, later, a go statement it runs).
                if (Thread.currentThread() == heldM.get() && calledFrom("takeHanded") && faultArmed.getAndSet(false)) {
                    faults.incrementAndGet();
                    throw new StopFaultTest.InjectedFault(where);
                }
            };
            long takenBefore = s.mpool.handedTakenByStop.get();
            int idleMsBefore = s.idleThreads();
            leave.countDown();
            // Until the held M has parked again on the idle list (it survived) or the scheduler exits (lead32: fatal).
            long deadline = System.nanoTime() + GUARD_NANOS;
            while ((faults.get() == 0 || s.idleThreads() == idleMsBefore) && !s.exiting && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
            }
            s.mpool.faultForTest = null;
            if (s.exiting) {
                quit.set(true);
                program.assertEnded();      // lead32: shows the fatal "scheduler failure on M" the program ended with
            }
            assertEquals(1, s.mpool.handedTakenByStop.get() - takenBefore, "the held M saw its P taken by the stop");
            assertEquals(1, faults.get(), "the held M's wake-up called startm, which failed");
            assertEquals(1, s.startmFailures(), "the failed wake-up is counted (startmFailures)");
            // On lead32 the M's loop made the failure the fatal "scheduler failure on M": the
            // program ends with it (assertEnded below shows it), whatever runs meanwhile.
            SchedTesting.assertProgress(progress::get, 1000, "the goroutine runs after the failure");
            spawn.set(true);
            deadline = System.nanoTime() + GUARD_NANOS;
            while ((spawn.get() || spawned.get() < spawns.get()) && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
            }
            assertEquals(spawns.get(), spawned.get(), "every goroutine started ran, one after the failure too");
            assertNextStopTakesEveryP(s, "after");
        } finally {
            s.mpool.handedWakeDelayForTest = null;
            s.mpool.faultForTest = null;
            leave.countDown();
            quit.set(true);
            program.join();
        }
        program.assertEnded();
        s.close();
    }

    /**
     * review31's finding 3: a ready from outside the scheduler (a plain thread's offer to a parked
     * receiver) queues the receiver globally and starts an M; that startm fails while every P is
     * idle (main in a syscall, its P handed off by hand, no sysmon, no retaker). Nothing in the
     * scheduler would ever look at the global queue again: on lead32 the receiver stayed stranded
     * and main waited its whole 60 s guard. Now the outside caller retries the wake-up itself
     * until an M runs the work.
     */
    @Test
    void aReadyFromOutsideWhoseWakeUpFailsWhileEveryPIsIdleIsNotStranded() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicInteger faults = new AtomicInteger();
        AtomicReference<String> stateBefore = new AtomicReference<>("");
        AtomicReference<Throwable> fromOffer = new AtomicReference<>();
        boolean[] offered = new boolean[1];
        boolean[] ran = new boolean[1];
        long[] failures = new long[1];
        s.run(() -> {
            Chan<Integer> ch = new Chan<>(0);
            CountDownLatch received = new CountDownLatch(1);
            G receiver = Go.go(() -> {
                ch.recv();
                received.countDown();
            });
            long deadline = System.nanoTime() + GUARD_NANOS;
            while (receiver.status() != GStatus.WAITING && System.nanoTime() - deadline < 0) {
                Go.gosched();
            }
            Go.syscall(() -> {
                s.retake(0, true);          // main's P, with nothing queued, handed off: it goes idle (every P is idle)
                // (Go's handoffp gives it to a spinning M first when no P is idle and none spins: wait for that M to let it go.)
                long idleBy = System.nanoTime() + GUARD_NANOS;
                while ((s.idleProcs() != 1 || s.spinningThreads() != 0) && System.nanoTime() - idleBy < 0) {
                    Thread.onSpinWait();
                }
                stateBefore.set("receiver " + GStatus.name(receiver.status()) + ", idle Ps " + s.idleProcs()
                        + " of " + s.gomaxprocs());
                s.mpool.faultForTest = where -> {
                    if (armed.getAndSet(false)) {
                        faults.incrementAndGet();
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                Thread outside = new Thread(() -> {
                    try {
                        offered[0] = ch.offer(1);       // hands 1 to the receiver; its wake-up fails
                    } catch (Throwable t) {
                        fromOffer.set(t);
                    }
                }, "outside-sender");
                outside.start();
                try {
                    ran[0] = received.await(60, TimeUnit.SECONDS);
                    outside.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                s.mpool.faultForTest = null;
                failures[0] = s.startmFailures();
            });
        });
        assertEquals("receiver waiting, idle Ps 1 of 1", stateBefore.get());
        assertNull(fromOffer.get(), "the offer threw its receiver's failed wake-up, though it had handed the value over");
        assertTrue(offered[0], "the offer handed the value over");
        assertEquals(1, faults.get(), "the ready's wake-up called startm, which failed");
        assertTrue(ran[0], "the receiver readied from outside ran, though its wake-up failed while every P was idle");
        assertTrue(failures[0] >= 1, "the failed wake-up is counted (startmFailures): " + failures[0]);
        s.close();
    }

    /**
     * A poller over goroutines parked with Go.park (the scheduler's hook interface, as the network
     * poller uses it; not a stand-in for the OS): once armed, the next poll, whichever M makes it,
     * hands every parked goroutine back as ready.
     */
    static final class ArmedParkedSet implements NetpollHook {
        final java.util.List<G> parked = new java.util.ArrayList<>();
        boolean armed;

        @Override
        public synchronized boolean hasWaiters() {
            return !parked.isEmpty();
        }

        @Override
        public synchronized int poll(long timeoutNanos, ReadyList ready) {
            if (!armed && timeoutNanos != 0) {
                // An idle M's blocking poll sleeps until armed or woken: it does not take a P back
                // every few ms (it would hold the idle P when another M's poll looks for one).
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (!armed) {
                return 0;
            }
            armed = false;
            int n = parked.size();
            for (G g : parked) {
                ready.add(g);
            }
            parked.clear();
            return n;
        }

        @Override
        public synchronized void wakeup() {
            notifyAll();
        }

        synchronized void add(G g) {
            parked.add(g);
        }

        synchronized int size() {
            return parked.size();
        }

        synchronized void arm() {
            armed = true;
            notifyAll();
        }
    }

    /**
     * findRunnable's netpoll path: an M's poll (the non-blocking one of a busy M, or the blocking
     * one of an M with no P) returns two goroutines; it runs the first and queues the rest
     * globally with an M started for them (Go's injectglist). That startm fails (GOMAXPROCS=2, a
     * P idle). The M must run the first and the rest must run too.
     */
    @Test
    void anMWhosePollQueuedGoroutinesSurvivesTheirFailedWakeUp() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        ArmedParkedSet poller = new ArmedParkedSet();
        s.setNetpollHook(poller);
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicInteger faults = new AtomicInteger();
        AtomicInteger resumed = new AtomicInteger();
        AtomicReference<String> state = new AtomicReference<>("");
        AtomicReference<Throwable> fromRun = new AtomicReference<>();
        long[] failures = new long[1];
        try {
            s.run(() -> {
                Chan<Boolean> done = new Chan<>(2);
                for (int i = 0; i < 2; i++) {
                    Go.go(() -> {
                        Go.park((g, arg) -> {
                            ((ArmedParkedSet) arg).add(g);
                            return true;
                        }, poller, WaitReason.IO_WAIT);
                        resumed.incrementAndGet();
                        done.send(true);
                    });
                }
                long deadline = System.nanoTime() + GUARD_NANOS;
                while (poller.size() < 2 && System.nanoTime() - deadline < 0) {
                    Go.gosched();
                }
                // P1 idle and nobody spinning (no yield while waiting: a gosched wakes a spinner), so the
                // poll's injectglist finds an idle P and calls startm.
                while ((s.npidle.get() != 1 || s.nmspinning.get() != 0) && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                state.set("idle Ps " + s.npidle.get() + ", spinning Ms " + s.nmspinning.get());
                s.mpool.faultForTest = where -> {
                    if (Thread.currentThread() instanceof M m && m.curg == null && calledFrom("injectglist")
                            && armed.getAndSet(false)) {
                        faults.incrementAndGet();
                        throw new StopFaultTest.InjectedFault(where);
                    }
                };
                poller.arm();
                done.recv();                // main parks: an M's poll finds both
                done.recv();
                s.mpool.faultForTest = null;
                failures[0] = s.startmFailures();
            });
        } catch (Throwable t) {
            fromRun.set(t);
        }
        s.mpool.faultForTest = null;
        assertEquals("idle Ps 1, spinning Ms 0", state.get());
        assertNull(fromRun.get(), "the failed wake-up for goroutines an M's poll queued ended the program");
        assertEquals(1, faults.get(), "the poll's injectglist called startm on g0, which failed");
        assertEquals(2, resumed.get(), "both goroutines the poll readied ran");
        assertEquals(1, failures[0], "the failed wake-up is counted (startmFailures)");
        s.close();
    }

    private static boolean calledFrom(String method) {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getMethodName().equals(method)));
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
