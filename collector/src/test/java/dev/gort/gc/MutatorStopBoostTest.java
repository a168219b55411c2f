package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.CpuAffinity;
import dev.gort.sys.Platform;
import dev.gort.sys.PosixOsMemory;
import dev.gort.sys.RealtimeBoost;
import dev.gort.sys.ThreadPriority;
import dev.gort.testing.FreshThread;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The late-mutator boost's loose ends: the buffer for a mutator's own attributes is made when it
 * registers (a stop's boost takes no memory), unregister forgets its tid, and a mutator whose
 * thread ended while registered is never switched by tid (the kernel may have given that tid to an
 * unrelated thread: here a live bystander's tid stands in for the reused one).
 */
class MutatorStopBoostTest {

    @Test
    void registerMakesTheSavedAttributesBufferAndUnregisterForgetsTheTid() throws Exception {
        Assumptions.assumeTrue(Platform.current().isLinux(), "the boost names threads by Linux tid");
        Heap heap = newHeap();
        try {
            ThreadWorld world = new ThreadWorld(heap, new WorkbufPool(), 2);
            FreshThread.run(() -> {
                Mutator m = world.register(4);
                assertNotNull(m.rtTarget, "made at register, before any stop");
                assertEquals((int) CpuAffinity.threadId(), world.lockForTest().tidForTest(Thread.currentThread()));
                world.unregister();
                assertEquals(0, world.lockForTest().tidForTest(Thread.currentThread()), "forgotten at unregister");
            });
        } finally {
            heap.close();
        }
    }

    @Test
    void aBoostUsesTheBufferMadeAtRegisterAndPutsTheThreadBack() throws Exception {
        Heap heap = newHeap();
        try {
            ThreadWorld world = new ThreadWorld(heap, new WorkbufPool(), 2);
            try (RegisteredThread mutator = new RegisteredThread(world, "boosted-mutator")) {
                FreshThread.run(() -> {
                    PinnedStarvation.boostOrSkip(3);        // skips where SCHED_FIFO is refused
                    MutatorStopBoost boost = new MutatorStopBoost(3);
                    Mutator m = mutator.get();
                    int tid = (int) m.tid;
                    var target = m.rtTarget;
                    for (int round = 0; round < 3; round++) {
                        assertTrue(boost.raise(m));
                        assertTrue(m.rtBoosted);
                        assertEquals(RealtimeBoost.SCHED_FIFO, ThreadPriority.of(tid).policy(), "boosted");
                        assertTrue(m.rtTarget.registrySlot() >= 0, "recorded raised, so its SpinLock waits park instead of yielding");
                        int raised = RealtimeBoost.raisedCount();
                        MutatorStopBoost.lower(m);
                        assertEquals(-1, m.rtTarget.registrySlot());
                        assertEquals(raised - 1, RealtimeBoost.raisedCount(), "its registry slot ended with the boost");
                    }
                    assertSame(target, m.rtTarget, "the target made at register");
                    assertEquals(3, boost.boosts());
                    assertEquals(ThreadPriority.SCHED_OTHER, ThreadPriority.of(tid).policy(), "put back");
                });
            }
        } finally {
            heap.close();
        }
    }

    @Test
    void aMutatorWhoseThreadEndedIsNeverSwitchedByItsOldTid() throws Exception {
        Heap heap = newHeap();
        try {
            ThreadWorld world = new ThreadWorld(heap, new WorkbufPool(), 2);
            AtomicReference<Mutator> dead = new AtomicReference<>();
            Thread ended = Thread.ofPlatform().name("ended-registered").start(() -> dead.set(world.register(4)));   // never unregisters
            ended.join();
            CountDownLatch bystanderUp = new CountDownLatch(1), done = new CountDownLatch(1);
            int[] bystanderTid = {0};
            Thread bystander = Thread.ofPlatform().name("bystander").start(() -> {
                bystanderTid[0] = (int) CpuAffinity.threadId();
                bystanderUp.countDown();
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            bystanderUp.await();
            try {
                FreshThread.run(() -> {
                    PinnedStarvation.boostOrSkip(3);
                    MutatorStopBoost boost = new MutatorStopBoost(3);
                    Mutator m = dead.get();
                    m.tid = bystanderTid[0];            // the kernel gave the ended thread's tid to another thread
                    assertTrue(boost.raise(m), "not a refusal: the boost goes on for the others");
                    assertFalse(m.rtBoosted);
                    assertEquals(0, boost.boosts());
                    assertEquals(ThreadPriority.SCHED_OTHER, ThreadPriority.of(bystanderTid[0]).policy(), "the bystander was not boosted");
                    // A target raised before its thread ended is not "put back" by tid either: TidBoostTest.
                });
            } finally {
                done.countDown();
                bystander.join();
            }
        } finally {
            heap.close();
        }
    }

    /**
     * With the raised-thread registry full (16 live threads recorded), a late mutator is not
     * boosted: unrecorded, its SpinLock waits would yield at SCHED_FIFO (TidBoost's rule, as for
     * the late Ms and the world lock's owner). Session 25 boosted it unrecorded, the one exception.
     */
    @Test
    void aFullRegistryLeavesALateMutatorUnboosted() throws Exception {
        Heap heap = newHeap();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.List<Thread> holders = new java.util.ArrayList<>();
        java.util.List<Integer> slots = new java.util.ArrayList<>();
        try {
            ThreadWorld world = new ThreadWorld(heap, new WorkbufPool(), 2);
            try (RegisteredThread mutator = new RegisteredThread(world, "late-mutator")) {
                FreshThread.run(() -> {
                    PinnedStarvation.boostOrSkip(3);        // skips where SCHED_FIFO is refused
                    MutatorStopBoost boost = new MutatorStopBoost(3);
                    Mutator m = mutator.get();
                    int slot;
                    do {
                        Thread h = Thread.ofPlatform().daemon().name("registry-holder").start(() -> {
                            try {
                                release.await();
                            } catch (InterruptedException ignored) {
                                // ends
                            }
                        });
                        holders.add(h);
                        slot = RealtimeBoost.markRaised(h);
                        if (slot >= 0) {
                            slots.add(slot);
                        }
                    } while (slot >= 0 && slots.size() <= RealtimeBoost.RAISED_SLOTS);
                    assertTrue(boost.raise(m), "not a refusal: the stop goes on boosting the others");
                    try {
                        assertFalse(m.rtBoosted, "not boosted: the registry could not record it");
                        assertEquals(0, boost.boosts());
                        assertEquals(ThreadPriority.SCHED_OTHER, ThreadPriority.of((int) m.tid).policy(), "left normal");
                    } finally {
                        if (m.rtBoosted) {
                            MutatorStopBoost.lower(m);      // (the old code's unrecorded boost) put back
                        }
                    }
                });
            }
        } finally {
            for (int i = 0; i < slots.size(); i++) {
                RealtimeBoost.unmarkRaised(slots.get(i), holders.get(i));
            }
            release.countDown();
            for (Thread h : holders) {
                h.join();
            }
            heap.close();
        }
    }

    /** A thread registered with {@code world} until closed (then it unregisters and ends). */
    static final class RegisteredThread implements AutoCloseable {
        private final CountDownLatch registered = new CountDownLatch(1), done = new CountDownLatch(1);
        private final AtomicReference<Mutator> mutator = new AtomicReference<>();
        private final Thread thread;

        RegisteredThread(ThreadWorld world, String name) throws InterruptedException {
            thread = Thread.ofPlatform().name(name).start(() -> {
                mutator.set(world.register(4));
                registered.countDown();
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                world.unregister();
            });
            registered.await();
        }

        Mutator get() {
            return mutator.get();
        }

        @Override
        public void close() throws InterruptedException {
            done.countDown();
            thread.join();
        }
    }

    private static Heap newHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
    }
}
