package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The refill's stop hook ({@code GcSupport.stopWaits}, installed by the Collector) is world-wide, so
 * it must not say "give up" for a ragged round: a mutator that had already answered the round would
 * give up its reclaim walk for a safepoint with nothing to do, retry without yielding ("at most
 * once"), and the stop that follows the round at mark completion would wait for the whole walk
 * (found in review of session 20's branch nopoll, whose hook was {@code preemptRequested}; the hook
 * now answers only for a stop-the-world).
 */
class YieldHookAnsweredRoundTest extends ThreadWorldFixture {

    @Test
    void theHookIsFalseForAMutatorThatHasAnsweredTheRound() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(Pacer.OFF), 2);
        world = gc.threadWorld();
        CountDownLatch registered = new CountDownLatch(2);
        CountDownLatch answerNow = new CountDownLatch(1);
        CountDownLatch answered = new CountDownLatch(1);
        AtomicBoolean releaseB = new AtomicBoolean();
        AtomicReference<Boolean> hookAfterAnswer = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread a = new Thread(() -> {
            world.register(1);
            try {
                registered.countDown();
                answerNow.await(60, TimeUnit.SECONDS);
                world.poll();                                           // answers the round
                hookAfterAnswer.set(heap.gc().stopHook().getAsBoolean());  // what a refill here would ask
                answered.countDown();
                while (!releaseB.get()) {
                    Thread.onSpinWait();
                }
            } catch (Throwable t) {
                failure.set(t);
                answered.countDown();
            } finally {
                world.unregister();
            }
        }, "answered-mutator");
        Thread b = new Thread(() -> {
            world.register(1);
            try {
                registered.countDown();
                while (!releaseB.get()) {
                    Thread.onSpinWait();                                // a long step with no safepoint
                }
                world.poll();
            } finally {
                world.unregister();
            }
        }, "late-mutator");
        a.start();
        b.start();
        assertTrue(registered.await(60, TimeUnit.SECONDS));
        Thread round = new Thread(() -> world.forEachMutatorAtSafepoint(m -> { }), "round");
        round.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!world.preemptRequested() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(world.preemptRequested(), "the round started");
        answerNow.countDown();
        assertTrue(answered.await(60, TimeUnit.SECONDS));
        releaseB.set(true);
        round.join(60_000);
        a.join(60_000);
        b.join(60_000);
        assertNull(failure.get());
        assertEquals(Boolean.FALSE, hookAfterAnswer.get(),
                "the stop hook told a mutator that had already answered the ragged round to give up its refill");
    }
}
