package dev.gort.gc;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A cycle requested by a trigger but not started yet is dropped when, before it starts, its
 * trigger no longer holds: Go's gcStart re-tests {@code gcTrigger.test()} under its start lock
 * (a heap trigger holds while heapLive >= the trigger, which GOGC=off with no memory limit makes
 * infinite; a time trigger, sysmon's forced GC, does not hold with GOGC off). gc() is Go's
 * gcTriggerCycle and runs whatever GOGC is. Until session 29 gort started such a request once
 * after setGcPercent(-1) returned (review28). The coordinator is held off the start here as a
 * GOMAXPROCS change holds it ({@link CycleControl#holdStarts}), so the request stays pending while
 * the setting changes.
 */
class GogcOffDropsRequestTest extends ThreadCollectorFixture {
    /** Garbage a test allocates at most while it waits for the trigger's request (a hang guard). */
    private static final long MAX_GARBAGE = 512L << 20;
    private static final int CHUNK = 4096;

    /** Allocates noscan garbage on the calling mutator until a cycle start is pending; returns the bytes allocated. */
    private long allocateUntilRequested() {
        long bytes = 0;
        while (!gc.cycleStartPending()) {
            assertTrue(bytes < MAX_GARBAGE, "no cycle requested after " + (bytes >> 20) + " MiB of garbage (trigger "
                    + gc.pacer().trigger() + ", heapLive " + gc.gcs.heapLive() + ")");
            gc.allocBytes(CHUNK);
            bytes += CHUNK;
        }
        return bytes;
    }

    private CycleControl control() {
        return gc.coordinator.control;
    }

    private long requestsDropped() {
        CycleControl control = control();
        control.ctl.lock();
        try {
            return control.requestsDropped;
        } finally {
            control.ctl.unlock();
        }
    }

    @Test
    void aHeapTriggeredRequestDoesNotStartAfterGogcTurnedOff() {
        start();
        CycleControl control = control();
        control.holdStarts();
        boolean held = true;
        try {
            allocateUntilRequested();
            long before = gc.cycles();
            assertEquals(100, gc.setGcPercent(-1));
            control.releaseStartHold();
            held = false;
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);      // the coordinator took the request or it was dropped
            assertEquals(before, gc.cycles(), "a cycle the heap trigger requested before setGcPercent(-1) ran after it returned");
            assertFalse(gc.cycleStartPending(), "no start pending");
            assertEquals(0, gc.allocGate() & Collector.GATE_PENDING, "the allocation gate's pending flag went with the request");
            assertEquals(1, requestsDropped());
            // The mutator that owed the start allocates on without waiting for it, and with GOGC
            // off nothing requests another.
            for (int i = 0; i < 4096; i++) {
                gc.allocBytes(CHUNK);
            }
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before, gc.cycles(), "GOGC off: 16 MiB more garbage started no cycle");
            gc.gc();
            assertEquals(before + 1, gc.cycles(), "gc() runs with GOGC off (Go's gcTriggerCycle)");
        } finally {
            if (held) {
                control.releaseStartHold();
            }
        }
    }

    /**
     * The mutator that made the request waits for its start at its next allocation (the trigger's
     * hand-off, {@link CycleControl#takeStartOwed}); turning GOGC off releases it at once, the start
     * still held, and the fast path's gate is clear when setGcPercent returns.
     */
    @Test
    void theOwnerWaitingForTheDroppedStartIsReleased() throws Exception {
        start();
        CycleControl control = control();
        control.holdStarts();
        boolean held = true;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong cyclesAfter = new AtomicLong(-1);
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch allocated = new CountDownLatch(1);
        long startsOwed0 = control.startsOwed.get();
        Thread owner = Thread.ofPlatform().name("owner").start(() -> {
            world.register(1);
            try {
                allocateUntilRequested();
                requested.countDown();
                gc.allocBytes(CHUNK);           // owes the start: waits for it (counted as stopped)
                cyclesAfter.set(gc.cycles());
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                requested.countDown();
                allocated.countDown();
                world.unregister();
            }
        });
        try {
            assertTrue(requested.await(CycleWaits.HANG_GUARD_MS, TimeUnit.MILLISECONDS), "the owner's trigger request");
            assertNull(failure.get(), () -> "the owner failed: " + failure.get());
            // The state that must come: the owner took its owed start and waits in it.
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CycleWaits.HANG_GUARD_MS);
            while (control.startsOwed.get() == startsOwed0 || !waiting(owner)) {
                assertTrue(System.nanoTime() < deadline, "the owner never waited for its start: " + owner.getState());
                Thread.sleep(1);
            }
            long before = gc.cycles();
            gc.setGcPercent(-1);
            assertEquals(0, gc.allocGate() & Collector.GATE_PENDING, "the gate's pending flag is clear when setGcPercent(-1) returns");
            assertTrue(allocated.await(CycleWaits.HANG_GUARD_MS, TimeUnit.MILLISECONDS),
                    "the owner's allocation still waited for the dropped start (starts held)");
            assertNull(failure.get(), () -> "the owner failed: " + failure.get());
            assertEquals(before, cyclesAfter.get(), "the owner returned with no cycle run");
            control.releaseStartHold();
            held = false;
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before, gc.cycles(), "no cycle started once the hold ended");
        } finally {
            if (held) {
                control.releaseStartHold();
            }
            owner.join(CycleWaits.HANG_GUARD_MS);
        }
        assertFalse(owner.isAlive(), "the owner thread ended");
    }

    private static boolean waiting(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    /** A raised GOGC moves the trigger past heapLive: the request no longer holds (Go re-tests heapLive >= trigger). */
    @Test
    void aRaisedGogcDropsARequestTheHeapNoLongerWarrants() {
        start();
        CycleControl control = control();
        control.holdStarts();
        boolean held = true;
        try {
            allocateUntilRequested();
            long before = gc.cycles();
            assertEquals(100, gc.setGcPercent(1000));
            assertTrue(gc.gcs.heapLive() < gc.pacer().trigger(), "GOGC=1000 puts the trigger past the heap");
            control.releaseStartHold();
            held = false;
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before, gc.cycles(), "a request below the raised trigger started a cycle");
            assertFalse(gc.cycleStartPending());
            // The heap trigger still works: at the raised trigger it requests again, and that cycle runs.
            allocateUntilRequested();
            assertTrue(gc.gcs.heapLive() >= gc.pacer().trigger(), "requested again at the raised trigger");
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before + 1, gc.cycles(), "the request at the raised trigger ran");
        } finally {
            if (held) {
                control.releaseStartHold();
            }
        }
    }

    /** Sysmon's forced GC is Go's gcTriggerTime: with GOGC off it neither starts nor is accepted. */
    @Test
    void sysmonsForcedRequestDoesNotStartAfterGogcTurnedOff() {
        start();
        CycleControl control = control();
        control.holdStarts();
        boolean held = true;
        try {
            assertTrue(gc.requestCycle(true), "the forced request is accepted with GOGC=100");
            long before = gc.cycles();
            gc.setGcPercent(-1);
            control.releaseStartHold();
            held = false;
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before, gc.cycles(), "sysmon's forced cycle, requested before GOGC was turned off, ran after");
            assertFalse(gc.requestCycle(true), "with GOGC off a forced (time) request is refused, as Go's gcTriggerTime.test()");
            gc.setGcPercent(100);
            assertTrue(gc.requestCycle(true), "GOGC on again: accepted");
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before + 1, gc.cycles(), "and run");
        } finally {
            if (held) {
                control.releaseStartHold();
            }
        }
    }

    /**
     * With GOGC off and a memory limit, the heap trigger is the limit's: a request made past it
     * still holds when GOGC is set off again, and runs. Raising the limit away moves the trigger
     * past the heap, and a request made then is dropped.
     */
    @Test
    void theMemoryLimitsTriggerStillStartsACycleWithGogcOff() {
        long limit = 48L << 20;
        start(GcOptions.DEFAULT.withGcPercent(Pacer.OFF).withMemoryLimit(limit));
        CycleControl control = control();
        control.holdStarts();
        boolean held = true;
        try {
            allocateUntilRequested();
            long before = gc.cycles();
            assertEquals(Pacer.OFF, gc.setGcPercent(-1));
            assertTrue(gc.cycleStartPending(), "the limit's trigger still holds: the request stays");
            control.releaseStartHold();
            held = false;
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before + 1, gc.cycles(), "the cycle the memory limit asked for ran with GOGC off");

            control.holdStarts();
            held = true;
            allocateUntilRequested();
            long before2 = gc.cycles();
            assertEquals(limit, gc.setMemoryLimit(Pacer.INFINITE));
            assertFalse(gc.cycleStartPending(), "no limit, GOGC off: the trigger is gone and so is the request");
            control.releaseStartHold();
            held = false;
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertEquals(before2, gc.cycles(), "the request the limit no longer warrants did not run");
        } finally {
            if (held) {
                control.releaseStartHold();
            }
        }
    }
}
