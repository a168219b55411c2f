package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import jdk.internal.vm.Continuation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class SyscallAndPreemptTest {

    /**
     * At GOMAXPROCS=1 one goroutine blocks in a syscall while another keeps running: the call
     * returns once the other has run 100 times during it (at least 500 ms), so a starved machine
     * slows the test instead of failing it; without the hand-off the other goroutine cannot run
     * at all and the call gives up after 30 s.
     */
    @Test
    void syscallHandsThePOffAtOneProc() {
        AtomicLong progressDuringCall = new AtomicLong();
        AtomicLong retakes = new AtomicLong();
        AtomicLong callMillis = new AtomicLong();
        SchedTesting.run(1, () -> {
            AtomicBoolean inCall = new AtomicBoolean();
            AtomicBoolean callDone = new AtomicBoolean();
            Chan<Boolean> done = new Chan<>(2);
            long tick0 = Go.scheduler().p(0).syscalltick();
            Go.go(() -> {
                try {
                    Go.syscall(() -> {
                        long t0 = System.nanoTime();
                        inCall.set(true);
                        Thread.sleep(500);
                        while (progressDuringCall.get() <= 100 && System.nanoTime() - t0 < 60_000_000_000L) {
                            Thread.sleep(10);
                        }
                        inCall.set(false);
                        callMillis.set((System.nanoTime() - t0) / 1_000_000);
                        return null;
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                callDone.set(true);
                done.send(true);
            });
            Go.go(() -> {
                while (!callDone.get()) {
                    if (inCall.get()) {
                        progressDuringCall.incrementAndGet();
                    }
                    Go.gosched();
                }
                done.send(true);
            });
            done.recv();
            done.recv();
            retakes.set(Go.scheduler().p(0).syscalltick() - tick0);
        });
        assertTrue(progressDuringCall.get() > 100, "other goroutine ran only " + progressDuringCall.get()
                + " times during the " + callMillis.get() + " ms syscall");
        assertTrue(retakes.get() >= 1);
    }

    /** At GOMAXPROCS=1 a goroutine in a poll() loop yields when flagged. */
    @Test
    void preemptPendingTellsWhetherTheNextPollYields() throws Exception {
        // GOMAXPROCS=1 and no sysmon: only this test asks main to yield.
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        boolean[] seen = new boolean[3];
        s.run(() -> {
            seen[0] = Go.preemptPending();
            Go.scheduler().preempt(Go.current());
            seen[1] = Go.preemptPending();
            Go.poll();                              // yields; main is the only goroutine and runs again
            seen[2] = Go.preemptPending();
        });
        assertFalse(seen[0], "nobody asked main to yield");
        assertTrue(seen[1], "preempt(G) asked it to yield at its next poll");
        assertFalse(seen[2], "the poll answered the request");
    }

    @Test
    void pollYieldsWhenPreemptionIsRequested() throws Exception {
        AtomicBoolean spinning = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong polls = new AtomicLong();
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>();
                    Go.go(() -> {
                        spinning.set(true);
                        while (!stop.get()) {
                            polls.incrementAndGet();
                            Go.poll();
                        }
                        done.send(true);
                    });
                    Go.gosched(); // the spinner runs; main waits in the global queue
                    stop.set(true); // only reachable if the spinner yielded
                    done.recv();
                });
            } catch (Throwable t) {
                err.set(t);
            }
        });
        runner.start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!spinning.get() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Thread.sleep(50);
        assertFalse(stop.get(), "main ran although the spinner never yielded");
        long before = polls.get();
        assertTrue(s.preempt(0), "P0 runs a goroutine");
        runner.join(60_000);
        assertFalse(runner.isAlive(), "the spinner did not yield after preempt(0)");
        assertEquals(null, err.get());
        assertTrue(stop.get());
        assertTrue(before > 0);
    }

    /**
     * A goroutine flagged while in a syscall (sysmon, its slice over) whose P is taken meanwhile
     * comes back through exitsyscall0, queued: losing the P was its preemption, so it must not
     * yield again at the safepoint right after the call when it runs next (Go's execute clears
     * gp.preempt). GOMAXPROCS=1, no sysmon and no retaker: the test flags and retakes by hand.
     * main waits in the global queue behind the caller; when the P is handed to main, main
     * readies nothing and yields once, so the caller (queued first) runs before it again. With
     * the flag kept, the caller yielded once more right after its call and main ran in between.
     */
    @Test
    void aGoroutineWhosePWasTakenDuringItsFlaggedSyscallDoesNotYieldAgain() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).syscallRetake(0).fatalHandler(FatalHandler.THROW));
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicReference<G> caller = new AtomicReference<>();
        AtomicBoolean callerQueued = new AtomicBoolean();
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>(1);
                    Go.go(() -> {
                        caller.set(Go.current());
                        Go.syscall(() -> {
                            try {
                                release.await(20, java.util.concurrent.TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
                        order.add("caller after its call");
                        done.send(true);
                    });
                    Go.gosched();           // main to the global queue; the caller takes the P
                    order.add("main");
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (!callerQueued.get() && System.nanoTime() < deadline) {
                        Thread.onSpinWait();    // hold the P until the caller's call returned and queued it
                    }
                    Go.gosched();           // behind the caller in the global queue
                    order.add("main again");
                    done.recv();
                });
            } catch (Throwable t) {
                err.set(t);
            }
        }, "flagged-syscall-runner");
        runner.start();
        try {
            P p0 = s.p(0);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((caller.get() == null || p0.status() != PStatus.SYSCALL) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(PStatus.SYSCALL, p0.status(), "the caller entered its syscall");
            s.preempt(caller.get());   // as sysmon's preempt of a P whose slice ended in a syscall
            assertTrue(caller.get().preemptRequested());
            assertTrue(s.retake(0, true), "P0 taken from the syscall (main waits for it)");
            while (!order.contains("main") && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(java.util.List.of("main"), order, "main runs on the taken P");
            release.countDown();
            G g = caller.get();
            while (g.status() != GStatus.RUNNABLE && System.nanoTime() < deadline) {
                Thread.sleep(1);     // exitsyscall0: no P free, the caller queued (RUNNABLE)
            }
            assertEquals(GStatus.RUNNABLE, g.status(), "the caller came back through exitsyscall0");
            assertFalse(g.preemptRequested(), "losing its P was its preemption: the flag is dropped");
            callerQueued.set(true);
        } finally {
            release.countDown();
            callerQueued.set(true);
            runner.join(20_000);
        }
        assertFalse(runner.isAlive());
        assertNull(err.get());
        assertEquals(java.util.List.of("main", "caller after its call", "main again"), order);
    }

    @Test
    void lockedGoroutineKeepsItsThreadWhileOthersRun() {
        AtomicInteger otherRuns = new AtomicInteger();
        AtomicReference<String> err = new AtomicReference<>();
        SchedTesting.run(1, () -> {
            Chan<Integer> ping = new Chan<>();
            Chan<Boolean> done = new Chan<>();
            Go.go(() -> {
                Go.lockOSThread();
                int mid = Go.mid();
                for (int i = 0; i < 50; i++) {
                    ping.recv();
                    if (Go.mid() != mid) {
                        err.compareAndSet(null, "locked goroutine moved from M" + mid + " to M" + Go.mid());
                    }
                }
                Go.unlockOSThread();
                done.send(true);
            });
            Chan<Boolean> others = new Chan<>(50);
            for (int i = 0; i < 50; i++) {
                Go.go(() -> {
                    otherRuns.incrementAndGet();
                    others.send(true);
                });
                ping.send(i);
            }
            done.recv();
            for (int i = 0; i < 50; i++) {
                others.recv();
            }
        });
        assertEquals(null, err.get());
        assertEquals(50, otherRuns.get());
    }

    /** F20: a pinned continuation that parks keeps its M (onPinned does not throw), others run. */
    @Test
    void pinnedContinuationParksLikeASyscall() {
        AtomicReference<String> err = new AtomicReference<>();
        AtomicInteger othersRan = new AtomicInteger();
        AtomicReference<Object> reason = new AtomicReference<>();
        SchedTesting.run(1, () -> {
            Chan<Integer> c = new Chan<>();
            Chan<Boolean> done = new Chan<>();
            Go.go(() -> {
                int mid = Go.mid();
                Continuation.pin();
                try {
                    for (int i = 0; i < 20; i++) {
                        c.recv();
                        Go.gosched();
                        if (Go.mid() != mid) {
                            err.compareAndSet(null, "pinned goroutine moved from M" + mid + " to M" + Go.mid());
                        }
                    }
                    reason.set(Go.current().pinnedReason);
                } finally {
                    Continuation.unpin();
                }
                done.send(true);
            });
            Chan<Boolean> others = new Chan<>(20);
            for (int i = 0; i < 20; i++) {
                Go.go(() -> {
                    othersRan.incrementAndGet();
                    others.send(true);
                });
                c.send(i);
            }
            done.recv();
            for (int i = 0; i < 20; i++) {
                others.recv();
            }
        });
        assertEquals(null, err.get());
        assertEquals(20, othersRan.get());
        assertNotNull(reason.get(), "onPinned recorded why the yield failed");
    }

    @Test
    void stopTheWorldStopsEveryGoroutineAtASafepoint() {
        AtomicLong[] counters = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
        AtomicReference<String> err = new AtomicReference<>();
        SchedTesting.run(2, () -> {
            AtomicBoolean stop = new AtomicBoolean();
            Chan<Boolean> done = new Chan<>(counters.length);
            for (AtomicLong c : counters) {
                Go.go(() -> {
                    // No sysmon here to preempt them: yield now and then so the main goroutine runs.
                    while (!stop.get()) {
                        if (c.incrementAndGet() % 64 == 0) {
                            Go.gosched();
                        }
                        Go.poll();
                    }
                    done.send(true);
                });
            }
            Time.sleep(java.time.Duration.ofMillis(20));
            Scheduler s = Go.scheduler();
            for (int round = 0; round < 5; round++) {
                s.stopTheWorld("test");
                long sum0 = counters[0].get() + counters[1].get() + counters[2].get();
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < 20_000_000L) {
                    Thread.onSpinWait();
                }
                long sum1 = counters[0].get() + counters[1].get() + counters[2].get();
                if (sum1 != sum0) {
                    err.compareAndSet(null, "goroutines ran during stop-the-world: " + (sum1 - sum0) + " increments");
                }
                s.startTheWorld();
                long sum2 = sum1;
                long t1 = System.nanoTime();
                while (sum2 == sum1 && System.nanoTime() - t1 < 60_000_000_000L) {
                    Go.gosched();
                    sum2 = counters[0].get() + counters[1].get() + counters[2].get();
                }
                if (sum2 == sum1) {
                    err.compareAndSet(null, "goroutines did not resume after startTheWorld");
                }
            }
            stop.set(true);
            for (int i = 0; i < counters.length; i++) {
                done.recv();
            }
        });
        assertEquals(null, err.get());
    }
}
