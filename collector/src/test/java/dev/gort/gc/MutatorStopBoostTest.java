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
                assertNotNull(m.savedSchedAttr, "made at register, before any stop");
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
            CountDownLatch registered = new CountDownLatch(1), done = new CountDownLatch(1);
            AtomicReference<Mutator> mutator = new AtomicReference<>();
            Thread t = Thread.ofPlatform().name("boosted-mutator").start(() -> {
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
            try {
                FreshThread.run(() -> {
                    PinnedStarvation.boostOrSkip(3);        // skips where SCHED_FIFO is refused
                    MutatorStopBoost boost = new MutatorStopBoost(3);
                    Mutator m = mutator.get();
                    int tid = (int) m.tid;
                    var segment = m.savedSchedAttr;
                    for (int round = 0; round < 3; round++) {
                        assertTrue(boost.raise(m));
                        assertTrue(m.rtBoosted);
                        assertEquals(RealtimeBoost.SCHED_FIFO, ThreadPriority.of(tid).policy(), "boosted");
                        assertTrue(m.rtRaisedSlot >= 0, "recorded raised, so its SpinLock waits park instead of yielding");
                        int raised = RealtimeBoost.raisedCount();
                        MutatorStopBoost.lower(m);
                        assertEquals(-1, m.rtRaisedSlot);
                        assertEquals(raised - 1, RealtimeBoost.raisedCount(), "its registry slot ended with the boost");
                    }
                    assertSame(segment, m.savedSchedAttr, "the buffer made at register");
                    assertEquals(3, boost.boosts());
                    assertEquals(ThreadPriority.SCHED_OTHER, ThreadPriority.of(tid).policy(), "put back");
                });
            } finally {
                done.countDown();
                t.join();
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
                    // A mutator boosted before its thread ended is not "put back" either: the tid's new owner keeps its own attributes.
                    RealtimeBoost fifo = RealtimeBoost.forCurrentThread(3);
                    fifo.raise();
                    dev.gort.sys.LibC.sched_getattr(0, m.savedSchedAttr.address(), (int) dev.gort.sys.SchedAttr.LAYOUT.byteSize(), 0);
                    fifo.lower();
                    m.rtBoosted = true;
                    MutatorStopBoost.lower(m);
                    assertFalse(m.rtBoosted);
                    assertEquals(ThreadPriority.SCHED_OTHER, ThreadPriority.of(bystanderTid[0]).policy(), "the bystander kept its policy");
                });
            } finally {
                done.countDown();
                bystander.join();
            }
        } finally {
            heap.close();
        }
    }

    private static Heap newHeap() {
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
    }
}
