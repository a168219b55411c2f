package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The pause-measuring tools: PauseTimer's preallocated steps and SchedTrace's attribution. */
class PauseTraceToolsTest {

    @Test
    void pauseTimerKeepsEveryStepInOrderPastItsInitialCapacity() {
        PauseTimer t = new PauseTimer();
        for (int round = 0; round < 2; round++) {          // reused: a second pause starts empty
            t.begin();
            for (int i = 0; i < 40; i++) {
                t.step(i % 2 == 0 ? "even" : "odd");
            }
            StwPause p = t.end(7, StwPause.Kind.MARK_TERMINATION, 0);
            assertEquals(41, p.steps().size());
            assertEquals("even", p.steps().get(0).name());
            assertEquals("odd", p.steps().get(39).name());
            assertEquals("start", p.steps().get(40).name());
            long sum = p.steps().stream().mapToLong(StwPause.Step::nanos).sum();
            assertEquals(p.totalNanos(), sum, "the steps add up to the pause");
            assertTrue(p.stepNanos("even") > 0 && p.stepNanos("stop") == 0);
        }
    }

    @Test
    void pauseTimerEndsAtTheRestartInstantWhenKnown() throws Exception {
        PauseTimer t = new PauseTimer();
        t.begin();
        long beforeStopStep = System.nanoTime();
        t.step("stop");
        long restart = System.nanoTime();
        Thread.sleep(5);
        StwPause p = t.end(1, StwPause.Kind.SWEEP_TERMINATION, restart);
        // "start" runs from the stop step's end (read after beforeStopStep) to the restart: within
        // this interval, whatever the load; ended at end()'s call it would hold the 5 ms sleep too
        // (flake34: was "under 5 ms", which a thread descheduled before the restart's read breaks).
        assertTrue(p.stepNanos("start") <= restart - beforeStopStep, "the time after the restart is not the pause's ("
                + (restart - beforeStopStep) + " ns from before the stop step to the restart): " + p);
    }

    @Test
    void schedTraceNamesTheThreadThatRanDuringASlowPause() throws Exception {
        if (!Files.exists(Path.of("/proc/self/task/" + dev.gort.sys.CpuAffinity.threadId() + "/schedstat"))) {
            return;      // no per-thread schedstat on this kernel: the tool prints nothing useful
        }
        SchedTrace st = new SchedTrace();
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch burnt = new CountDownLatch(1);
        CountDownLatch exit = new CountDownLatch(1);     // alive until the end snapshot: an exited thread has no schedstat
        Thread burner = Thread.ofPlatform().name("pt-burner").unstarted(() -> {
            try {
                go.await();
            } catch (InterruptedException e) {
                return;
            }
            // 30 ms of this thread's CPU, not of wall time: a JVM safepoint (a GC, a handshake)
            // sleeps a spinning thread on its futex, neither running nor waiting for a CPU, and on
            // a loaded machine such stretches ate 23 of a 30 ms wall-time burn (session 13).
            long end = dev.gort.sys.CpuClock.threadCpuNanos() + 30_000_000;
            long x = 0;
            while (dev.gort.sys.CpuClock.threadCpuNanos() < end) {
                x += x * 31 + 7;
            }
            if (x == 42) {
                System.out.println();
            }
            burnt.countDown();
            try {
                exit.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        burner.start();
        Thread.sleep(5);
        st.begin();
        go.countDown();
        burnt.await();
        String line = st.end(Long.MAX_VALUE / 2);
        exit.countDown();
        burner.join();
        assertNotNull(line);
        Matcher m = Pattern.compile("pt-burner#\\d+ (\\d+\\.\\d+)/(\\d+\\.\\d+) \\((\\d+)\\)").matcher(line);
        assertTrue(m.find(), "the burner is named: " + line);
        double runMs = Double.parseDouble(m.group(1));
        double waitMs = Double.parseDouble(m.group(2));
        // 30 ms of CPU burnt inside the trace's window: schedstat's run time has it (within its
        // accounting's granularity), whatever the load added as waiting.
        assertTrue(runMs >= 20, "burner run+wait " + runMs + "+" + waitMs + " ms: " + line);
        assertTrue(line.contains("process run "), line);
        assertNull(st.end(0), "a pause under the threshold prints nothing");
    }
}
