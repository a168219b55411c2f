package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.stress.GraphModel;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two mutator threads mutate reference-model graphs (TESTING.md G1, gccheckmark on) past the
 * trigger of GOGC=10 while another thread turns GOGC off and on again as fast as the calls return:
 * requests are made, dropped (their trigger gone before the start) and started in every order.
 * Every mutator must finish (no allocation left waiting for a start that was dropped, no
 * setGcPercent(-1) left waiting for a cycle), the heap must hold exactly what the models reach,
 * and once GOGC is off for good no start may stay pending. Seeds are printed;
 * -Dgort.stress.seed=... replays, -Dgort.stress.millis=... runs longer.
 */
class GogcFlipStressTest {
    @Test
    void flippingGogcWhileMutatorsAllocateLeavesNoWaiterAndAnIntactHeap() throws Exception {
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        long millis = Long.getLong("gort.stress.millis", 4_000);
        System.out.println("GogcFlipStressTest seed=" + seed + " millis=" + millis);
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        GcOptions opts = GcOptions.DEFAULT.withGcPercent(10).withDebug(false, true, false, 0, 0);
        Collector gc = Collector.forThreads(heap, opts, 2);
        ThreadWorld world = gc.threadWorld();
        try {
            int n = 2;
            GraphModel[] models = new GraphModel[n];
            Thread[] ts = new Thread[n];
            AtomicReference<Throwable> fail = new AtomicReference<>();
            AtomicLong flips = new AtomicLong();
            AtomicBoolean mutatorsDone = new AtomicBoolean();
            long minFlips = 50;
            for (int w = 0; w < n; w++) {
                final int id = w;
                ts[w] = new Thread(() -> {
                    Mutator m = world.register(GraphModel.SLOTS);
                    try {
                        GraphModel model = new GraphModel(gc, new Random(seed + id), id);
                        models[id] = model;
                        // Preconditions, not checks: some cycles ran and GOGC flipped often meanwhile.
                        model.keepGoingWhile(() -> gc.cycles() < 10 || flips.get() < minFlips, 60_000);
                        model.run(Long.MAX_VALUE, millis, m.roots());
                    } catch (Throwable t) {
                        fail.compareAndSet(null, t);
                    } finally {
                        world.unregister();
                    }
                }, "mutator-" + w);
                ts[w].start();
            }
            // The flipper is no mutator of the world: setGcPercent(-1) waits for a running cycle as a plain thread.
            Thread flipper = Thread.ofPlatform().name("gogc-flipper").start(() -> {
                try {
                    while (!mutatorsDone.get()) {
                        gc.setGcPercent(-1);
                        Thread.yield();
                        long cycles0 = gc.cycles();
                        gc.setGcPercent(10);
                        // Every 8th round GOGC stays on until a cycle ran (pacing, not a check): back to
                        // back flips alone drop nearly every request, and cycles must start in between.
                        if (flips.incrementAndGet() % 8 == 0) {
                            while (gc.cycles() == cycles0 && !mutatorsDone.get()) {
                                Thread.sleep(1);
                            }
                        } else {
                            Thread.yield();
                        }
                    }
                    gc.setGcPercent(-1);            // off for good: from here no trigger request may stay
                } catch (Throwable t) {
                    fail.compareAndSet(null, t);
                }
            });
            for (Thread t : ts) {
                t.join(millis + 180_000);
                assertFalse(t.isAlive(), "mutator hung (seed " + seed + ", flips " + flips.get() + ")");
            }
            mutatorsDone.set(true);
            flipper.join(180_000);
            assertFalse(flipper.isAlive(), "setGcPercent hung (seed " + seed + ")");
            if (fail.get() != null) {
                throw new AssertionError("seed " + seed + ": " + fail.get(), fail.get());
            }
            gc.awaitIdle(CycleWaits.HANG_GUARD_MS);
            assertFalse(gc.cycleStartPending(), "GOGC off, nothing asked by name: no start pending");
            assertEquals(0, gc.allocGate() & Collector.GATE_PENDING, "and the allocation gate is clear");
            long dropped;
            CycleControl control = gc.coordinator.control;
            control.ctl.lock();
            try {
                dropped = control.requestsDropped;
            } finally {
                control.ctl.unlock();
            }
            gc.gc();                                // GOGC off: gc() still collects
            long objects = 0;
            for (GraphModel m : models) {
                var r = m.reachable();
                m.verify(r);
                objects += r.size();
            }
            var ms = heap.readMemStats();
            assertEquals(objects, ms.heapObjects(), "seed " + seed + ": live objects == the models' reachable objects");
            assertEquals(objects * GraphModel.NODE_SLOT, ms.heapAlloc(), "seed " + seed + ": live bytes == reachable bytes");
            assertEquals(gc.cycles(), gc.checkmarkCycles(), "every cycle was verified by checkmark");
            System.out.println("GogcFlipStressTest: cycles=" + gc.cycles() + " flips=" + flips.get() + " requestsDropped="
                    + dropped + " reachable=" + objects + " ops=" + models[0].ops + "+" + models[1].ops);
            for (GraphModel m : models) {
                m.release();
            }
            gc.gc();
            assertEquals(0, heap.readMemStats().heapObjects(), "seed " + seed + ": dropping every root frees everything");
            heap.verifyHeap();
        } finally {
            gc.close();
            heap.close();
        }
    }
}
