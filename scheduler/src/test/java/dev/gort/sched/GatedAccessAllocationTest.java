package dev.gort.sched;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The P and G handles' readers, {@code goroutines()} and {@code preempt(G)} go through one gated
 * access ({@link NativeReaders#access}) that takes its work as non-capturing functions: on an M
 * it must cost what the written-out shape did, which allocated nothing. A capturing lambda in any
 * of them would allocate an object per call before C2's escape analysis (if ever) removes it: the
 * bytes are counted over every round, compiled or not, not the best one.
 */
class GatedAccessAllocationTest {
    private static final int ROUNDS = 5;
    private static final int CALLS_PER_ROUND = 20_000;
    /** Far below one 16-byte object per call (100,000 calls), above a stray allocation of the JVM's own. */
    private static final long ALLOWED_BYTES = 16 * 1024;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Every gated reader once, folded into a sum so that none is dead code. */
    private static long readAll(Scheduler s, P p, G g) {
        long sum = p.status() + p.schedtick() + p.syscalltick() + p.syscallwhen() + p.schedwhen() + p.steals()
                + p.runqsize() + (p.runqempty() ? 1 : 0);
        sum += g.goid() + g.status() + g.waitReason().ordinal() + g.stackLo() + g.topFrame();
        sum += s.goroutines();
        s.preempt(g);
        return sum;
    }

    /** Bytes of Java heap the calling thread allocated over every round of {@link #readAll}. */
    private static long allocatedByReads(Scheduler s, P p, G g) {
        readAll(s, p, g);   // first calls: link the call sites, make the gate's per-thread depth
        long sink = 0;
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < CALLS_PER_ROUND; i++) {
                sink += readAll(s, p, g);
            }
        }
        long bytes = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sink != 0, "the reads were made");
        return bytes;
    }

    @Test
    void gatedReadersAllocateNothingOnAnMNorThroughTheGate() throws InterruptedException {
        assertTrue(THREADS.isCurrentThreadCpuTimeSupported() && THREADS.getCurrentThreadAllocatedBytes() >= 0,
                "this JVM counts a thread's allocated bytes");
        long[] onM = {-1};
        long[] throughGate = {-1};
        SchedTesting.run(1, () -> {
            Scheduler s = Go.current().sched;
            Chan<Integer> release = new Chan<>(0);
            G parked = Go.go(release::recv);
            Go.gosched();                                   // the child runs and parks in recv
            assertTrue(Scheduler.currentM() != null && s.onOwnM(), "the goroutine reads on its own M");
            onM[0] = allocatedByReads(s, s.p(0), parked);
            // Another thread while the run goes on: through the gate (a ThreadLocal and two atomics).
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    assertFalse(s.onOwnM(), "a plain thread is not on the scheduler's M");
                    throughGate[0] = allocatedByReads(s, s.p(0), parked);
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "gated-reader");
            other.start();
            Go.syscall(() -> {                              // the P stays usable while this waits
                try {
                    other.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            release.close();
            if (failed.get() != null) {
                throw new AssertionError("the gated reader failed", failed.get());
            }
        });
        System.out.println("gated reads: on the M " + onM[0] + " B, through the gate " + throughGate[0] + " B");
        assertTrue(onM[0] >= 0 && throughGate[0] >= 0, "both measured: on the M " + onM[0] + ", through the gate " + throughGate[0]);
        assertTrue(onM[0] < ALLOWED_BYTES, (ROUNDS * CALLS_PER_ROUND) + " calls of every gated reader on an M allocated " + onM[0] + " bytes");
        assertTrue(throughGate[0] < ALLOWED_BYTES,
                (ROUNDS * CALLS_PER_ROUND) + " calls of every gated reader through the gate allocated " + throughGate[0] + " bytes");
    }
}
