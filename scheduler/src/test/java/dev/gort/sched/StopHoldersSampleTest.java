package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * StopHolders' pass, taken inside a stop while the stopper waits for a CPU-hungry mutator, reads
 * the holder's /proc files through {@link ThreadProcStat}: a pass over an unchanged holder
 * allocates nothing (the earlier Files.readAllBytes per file allocated a buffer, strings and a
 * split array at every pass, and took 0.9-1.5 ms of the stopper's CPU a pass in the 1 GiB run),
 * and every pass still reads the M's state and schedstat. In process: the samples are called
 * directly on a scheduler whose only P runs a spinning main goroutine, with the M's tid set as
 * {@code -Dgort.sched.stoptrace} would.
 */
@Timeout(180)
class StopHoldersSampleTest {
    static final int WARM_PASSES = 3000;
    static final int MEASURED_PASSES = 500;
    /** The rounds' hang guard: a pass that allocates makes every round allocate, so this is how long such a failure takes. */
    static final long MEASURED_ROUNDS_NANOS = 60_000_000_000L;

    @Test
    void aPassOverAnUnchangedHolderAllocatesNothingAndReadsItsState() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch spinning = new CountDownLatch(1);
        Thread runner = new Thread(() -> s.run(() -> {
            M mp = (M) Scheduler.carrier();
            mp.tid = (int) dev.gort.sys.CpuAffinity.threadId();      // as M.run records it under stoptrace
            spinning.countDown();
            while (!done.get()) {
                Thread.onSpinWait();          // no preemption check: the holder a stop would wait for
            }
        }), "stop-holders-sample");
        runner.start();
        String described;
        long allocated;
        String roundsAllocated;
        int rounds = 0;
        try {
            assertTrue(spinning.await(60, TimeUnit.SECONDS), "the main goroutine did not start");
            StopHolders h = new StopHolders();
            h.reset();
            for (int i = 0; i < WARM_PASSES; i++) {
                h.sample(s, i);                                       // the first pass opens the files
            }
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            // Rounds until one allocates nothing: a pass that allocates makes every round allocate.
            // This thread also makes the JIT's compile requests for the code it runs, and HotSpot's
            // request for a C2 compile (CompileBroker::compile_method) first resolves every String
            // constant of the method's class on the requesting thread: 56-1808 bytes in a pass, once
            // per class (session 28: per-pass counts under load; none with C1 alone, and the largest
            // shrank by StopHolders' own strings when describe() had resolved them first). A loaded
            // machine's longer compile queue raises the C2 thresholds, and the requests, seen up to
            // ~10,000 passes in, land in the measured rounds: each spoils only its own round.
            allocated = Long.MAX_VALUE;
            StringBuilder spoiled = new StringBuilder();
            long roundsUntil = System.nanoTime() + MEASURED_ROUNDS_NANOS;
            while (allocated != 0 && System.nanoTime() - roundsUntil < 0) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < MEASURED_PASSES; i++) {
                    h.sample(s, WARM_PASSES + rounds * MEASURED_PASSES + i);
                }
                allocated = mx.getCurrentThreadAllocatedBytes() - before;
                if (allocated != 0 && spoiled.length() < 200) {
                    spoiled.append(spoiled.length() == 0 ? "" : ", ").append(allocated);
                }
                rounds++;
            }
            roundsAllocated = spoiled.toString();
            described = h.describe();
        } finally {
            done.set(true);
            runner.join(60_000);
        }
        assertEquals(0, allocated, "each of " + rounds + " rounds of " + MEASURED_PASSES
                + " passes over the same holder in 60 s allocated (bytes: " + roundsAllocated + "); the last " + allocated
                + " bytes: " + described);
        int passes = WARM_PASSES + rounds * MEASURED_PASSES;
        // Every pass read the M's state (a pass whose read failed is not counted), and schedstat
        // was read at the first and the last pass.
        assertTrue(described.matches(".*P0: M\\d+ running goroutine \\d+ \\(main goroutine, running\\) at every pass from 0\\.000 ms.*"),
                described);
        assertTrue(described.matches(".*; M\\d+ running or runnable at \\d+ of " + passes + " passes, schedstat between the passes.*"),
                described);
        assertTrue(described.contains("; sampling took "), described);
    }

    /** The reader answers for the thread it was opened for, and "unknown" (closed) once that thread has exited. */
    @Test
    void readerFollowsItsThreadAndClosesWhenItExits() throws Exception {
        AtomicInteger tid = new AtomicInteger();
        AtomicBoolean leave = new AtomicBoolean();
        Thread sleeper = new Thread(() -> {
            tid.set((int) dev.gort.sys.CpuAffinity.threadId());
            while (!leave.get()) {
                LockSupport.parkNanos(1_000_000_000L);
            }
        }, "proc-stat-sleeper");
        sleeper.start();
        while (tid.get() == 0) {
            Thread.sleep(1);
        }
        ThreadProcStat ps = ThreadProcStat.open(tid.get());
        assertNotNull(ps, "no /proc files for a live thread " + tid.get());
        char state = '?';
        for (int i = 0; i < 1000 && state != 'S'; i++) {
            state = ps.state();          // asleep in parkNanos (R only on its way there)
            Thread.sleep(1);
        }
        assertEquals('S', state);
        assertTrue(ps.readSchedstat());
        assertTrue(ps.runNanos > 0 && ps.waitNanos >= 0, ps.runNanos + " / " + ps.waitNanos);

        ThreadProcStat self = ThreadProcStat.open((int) dev.gort.sys.CpuAffinity.threadId());
        assertNotNull(self);
        assertEquals('R', self.state());                  // the reading thread is running
        assertTrue(self.readSchedstat());
        long run0 = self.runNanos;
        long until = System.nanoTime() + 20_000_000;
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
        assertTrue(self.readSchedstat());
        assertTrue(self.runNanos > run0, "schedstat's run time did not grow over 20 ms of spinning: " + run0 + " -> " + self.runNanos);
        self.close();
        assertFalse(self.isOpen());
        assertEquals('?', self.state());

        leave.set(true);
        LockSupport.unpark(sleeper);
        sleeper.join(60_000);
        // join returns before the kernel thread is gone (the JVM's thread teardown follows): poll.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ps.state() != '?' && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
        assertEquals('?', ps.state(), "read after the thread exited");
        assertFalse(ps.readSchedstat());
        assertFalse(ps.isOpen(), "the files of an exited thread stay open");
        assertEquals(null, ThreadProcStat.open(0));
        assertEquals(null, ThreadProcStat.open(Integer.MAX_VALUE));     // no such thread
    }
}
