package dev.gort.gc;

import dev.gort.testing.CompiledCode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PauseTimer's warm-up leaves {@code stopped()} compiled with a profile that has seen the steps run
 * on another thread than the one that read the CPU clock before the request (a claimant that did
 * not request the stop; an M of the scheduler's hand-off that took its P after the stopper's reads):
 * rounds that never did had C2 compile that branch as a trap, and the first such real pause
 * deoptimized stopped() inside it (trap_bci 92 in gc 2-39 of depth-21 runs; session 28,
 * pausecpu28). A fresh child JVM ({@code -Xlog:deoptimization=debug}) warms the timer up, waits
 * for C2's stopped(), then times pauses whose steps run on another thread; stopped() must not trap.
 */
class PauseTimerWarmUpProfileTest {

    @Test
    void stoppedOnAnotherThreadThanTheStopperDoesNotTrapAfterTheWarmUp() throws Exception {
        String out = StopPathProfileTest.runLoggingDeoptimizations(Child.class, 120);
        String r = "child said:\n" + out;
        Assumptions.assumeTrue(out.contains("stopped compiled=true"),
                "C2 had not compiled PauseTimer.stopped 60 s into the warm-up (a loaded machine): nothing to judge; " + r);
        int from = out.indexOf("pauses start");
        int to = out.indexOf("pauses done");
        assertTrue(from >= 0 && to > from, r);
        List<String> traps = new ArrayList<>();
        for (String line : out.substring(from, to).split("\n")) {
            if (line.contains("trap_bci") && line.contains("dev.gort.gc.PauseTimer.stopped(")) {
                traps.add(line.trim());
            }
        }
        assertTrue(traps.isEmpty(), "stopped() trapped in pauses run by another thread than the stopper: " + traps + "\n" + r);
    }

    /**
     * Warms a timer up as the coordinator does, waits for C2's stopped(), then times 200 pauses
     * begun here and stopped, stepped and restarted on a second thread that read no clock before.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            boolean compiled = false;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!compiled && System.nanoTime() < deadline) {
                PauseTimer.warmUp(30_000);
                compiled = CompiledCode.level(CompiledCode.codeList(), "dev.gort.gc.PauseTimer.stopped()V") == 4;
            }
            System.out.println("stopped compiled=" + compiled);
            System.out.println("pauses start");
            PauseTimer t = new PauseTimer();
            for (int i = 0; i < 200; i++) {
                t.begin();
                Thread claimant = Thread.ofPlatform().start(() -> {
                    t.stopped();
                    t.step("work");
                    t.restarted();
                });
                claimant.join();
                t.end(i, StwPause.Kind.MARK_TERMINATION, System.nanoTime());
            }
            System.out.println("pauses done");
        }
    }
}
