package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(120)
class SchedulerTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void millionGoroutinesCompleteWithExactCounts(int procs) {
        int n = Integer.getInteger("gort.stress.goroutines", 1_000_000);
        AtomicLong sum = new AtomicLong();
        AtomicLong count = new AtomicLong();
        long[] goidMax = new long[1];
        Scheduler s = SchedTesting.run(procs, () -> {
            Chan<Boolean> done = new Chan<>();
            for (int i = 0; i < n; i++) {
                final int v = i;
                Go.go(() -> {
                    sum.addAndGet(v);
                    if (count.incrementAndGet() == n) {
                        done.send(true);
                    }
                });
            }
            done.recv();
            goidMax[0] = Go.current().goid();
        });
        assertEquals(n, count.get());
        assertEquals((long) n * (n - 1) / 2, sum.get());
        assertEquals(1, goidMax[0], "main goroutine is goid 1");
        assertEquals(n + 1, s.goroutinesStarted());
        // Queued first, they run back to back: most start in the continuation of the one before
        // (runner adoption); at one P all but the every-61st-tick turns of the global queue.
        long adopted = s.runnerAdoptions();
        assertTrue(procs == 1 ? adopted > n / 2 : adopted > 0, "runner adoptions " + adopted + " of " + n);
    }

    @Test
    void tenThousandChildrenOverflowToTheGlobalQueue() {
        int n = 10_000;
        AtomicLong ran = new AtomicLong();
        int[] maxGlobal = new int[1];
        SchedTesting.run(1, () -> {
            Scheduler s = Go.scheduler();
            Chan<Boolean> done = new Chan<>();
            for (int i = 0; i < n; i++) {
                Go.go(() -> {
                    if (ran.incrementAndGet() == n) {
                        done.send(true);
                    }
                });
                maxGlobal[0] = Math.max(maxGlobal[0], s.globalRunqueueSize());
            }
            done.recv();
        });
        assertEquals(n, ran.get());
        // 10,000 children from one goroutine at GOMAXPROCS=1: runnext + 256 local, the rest spill in 129s.
        assertTrue(maxGlobal[0] >= n - 257 - 129, "global queue peaked at " + maxGlobal[0]);
    }

    @Test
    void stealingHappensWithTwoPs() {
        // 200 children fit in the spawning P's local run queue (256) plus runnext, so none spill to
        // the global queue. The parent then holds its P without reaching a safepoint: the only way a
        // child can run meanwhile is that the other P's M steals it. Deterministic under any load;
        // the deadline only bounds a broken scheduler.
        int n = 200;
        AtomicLong ran = new AtomicLong();
        long[] ranWhileParentHeldItsP = new long[1];
        Scheduler s = SchedTesting.run(2, () -> {
            for (int i = 0; i < n; i++) {
                Go.go(ran::incrementAndGet);
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (ran.get() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            ranWhileParentHeldItsP[0] = ran.get();
            while (ran.get() < n) {
                Go.gosched();
            }
        });
        assertEquals(n, ran.get());
        assertTrue(ranWhileParentHeldItsP[0] > 0, "no child ran while the parent held its P: the other P never stole");
        assertTrue(s.steals() > 0, "no G was stolen between the 2 Ps");
    }

    @Test
    void goschedInterleavesAtOneP() {
        StringBuilder sb = new StringBuilder();
        SchedTesting.run(1, () -> {
            Chan<Boolean> done = new Chan<>(2);
            for (String name : new String[] {"a", "b"}) {
                Go.go(() -> {
                    for (int i = 0; i < 3; i++) {
                        sb.append(name);
                        Go.gosched();
                    }
                    done.send(true);
                });
            }
            done.recv();
            done.recv();
        });
        // b was created last, so it sits in runnext and runs first (Go's order); then they alternate.
        assertEquals("bababa", sb.toString());
    }

    /**
     * Regression: with the current-M lookup inlined, C2 reused Thread.currentThread() across a
     * gosched that moved the goroutine to the other M, and Go.go ran on an M without a P.
     */
    @Test
    void spawningAfterMigrationUsesTheRightM() {
        int n = 300_000;
        AtomicLong ran = new AtomicLong();
        SchedTesting.run(2, () -> {
            Chan<Boolean> done = new Chan<>();
            Runnable task = () -> {
                if (ran.incrementAndGet() == n) {
                    done.send(true);
                }
            };
            for (int i = 0; i < n; i++) {
                Go.go(task);
                if ((i & 7) == 7) {
                    Go.gosched();
                }
            }
            done.recv();
        });
        assertEquals(n, ran.get());
    }

    @Test
    void deadGsAreReused() {
        Scheduler s = SchedTesting.run(1, () -> {
            for (int round = 0; round < 50; round++) {
                Chan<Boolean> done = new Chan<>(10);
                for (int i = 0; i < 10; i++) {
                    Go.go(() -> done.send(true));
                }
                for (int i = 0; i < 10; i++) {
                    done.recv();
                }
            }
        });
        assertEquals(501, s.goroutinesStarted());
        assertTrue(s.gtable.count() < 30, "G objects allocated: " + s.gtable.count());
    }
}
