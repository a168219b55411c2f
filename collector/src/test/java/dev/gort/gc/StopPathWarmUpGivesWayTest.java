package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The goroutine world's stop path warm-up (the coordinator's stop and start pairs between its
 * first cycles) ends at once when a cycle is asked for, whoever asks: the heap trigger and sysmon
 * set startPending, but gc() (runtime.GC) and runTo set only cycleRequested, and a warm-up that
 * looked at startPending alone made a gc() call wait for the rest of its 200-pair chunk (up to its
 * 0.5 s budget on a loaded machine). The coordinator is held off the requested cycle here as a
 * GOMAXPROCS change holds it, so the request stays pending while the test looks.
 */
class StopPathWarmUpGivesWayTest extends ThreadWorldFixture {

    @Test
    void aCycleAskedForByGcEndsTheWarmUp() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        Coordinator co = gc.coordinator;
        CycleControl control = co.control;
        assertTrue(co.stopPathWarmUpMayGoOn(), "no cycle asked for: the warm-up may go on");
        control.holdStarts();               // no cycle starts while held
        Thread caller = Thread.ofPlatform().name("gc-caller").start(gc::gc);
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!requested(control) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(requested(control), "gc() asked for a cycle within 60 s");
            assertFalse(co.stopPathWarmUpMayGoOn(), "a cycle asked for by gc() (startPending " + gc.startPending
                    + ") ends the warm-up before its next pair");
        } finally {
            control.releaseStartHold();
            caller.join(60_000);
        }
        assertFalse(caller.isAlive(), "gc() returned once the cycle could start");
        assertTrue(co.stopPathWarmUpMayGoOn(), "the cycle done, nothing asked for: the warm-up may go on again");
    }

    private static boolean requested(CycleControl control) {
        control.ctl.lock();
        try {
            return control.cycleRequested;
        } finally {
            control.ctl.unlock();
        }
    }
}
