package dev.gort.gc;

import dev.gort.sched.Scheduler;
import dev.gort.sched.Time;
import dev.gort.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The stop path's JIT rehearsal (StopPathWarmup.rehearseForJit, run by the coordinator between
 * cycles once the warm-up's real pairs are done) in a fresh JVM, where no earlier test made pairs:
 * <ul>
 * <li>back-to-back cycles (the next one asked for in each one's tail) make every rehearsal call give
 *     way before its first pair; such calls must not use up the rehearsal's bounded calls (review30's
 *     finding 1): before session 31 the pairs never came once cycles had run back to back 30 times;</li>
 * <li>what it warms (C2's code) is the JVM's, so a second runtime in the same JVM makes no pair
 *     (review30's finding 2): before session 31 each runtime paid the 30,000 pairs again.</li>
 * </ul>
 * Counts, not times: each figure is the coordinator's count of the pairs it made.
 */
@Timeout(900)       // an outer bound only: the child's waits are progress-based
class StopPathRehearsalPerJvmTest {

    @Test
    void backToBackCyclesBeforeTheRehearsalLeaveItsPairsForLaterCycles() throws Exception {
        String out = child(BackToBackCyclesWarmUpTest.BACK_TO_BACK_CYCLES);
        int target = figure(out, "rehearsal target");
        assertTrue(target > 0, out);
        assertEquals(target, figure(out, "runtime 1 rehearsal pairs"), "after " + BackToBackCyclesWarmUpTest.BACK_TO_BACK_CYCLES
                + " back-to-back cycles the first runtime's rehearsal did not make its pairs; child said:\n" + out);
    }

    @Test
    void aSecondRuntimeInTheJvmMakesNoRehearsalPair() throws Exception {
        String out = child(0);
        int target = figure(out, "rehearsal target");
        assertEquals(target, figure(out, "runtime 1 rehearsal pairs"), "the first runtime made the JVM's pairs; child said:\n" + out);
        assertEquals(0, figure(out, "runtime 2 rehearsal pairs"), "the second runtime in the JVM rehearsed again; child said:\n" + out);
    }

    /** The child's output; progress-based (it prints as it goes), not a bound on its wall time. */
    private static String child(int backToBack) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(dev.gort.sys.ForcedGcModes.get().childJvmFlags());
        cmd.addAll(ChildJvm.GORT_FLAGS);
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), Child.class.getName(), Integer.toString(backToBack)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        for (String k : List.of("GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GORT_DEBUG", "JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS")) {
            pb.environment().remove(k);
        }
        String out = ChildJvm.outputWhileProgressing(pb.start(), 2 * BackToBackCyclesWarmUpTest.HANG_GUARD_NANOS);
        System.out.println("StopPathRehearsalPerJvmTest child:\n" + out);
        return out;
    }

    private static int figure(String out, String name) {
        for (String line : out.split("\n")) {
            if (line.startsWith(name + " ") && line.substring(name.length() + 1).trim().matches("[0-9]+")) {
                return Integer.parseInt(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("the child printed no \"" + name + "\"; it said:\n" + out);
    }

    /**
     * Runtime 1: gc() cycles with gaps until the warm-up's pairs are done; then args[0] cycles back
     * to back (from the first whose tail finds the warm-up done); then cycles with gaps until its
     * rehearsal made the JVM's pairs (60 s without a pair at most). Closed. Runtime 2: cycles with
     * gaps until its warm-up is done, then 10 more. Prints each runtime's rehearsal pairs.
     */
    public static final class Child {
        public static void main(String[] args) {
            int backToBack = Integer.parseInt(args[0]);
            int target;
            try (RequestAfterExitTest.Rig rig = RequestAfterExitTest.Rig.create()) {
                target = rig.sched().stopPathJitRehearsalPairs();
                System.out.println("rehearsal target " + target);
                Coordinator co = rig.gc().coordinator;
                AtomicInteger backToBackLeft = new AtomicInteger(backToBack);
                int warmUpTarget = rig.sched().stopPathWarmUpRounds();
                co.cycleEndingForTest = () -> {
                    // The coordinator's own thread: the warm-up's last pairs were made after an
                    // earlier cycle, and no rehearsal call came between (it comes after this cycle).
                    if (co.stopPathWarmUpPairs >= warmUpTarget && backToBackLeft.getAndDecrement() > 0) {
                        BackToBackCyclesWarmUpTest.requestNextCycleInTail(co.control);
                    }
                };
                rig.sched().run(() -> {
                    cyclesWithGapsUntil(rig.gc(), () -> co.stopPathWarmUpPairs, warmUpTarget, "runtime 1 warm-up pairs");
                    // The chain needs the warm-up done (the hook asks for it); without it the parent's
                    // assertion on the rehearsal's pairs fails, which is what lead31 did (its calls ran out).
                    long lastProgress = System.nanoTime();
                    while (co.stopPathWarmUpPairs >= warmUpTarget && backToBackLeft.get() > 0
                            && System.nanoTime() - lastProgress < BackToBackCyclesWarmUpTest.HANG_GUARD_NANOS) {
                        int left = backToBackLeft.get();
                        rig.gc().gc();          // the chain's first (the hook asks for the rest)
                        if (backToBackLeft.get() < left) {
                            lastProgress = System.nanoTime();
                            System.out.println("runtime 1 back-to-back cycles left " + backToBackLeft.get());
                        }
                    }
                    System.out.println("runtime 1 back-to-back cycles done, rehearsal pairs so far " + co.stopPathJitRehearsalPairs);
                    cyclesWithGapsUntil(rig.gc(), () -> co.stopPathJitRehearsalPairs, target, "runtime 1 rehearsal pairs made");
                });
                System.out.println("runtime 1 rehearsal pairs " + co.stopPathJitRehearsalPairs);
                System.out.println("runtime 1 rehearsal calls given way " + co.stopPathJitRehearsalCallsGivenWay);
            }
            try (RequestAfterExitTest.Rig rig = RequestAfterExitTest.Rig.create()) {
                Coordinator co = rig.gc().coordinator;
                int warmUpTarget = rig.sched().stopPathWarmUpRounds();
                rig.sched().run(() -> {
                    cyclesWithGapsUntil(rig.gc(), () -> co.stopPathWarmUpPairs, warmUpTarget, "runtime 2 warm-up pairs");
                    for (int i = 0; i < 10; i++) {
                        rig.gc().gc();
                        Time.sleepNanos(20_000_000);        // a gap a rehearsal call could use
                        System.out.println("runtime 2 cycles after its warm-up " + (i + 1) + ", its rehearsal pairs " + co.stopPathJitRehearsalPairs);
                    }
                });
                System.out.println("runtime 2 rehearsal pairs " + co.stopPathJitRehearsalPairs);
            }
        }

        /** gc() cycles with 20 ms gaps until {@code count} reaches {@code target} or makes no progress for 60 s. */
        static void cyclesWithGapsUntil(Collector gc, java.util.function.IntSupplier count, int target, String what) {
            int seen = count.getAsInt();
            long lastProgress = System.nanoTime();
            while (count.getAsInt() < target && System.nanoTime() - lastProgress < BackToBackCyclesWarmUpTest.HANG_GUARD_NANOS) {
                gc.gc();
                Time.sleepNanos(20_000_000);        // pacing: a gap for the coordinator's call, not a bound
                if (count.getAsInt() > seen) {
                    seen = count.getAsInt();
                    lastProgress = System.nanoTime();
                    System.out.println(what + " so far " + seen);
                }
            }
        }
    }
}
