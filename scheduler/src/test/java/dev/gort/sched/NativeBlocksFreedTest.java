package dev.gort.sched;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An embedder's JVM after a run: the P blocks and G descriptor chunks go back when
 * {@link Scheduler#run} returns, while the scheduler and its handles are still reachable (before,
 * they stayed until the scheduler was unreachable and the next one was made: 64 B per goroutine at
 * the run's peak, about 64 MiB after a million); handles read after the run give their final
 * figures; many runs in one JVM do not grow; readers racing the shutdown never touch freed memory.
 */
class NativeBlocksFreedTest {
    private static final int ALIVE_AT_ONCE = 20_000;

    @Test
    void descriptorsOfManyGoroutinesGoBackWhenRunReturnsAndHandlesKeepTheirFinalFigures() {
        long[] heldDuring = new long[1];
        AtomicReference<G> child = new AtomicReference<>();
        long[] childGoid = new long[1];
        Scheduler s = SchedTesting.run(2, () -> {
            Chan<Integer> release = new Chan<>(0);
            Chan<Integer> done = new Chan<>(ALIVE_AT_ONCE);
            for (int i = 0; i < ALIVE_AT_ONCE; i++) {
                G g = Go.go(() -> {
                    release.recv();
                    done.send(1);
                });
                if (i == 0) {
                    child.set(g);
                }
            }
            heldDuring[0] = Go.scheduler().ownNativeBytesHeld();
            childGoid[0] = child.get().goid();
            release.close();
            for (int i = 0; i < ALIVE_AT_ONCE; i++) {
                done.recv();
            }
        });
        assertTrue(heldDuring[0] >= ALIVE_AT_ONCE * GDescriptor.SIZE,
                "the run held " + heldDuring[0] + " bytes of descriptors for " + ALIVE_AT_ONCE + " goroutines");
        // The scheduler is still reachable here (s): the old code kept everything until it was not.
        // Its own blocks, not the JVM's count, which another live runtime would move (review30's finding 4).
        assertEquals(0, s.ownNativeBytesHeld(), "this scheduler's P blocks and G descriptors were freed when run returned");
        // The handles answer from their final figures.
        assertEquals(childGoid[0], child.get().goid());
        assertEquals(GStatus.DEAD, child.get().status());
        assertEquals(0, child.get().stackLo());
        assertEquals(0, child.get().topFrame());
        long ticks = 0;
        for (int i = 0; i < s.gomaxprocs(); i++) {
            P p = s.p(i);
            ticks += p.schedtick();
            assertEquals(i, p.id());
            assertTrue(p.status() >= PStatus.IDLE && p.status() <= PStatus.DEAD, "P" + i + " status " + p.status());
            assertTrue(p.runqsize() >= 0 && p.runqsize() <= PDescriptor.RUNQ_SIZE, "runqsize " + p.runqsize());
            assertTrue(p.syscalltick() >= 0 && p.syscalltick() < 1_000_000, "P" + i + " syscalltick " + p.syscalltick());
        }
        assertTrue(ticks >= ALIVE_AT_ONCE, "the Ps' final schedticks " + ticks);
        assertTrue(s.goroutinesStarted() >= ALIVE_AT_ONCE + 1, "goroutines started " + s.goroutinesStarted());
        String trace = s.schedtrace(true);
        assertTrue(trace.contains("P0: status=") && trace.contains("\n  G1: status="), trace);
    }

    /**
     * Each run's own blocks are compared, not the JVM's count ({@link Scheduler#nativeBytesHeld}):
     * another runtime live meanwhile (here a scheduler made and not yet run; in a suite, another
     * collector's JIT rehearsal with its dormant scheduler) moves that count (review30's finding 4).
     * On lead31 this test, which compared the JVM's count before and after, failed with the
     * bystander: "after 25 runs the schedulers hold 9472 native bytes, before them 0".
     */
    @Test
    void manyRunsInOneJvmDoNotGrowEvenWithTheSchedulersKept() {
        Scheduler bystander = Scheduler.create(SchedConfig.defaults().gomaxprocs(4).fatalHandler(FatalHandler.THROW));
        List<Scheduler> kept = new ArrayList<>();   // an embedder keeping handles: nothing may stay for them
        for (int run = 0; run < 25; run++) {
            kept.add(SchedTesting.run(1 + run % 2, () -> {
                Chan<Integer> done = new Chan<>(2_000);
                for (int i = 0; i < 2_000; i++) {
                    Go.go(() -> done.send(1));
                }
                for (int i = 0; i < 2_000; i++) {
                    done.recv();
                }
            }));
        }
        long keptHold = 0;
        for (Scheduler s : kept) {
            keptHold += s.ownNativeBytesHeld();
            assertTrue(s.goroutinesStarted() >= 2_001);
        }
        assertEquals(0, keptHold, "after 25 runs the kept schedulers hold native bytes");
        assertTrue(bystander.ownNativeBytesHeld() > 0, "the bystander (live, not run) holds its P blocks");
        bystander.close();
        assertEquals(0, bystander.ownNativeBytesHeld(), "a scheduler closed before run frees its blocks");
    }

    /**
     * Readers on other threads (a handle's figures, the scheddetail printer, sysmon's preempt and
     * retake, a ready) while run returns: each reads the live block or, once the gate closed, the
     * final copy; never freed memory (a read of a freed, unmapped G chunk is a SIGSEGV of the JVM).
     */
    @Test
    void readersRacingTheShutdownSeeLiveOrFinalFigures() throws Exception {
        for (int round = 0; round < 30; round++) {
            Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
            List<G> gs = new java.util.concurrent.CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        if (s.started()) {
                            for (int i = 0; i < 2; i++) {
                                P p = s.p(i);
                                long t = p.schedtick() + p.syscalltick() + p.steals();
                                assertTrue(t >= 0 && p.runqsize() >= 0 && p.status() >= 0);
                                s.preempt(i);
                                s.retake(i, false);
                            }
                            for (G g : gs) {
                                assertTrue(g.goid() >= 0 && g.status() >= 0);
                                g.waitReason();
                                s.preempt(g);
                            }
                            s.schedtrace(true);
                            s.goroutines();
                        }
                    }
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "handle-reader");
            reader.start();
            s.run(() -> {
                for (int i = 0; i < 200; i++) {
                    gs.add(Go.go(Go::gosched));
                }
                Go.gosched();
            });
            Thread.sleep(1);
            stop.set(true);
            reader.join(60_000);
            assertFalse(reader.isAlive(), "the reader ended");
            assertNull(failed.get(), () -> "reader failed: " + failed.get());
            assertEquals(0, s.nativeBlocks.bytes());
            for (G g : gs) {
                assertTrue(g.goid() >= 0 && g.status() >= 0, "final figures of " + g);
            }
        }
    }
}
