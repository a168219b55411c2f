package dev.gort.sys;

import dev.gort.testing.FreshThread;
import dev.gort.testing.RealtimeTesting;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link TidBoost}'s rules, on real threads and the real kernel (skipped where SCHED_FIFO is
 * refused): what a raise records and a lower restores (policy and nice as they were, the registry
 * slot freed), a thread that ended (not alive, or a tid the kernel no longer knows: ESRCH), one
 * already real-time, a full registry, and bad arguments.
 */
@Timeout(120)
class TidBoostTest {

    /** A live platform thread that waits until released, after running {@code setup} on itself. */
    static final class Waiter implements AutoCloseable {
        final CountDownLatch up = new CountDownLatch(1), release = new CountDownLatch(1);
        final AtomicInteger tid = new AtomicInteger();
        final Thread thread;

        Waiter(String name, Runnable setup) throws InterruptedException {
            thread = Thread.ofPlatform().daemon().name(name).start(() -> {
                tid.set((int) CpuAffinity.threadId());
                setup.run();
                up.countDown();
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    // ends
                }
            });
            up.await();
        }

        int tid() {
            return tid.get();
        }

        @Override
        public void close() throws InterruptedException {
            release.countDown();
            thread.join();
        }
    }

    @Test
    void aRaisedThreadIsRecordedAndLoweredBackToItsOwnPolicyAndNice() throws Exception {
        FreshThread.run(() -> {
            RealtimeTesting.boostOrSkip(5);
            TidBoost boost = new TidBoost(5);
            TidBoost.Target target = TidBoost.newTarget();
            int before = RealtimeBoost.raisedCount();
            try (Waiter w = new Waiter("tidboost-nice", () -> LibC.setpriority(0, 0, 3))) {
                assertEquals(new ThreadPriority.Setting(ThreadPriority.SCHED_OTHER, 3), ThreadPriority.of(w.tid()));
                assertEquals(TidBoost.Outcome.RAISED, boost.raise(target, w.thread, w.tid()));
                assertTrue(target.raised());
                assertSame(w.thread, target.thread());
                assertTrue(target.registrySlot() >= 0);
                assertEquals(before + 1, RealtimeBoost.raisedCount(), "recorded raised");
                assertEquals(RealtimeBoost.SCHED_FIFO, ThreadPriority.of(w.tid()).policy());
                assertThrows(IllegalStateException.class, () -> boost.raise(target, w.thread, w.tid()), "a target in use is refused");
                target.lower();
                assertFalse(target.raised());
                assertEquals(-1, target.registrySlot());
                assertEquals(before, RealtimeBoost.raisedCount(), "its slot freed");
                assertEquals(new ThreadPriority.Setting(ThreadPriority.SCHED_OTHER, 3), ThreadPriority.of(w.tid()), "policy and nice as they were");
                target.lower();         // nothing raised: nothing done
            }
        });
    }

    /**
     * A thread that has exited is ENDED, not a refusal: not alive (never switched by a tid that
     * may be another thread's), or exited after that look (a live Thread object named by an exited
     * thread's tid stands in: the kernel answers ESRCH). Nothing is recorded either way.
     */
    @Test
    void aThreadThatExitedIsEndedAndNothingIsRecorded() throws Exception {
        Assumptions.assumeTrue(Platform.current().isLinux(), "tids are Linux's");
        int exitedTid = RealtimeTesting.exitedThreadsTid();
        TidBoost boost = new TidBoost(5);
        TidBoost.Target target = TidBoost.newTarget();
        int before = RealtimeBoost.raisedCount();
        Thread ended = Thread.ofPlatform().start(() -> { });
        ended.join();
        assertEquals(TidBoost.Outcome.ENDED, boost.raise(target, ended, exitedTid));
        assertEquals(TidBoost.Outcome.ENDED, boost.raise(target, Thread.currentThread(), exitedTid), "ESRCH from the kernel");
        assertFalse(target.raised());
        assertEquals(before, RealtimeBoost.raisedCount(), "nothing recorded");
    }

    /**
     * A target raised for a thread that ends before the lower does not switch its tid back (the
     * kernel may have given it to another thread). Here the raise names a live bystander's tid for
     * a thread that then ends: the lower leaves the bystander at SCHED_FIFO, and frees the slot.
     */
    @Test
    void anEndedThreadsTidIsNotTouchedAtTheLower() throws Exception {
        FreshThread.run(() -> {
            RealtimeTesting.boostOrSkip(5);
            TidBoost boost = new TidBoost(5);
            TidBoost.Target target = TidBoost.newTarget();
            try (Waiter bystander = new Waiter("tidboost-bystander", () -> { })) {
                CountDownLatch end = new CountDownLatch(1);
                Thread ending = Thread.ofPlatform().start(() -> {
                    try {
                        end.await();
                    } catch (InterruptedException ignored) {
                        // ends
                    }
                });
                assertEquals(TidBoost.Outcome.RAISED, boost.raise(target, ending, bystander.tid()));
                end.countDown();
                ending.join();
                target.lower();
                assertFalse(target.raised());
                assertEquals(RealtimeBoost.SCHED_FIFO, ThreadPriority.of(bystander.tid()).policy(), "the tid's thread was not touched");
                assertEquals(TidBoost.Outcome.ALREADY_REALTIME, boost.raise(target, bystander.thread, bystander.tid()));
                MemorySegment normal = Arena.ofAuto().allocate(SchedAttr.LAYOUT);
                NativeMemory.putInt(normal.address() + SchedAttr.SIZE, (int) SchedAttr.LAYOUT.byteSize());
                LibC.sched_setattr(bystander.tid(), normal.address(), 0);      // the test's own clean-up
                assertEquals(ThreadPriority.SCHED_OTHER, ThreadPriority.of(bystander.tid()).policy());
            }
        });
    }

    /** SCHED_FIFO and SCHED_RR threads (their owner's choice) are left alone and never "put back". */
    @Test
    void aThreadAlreadyRealtimeIsLeftAlone() throws Exception {
        FreshThread.run(() -> {
            RealtimeTesting.boostOrSkip(5);
            TidBoost boost = new TidBoost(5);
            TidBoost.Target target = TidBoost.newTarget();
            for (int policy : new int[] {RealtimeBoost.SCHED_FIFO, 2 /* SCHED_RR */}) {
                try (Waiter w = new Waiter("tidboost-rt-" + policy, () -> setOwnPolicy(policy, 2))) {
                    assertEquals(policy, ThreadPriority.of(w.tid()).policy());
                    int before = RealtimeBoost.raisedCount();
                    assertEquals(TidBoost.Outcome.ALREADY_REALTIME, boost.raise(target, w.thread, w.tid()));
                    assertFalse(target.raised());
                    assertEquals(before, RealtimeBoost.raisedCount());
                    target.lower();
                    assertEquals(policy, ThreadPriority.of(w.tid()).policy(), "kept its own real-time policy");
                }
            }
        });
    }

    /** A full registry: REGISTRY_FULL, the thread left as it was (unrecorded, its waits would yield at SCHED_FIFO). */
    @Test
    void aFullRegistryLeavesTheThreadAsItWas() throws Exception {
        FreshThread.run(() -> {
            RealtimeTesting.boostOrSkip(5);
            TidBoost boost = new TidBoost(5);
            TidBoost.Target target = TidBoost.newTarget();
            java.util.List<Waiter> holders = new java.util.ArrayList<>();
            java.util.List<Integer> slots = new java.util.ArrayList<>();
            try (Waiter w = new Waiter("tidboost-full", () -> { })) {
                while (true) {
                    Waiter h = new Waiter("registry-holder", () -> { });
                    holders.add(h);
                    int slot = RealtimeBoost.markRaised(h.thread);
                    if (slot < 0) {
                        break;
                    }
                    slots.add(slot);
                }
                assertEquals(TidBoost.Outcome.REGISTRY_FULL, boost.raise(target, w.thread, w.tid()));
                assertFalse(target.raised());
                assertEquals(ThreadPriority.SCHED_OTHER, ThreadPriority.of(w.tid()).policy(), "not switched");
            } finally {
                for (int i = 0; i < slots.size(); i++) {
                    RealtimeBoost.unmarkRaised(slots.get(i), holders.get(i).thread);
                }
                for (Waiter h : holders) {
                    h.close();
                }
            }
        });
    }

    @Test
    void badArgumentsAreRefusedNamingWhatIsAccepted() {
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> new TidBoost(0));
        assertTrue(p.getMessage().contains("accepted 1..99"), p.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TidBoost(100));
        TidBoost boost = new TidBoost(5);
        TidBoost.Target target = TidBoost.newTarget();
        IllegalArgumentException z = assertThrows(IllegalArgumentException.class, () -> boost.raise(target, Thread.currentThread(), 0));
        assertTrue(z.getMessage().contains("tid 0 names the caller"), z.getMessage());
        assertThrows(IllegalArgumentException.class, () -> boost.raise(target, null, 5));
        TidBoost.Target[] targets = TidBoost.newTargets(3);
        assertEquals(3, targets.length);
        assertNotEquals(targets[0].savedAttrAddress(), targets[1].savedAttrAddress());
    }

    /** The calling thread to {@code policy} (a real-time one) at {@code priority}. */
    static void setOwnPolicy(int policy, int priority) {
        MemorySegment attr = Arena.ofAuto().allocate(SchedAttr.LAYOUT);
        NativeMemory.putInt(attr.address() + SchedAttr.SIZE, (int) SchedAttr.LAYOUT.byteSize());
        NativeMemory.putInt(attr.address() + SchedAttr.SCHED_POLICY, policy);
        NativeMemory.putLong(attr.address() + SchedAttr.SCHED_FLAGS, RealtimeBoost.SCHED_FLAG_RESET_ON_FORK);
        NativeMemory.putInt(attr.address() + SchedAttr.SCHED_PRIORITY, priority);
        LibC.sched_setattr(0, attr.address(), 0);
    }
}
