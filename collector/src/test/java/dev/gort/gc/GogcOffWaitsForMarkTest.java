package dev.gort.gc;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Go's debug.SetGCPercent(-1): "If we just disabled GC, wait for any concurrent GC mark to finish
 * so we always return with no GC running" (gcWaitOnMark). A mutator turns GOGC off while a cycle
 * is held in its mark at a breakpoint: the call returns only after that cycle ended. Until
 * session 28 it returned at once, the mark still running.
 */
class GogcOffWaitsForMarkTest extends ThreadCollectorFixture {
    @Test
    void turningGogcOffDuringAMarkReturnsAfterTheMarkEnded() throws Exception {
        ForcedMode.assumeConcurrentMark("stops at the AFTER_MARK_START breakpoint");
        start();
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, CycleWaits.HANG_GUARD_MS);
        long cyclesBefore = gc.cycles();
        AtomicLong cyclesAtReturn = new AtomicLong(-1);
        AtomicReference<Boolean> markingAtReturn = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch returned = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().name("gogc-off").start(() -> {
            world.register(1);          // a mutator: it counts as stopped while it waits
            try {
                assertEquals(100, gc.setGcPercent(-1));
                cyclesAtReturn.set(gc.cycles());
                markingAtReturn.set(gc.pacer().marking());
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                world.unregister();
                returned.countDown();
            }
        });
        // Not a timing bound: on the old code the call returned at once, and a slow start of the
        // thread only makes this wait pass on it too, never fail on the new one.
        assertFalse(returned.await(300, TimeUnit.MILLISECONDS), "setGcPercent(-1) returned while the mark was held");
        gc.resume();
        gc.awaitIdle(CycleWaits.HANG_GUARD_MS);    // this thread is a mutator too: it waits counted as stopped
        assertTrue(returned.await(CycleWaits.HANG_GUARD_MS, TimeUnit.MILLISECONDS), "setGcPercent(-1) never returned");
        t.join(CycleWaits.HANG_GUARD_MS);
        assertNull(failure.get(), () -> "the caller failed: " + failure.get());
        assertEquals(cyclesBefore + 1, cyclesAtReturn.get(), "it returned once the running cycle had ended");
        assertEquals(Boolean.FALSE, markingAtReturn.get(), "with no mark running");
        assertEquals(Pacer.OFF, gc.pacer().gcPercent());
        assertEquals(Pacer.INFINITE, gc.pacer().heapGoal(), "GOGC is off: no goal");
        assertEquals(Pacer.OFF, gc.setGcPercent(100), "the old value of an off collector is -1, as Go's");
    }

    /** With no cycle running it returns at once; any negative value is off (Go's setGCPercent). */
    @Test
    void anyNegativeValueTurnsItOffAndNoCycleMeansNoWait() {
        start();
        long before = gc.cycles();
        assertEquals(100, gc.setGcPercent(-50));
        assertEquals(Pacer.OFF, gc.pacer().gcPercent());
        assertEquals(before, gc.cycles(), "no cycle was started or waited for");
        gc.gc();                                    // a forced cycle still runs at GOGC=off
        assertEquals(before + 1, gc.cycles());
        assertEquals(Pacer.OFF, gc.setGcPercent(Integer.MIN_VALUE));
    }
}
