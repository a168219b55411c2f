package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.CpuAffinity;
import dev.gort.sys.PosixOsMemory;
import dev.gort.sys.RealtimeBoost;
import dev.gort.sys.ThreadPriority;
import dev.gort.testing.FreshThread;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real-time stop's priority inversion and its cure (WorldLock): a normal collector thread
 * holds the world's lock and needs 3 ms of CPU to finish, a SCHED_FIFO hog shares its (pinned)
 * CPU, and the real-time coordinator asks for a stop. With inheritance the owner runs at the
 * coordinator's priority until it releases, and the stop is over in milliseconds, the pause
 * trace naming the owner; without it the owner waits for the hog (here its 300 ms limit).
 * Skipped where the kernel refuses SCHED_FIFO.
 *
 * <p>The owner holds the lock after its 3 ms until the stopper waits for it (and, with
 * inheritance, has boosted it), then reads its own scheduling policy: so the boost is asserted
 * as a state the owner saw while it held the lock, not as the stop's duration (flake34: the
 * earlier "under 100 ms" bound failed at 134.7 ms on a loaded machine).
 */
class WorldLockInheritanceTest {
    static final long OWNER_CPU_NANOS = 3_000_000;

    @Test
    void aRealtimeStopperBoostsTheNormalOwnerOfTheWorldsLockUntilItIsReleased() throws Exception {
        Outcome o = stopBehindHeldLock(true);
        String seen = " (inheritances " + o.inheritances + ", owner's policy at release " + o.ownerPolicyAtRelease
                + ", hog still spinning at release " + o.hogSpinningAtRelease + ", stop took " + o.stopNanos / 1e6 + " ms)";
        assertTrue(o.inheritances >= 1, "the owner was boosted" + seen);
        // The owner's own look while it held the lock: the kernel ran it at the stopper's policy.
        assertEquals(RealtimeBoost.SCHED_FIFO, o.ownerPolicyAtRelease, "the owner ran at SCHED_FIFO while it held the lock" + seen);
        // The boosted owner is in the raised-thread registry (its own SpinLock/RtLock waits park),
        // read after its policy: the mark comes before the switch, the unmark after the lock passed.
        assertTrue(o.ownerRaisedAtRelease, "the owner ran at SCHED_FIFO but the registry did not know it raised" + seen);
        assertEquals(ThreadPriority.SCHED_OTHER, o.ownerPolicyAfter, "the owner is put back once it released the lock" + seen);
        assertFalse(o.ownerRaisedAfter, "the owner's registry mark ends when it is put back");
        assertTrue(o.trace.contains("world's lock: pi-stopper waited") && o.trace.contains("behind pi-owner (tid ")
                && o.trace.contains("boosted)") && !o.trace.contains("not boosted"), o.trace);
    }

    /**
     * The control: the same setup without inheritance leaves the owner at its normal policy while
     * the real-time stopper waits for it (the hazard the class cures). Asserted as the state the
     * owner saw while it held the lock, not as the stop's length: that was "at least 100 ms", which
     * the kernel's fair server (Linux 6.12+) decides, running the starved owner early in its period
     * (132 ms seen once while other JVMs ran real-time hogs; flake35).
     */
    @Test
    void withoutInheritanceTheSameStopWaitsForTheHog() throws Exception {
        Outcome o = stopBehindHeldLock(false);
        String seen = " (inheritances " + o.inheritances + ", owner's policy at release " + o.ownerPolicyAtRelease
                + ", hog still spinning at release " + o.hogSpinningAtRelease + ", stop took " + o.stopNanos / 1e6 + " ms)";
        assertEquals(0, o.inheritances, "no boost without inheritance" + seen);
        // The owner's own look while it held the lock and the stopper waited for it: still normal.
        assertEquals(ThreadPriority.SCHED_OTHER, o.ownerPolicyAtRelease, "the owner ran at its normal policy while it held the lock" + seen);
        assertFalse(o.ownerRaisedAtRelease, "the registry did not mark the owner raised" + seen);
        assertTrue(o.trace.contains("behind pi-owner") && o.trace.contains("not boosted)"), o.trace);
    }

    record Outcome(long stopNanos, long inheritances, int ownerPolicyAfter, String trace, boolean heldAtStop,
                   int ownerPolicyAtRelease, boolean ownerRaisedAtRelease, boolean ownerRaisedAfter, boolean hogSpinningAtRelease) {
    }

    /**
     * The setup until the owner still held the lock when the stop began (at most 5 tries): the
     * kernel's fair server may give the starved owner its 3 ms within the stopper's 10 ms sleep
     * (session 13, a plain run at load ~25: the lock was free at the stop), and then the stop
     * shows nothing about inheritance either way.
     */
    private static Outcome stopBehindHeldLock(boolean inherit) throws Exception {
        for (int attempt = 1; ; attempt++) {
            Outcome o = stopBehindStarvedOwner(inherit);
            if (o.heldAtStop() || attempt == 5) {
                assertTrue(o.heldAtStop(), "precondition: the starved owner still held the world's lock when the stop began, in none of "
                        + attempt + " tries");
                return o;
            }
        }
    }

    private static Outcome stopBehindStarvedOwner(boolean inherit) throws Exception {
        AtomicReference<Outcome> out = new AtomicReference<>();
        FreshThread.run(() -> {
            Thread.currentThread().setName("pi-stopper");
            RealtimeBoost stopperBoost = PinnedStarvation.boostOrSkip(PinnedStarvation.WAITER_PRIORITY);
            int cpu = PinnedStarvation.cpu();
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            try {
                ThreadWorld world = new ThreadWorld(heap, new WorkbufPool(), 2);
                world.inheritForRealtimeStopper(Thread.currentThread(), PinnedStarvation.WAITER_PRIORITY);
                if (!inherit) {
                    world.lockForTest().inheritAt(0);
                }
                CountDownLatch holding = new CountDownLatch(1), hogUp = new CountDownLatch(1), stopped = new CountDownLatch(1);
                int[] ownerPolicyAfter = {-1};
                int[] ownerPolicyAtRelease = {-1};
                boolean[] ownerRaised = new boolean[2];     // at release, after it was put back
                boolean[] hogSpinningAtRelease = new boolean[1];
                AtomicReference<PinnedStarvation.Hog> hogRef = new AtomicReference<>();
                AtomicReference<Throwable> ownerFailure = new AtomicReference<>();
                Thread stopper = Thread.currentThread();
                Thread owner = Thread.ofPlatform().daemon().name("pi-owner").start(() -> {
                    try {
                        CpuAffinity.pin(cpu);
                        world.knowLockHolder(Thread.currentThread(), (int) CpuAffinity.threadId());   // as a collector thread does
                        world.lockForTest().lock();
                        try {
                            holding.countDown();
                            hogUp.await(5, java.util.concurrent.TimeUnit.SECONDS);   // woken with the hog spinning on its CPU: runnable, starved
                            PinnedStarvation.burnCpu(OWNER_CPU_NANOS);
                            // Still holding the lock: until the real-time stopper waits for it and
                            // has parked in its polling wait (it decides on the boost before its
                            // first park), and, with inheritance, has boosted this thread (counted
                            // after the switch), so the policy read below is the state the stop's
                            // wait left it in: in the control, a boost made wrongly has been made.
                            long guard = System.nanoTime() + 60_000_000_000L;
                            while ((!world.lockForTest().hasRealtimeWaiter() || stopper.getState() != Thread.State.TIMED_WAITING
                                    || (inherit && world.lockForTest().inheritances() == 0))
                                    && System.nanoTime() - guard < 0) {
                                Thread.onSpinWait();
                            }
                            PinnedStarvation.Hog h = hogRef.get();
                            hogSpinningAtRelease[0] = h != null && !h.ended;
                            ownerPolicyAtRelease[0] = ThreadPriority.current().policy();
                            ownerRaised[0] = RealtimeBoost.currentThreadRaised();
                        } finally {
                            world.lockForTest().unlock();
                        }
                        stopped.await();                   // the stopper has the lock: it put this thread back
                        ownerPolicyAfter[0] = ThreadPriority.current().policy();
                        ownerRaised[1] = RealtimeBoost.currentThreadRaised();
                    } catch (Throwable e) {
                        ownerFailure.set(e);
                        holding.countDown();
                    }
                });
                holding.await();
                // Real-time before the hog starts: a normal stopper waiting for a CPU on a loaded
                // machine could come to its stop after the hog's 300 ms limit, with the owner done
                // and the lock free (session 13: a 0.04 ms stop at autogroup nice 19, load ~30).
                stopperBoost.raise();
                long stopNanos;
                boolean heldAtStop;
                PinnedStarvation.Hog hog = null;
                try {
                    hog = PinnedStarvation.startHog(cpu);
                    hogRef.set(hog);
                    hogUp.countDown();
                    Thread.sleep(10);
                    heldAtStop = world.lockForTest().isLocked();
                    long t0 = System.nanoTime();
                    world.stopTheWorld("test");
                    stopNanos = System.nanoTime() - t0;
                    stopped.countDown();
                    world.startTheWorld();
                } finally {
                    stopperBoost.lower();
                    hogUp.countDown();
                    stopped.countDown();
                    if (hog != null) {
                        hog.stopAndJoin();
                    }
                    owner.join();
                }
                if (ownerFailure.get() != null) {
                    throw new AssertionError("owner", ownerFailure.get());
                }
                out.set(new Outcome(stopNanos, world.lockForTest().inheritances(), ownerPolicyAfter[0], world.describeLastStop(), heldAtStop,
                        ownerPolicyAtRelease[0], ownerRaised[0], ownerRaised[1], hogSpinningAtRelease[0]));
            } finally {
                heap.close();
            }
        });
        return out.get();
    }
}
