package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code -Dgort.gc.markmutstats=true}'s line counts assists and passes apart: "assists" is one per
 * allocation in debt ({@link Assists#alloc}), and credit-only, draining and waiting passes and
 * retries count passes, since session 33's retry made one assist several passes (pace33's "left",
 * pace34's item 4). A child JVM with the flag on (a static final) runs AssistRetryTest's first case,
 * whose one assist makes exactly two draining passes: the first drains the mutator's 1000 grey nodes
 * and its wait is refused for the work published meanwhile (one wait, one retry), the second drains
 * that work and pays. The idle workers are held off the published work, so the counts do not depend
 * on them.
 */
class MarkMutatorCountsTest {

    @Test
    void oneAssistOfTwoPassesCountsOneAssistAndTwoDrainingPasses() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx256m", "-Dgort.gc.markmutstats=true", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Child.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = ChildOutput.await(p, 300);
        String r = "child said:\n" + out;
        assertEquals(0, p.exitValue(), r);
        assertTrue(out.contains("counts assists=1 creditOnly=0 draining=2 waits=1 retries=1"), r);
        assertTrue(out.contains("markmut: ") && out.contains("; assists ") && out.contains(": passes credit only "), r);
    }

    /** AssistRetryTest's wait case in a JVM of its own, printing the mutator's markmut counts for the one allocation. */
    public static final class Child {
        public static void main(String[] args) {
            if (!MarkMutatorStats.ON) {
                throw new IllegalStateException("-Dgort.gc.markmutstats=true did not reach the child");
            }
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
            ThreadWorld world = gc.threadWorld();
            Mutator main = world.register(4);
            long[] nodes = new long[AssistRetryTest.GREY + AssistRetryTest.PUBLISHED];
            long head = 0;
            for (int i = 0; i < 20_000; i++) {
                long p = gc.alloc(AssistRetryTest.NODE);
                Mem.storePtr(p, AssistRetryTest.NEXT, head);
                head = p;
                main.roots().set(0, head);
                if (i < nodes.length) {
                    nodes[i] = p;
                }
            }
            gc.gc();
            gc.setAssistWaitsWhilePausedForTest(true);
            gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
            gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, AssistRetryTest.TIMEOUT_MS);
            gc.holdIdleWorkersForTest(true);
            gc.pacer().bgScanCredit.set(0);
            for (int i = 0; i < AssistRetryTest.GREY; i++) {
                main.gcw.put(nodes[i]);
            }
            Assists assists = gc.assistsForTest();
            Runnable usual = assists.afterDrain;
            boolean[] once = {true};
            assists.afterDrain = () -> {
                usual.run();
                if (once[0]) {
                    once[0] = false;
                    GcWork w = new GcWork(gc.pool);
                    for (int i = AssistRetryTest.GREY; i < nodes.length; i++) {
                        w.put(nodes[i]);
                    }
                    w.dispose();
                }
            };
            long[] before = main.markStats.clone();
            main.assistBytes = -(long) Math.ceil(AssistRetryTest.DEBT_WORK * gc.pacer().assistBytesPerWork());
            gc.alloc(AssistRetryTest.NODE);
            assists.afterDrain = usual;
            long[] s = main.markStats;
            System.out.printf("counts assists=%d creditOnly=%d draining=%d waits=%d retries=%d credit=%d%n",
                    s[MarkMutatorStats.ASSISTS] - before[MarkMutatorStats.ASSISTS],
                    s[MarkMutatorStats.CREDIT_ONLY] - before[MarkMutatorStats.CREDIT_ONLY],
                    s[MarkMutatorStats.DRAIN_PASSES] - before[MarkMutatorStats.DRAIN_PASSES],
                    s[MarkMutatorStats.WAITS] - before[MarkMutatorStats.WAITS],
                    s[MarkMutatorStats.RETRIES] - before[MarkMutatorStats.RETRIES], main.assistBytes);
            System.out.println(gc.markMutatorStats(main));
            gc.holdIdleWorkersForTest(false);
            gc.setAssistWaitsWhilePausedForTest(false);
            gc.setBreakpoint(Collector.Breakpoint.NONE);
            gc.resume();
            gc.awaitIdle(AssistRetryTest.TIMEOUT_MS);
            world.unregister();
            gc.close();
            heap.close();
        }
    }
}
