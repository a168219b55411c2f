package dev.gort.gc;

import dev.gort.testing.CompiledCode;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pause path's rehearsal ({@link PausePathRehearsal}) leaves the root scan and the arena's
 * sweep-cycle start compiled before the first cycle, in a fresh child JVM where nothing else ran
 * them: without it none of them is compiled then (they first run inside gc 1's pauses), which is
 * what the child with {@code -Dgort.gc.pausewarmup=0} shows. And the program's heap is not
 * touched: no object of it is marked, its sweepgen has not moved.
 */
class PausePathRehearsalTest {

    /** The stopped steps' methods, as the JVM's code list names them. */
    static final List<String> REHEARSED = List.of(
            "dev.gort.gc.Marker.scanRootSlots(JJLjava/lang/String;JLdev/gort/gc/GcWork;)J",
            "dev.gort.gc.Marker.greyFast(JLdev/gort/gc/GcWork;)Z",
            "dev.gort.arena.GcSupport.startSweepCycleDetached()V",
            "dev.gort.arena.Heap.detachCachesForSweep()V",
            "dev.gort.arena.MCache.detachForSweep()Z",
            "dev.gort.arena.Heap.drainOneStaleCache()J");

    @Test
    void theStoppedStepsAreCompiledBeforeTheFirstCycle() throws Exception {
        String out = child(List.of());
        assertTrue(out.contains("cycles=0 rehearsed=true rounds=" + PausePathRehearsal.ROUNDS), out);
        for (String m : REHEARSED) {
            assertTrue(out.contains("compiled " + m), m + " was not compiled before the first cycle; child said:\n" + out);
        }
        assertTrue(out.contains("own heap: sweepgen 0, marked 0 of 64"), out);
    }

    /** The control: with the rehearsal off, the same child finds none of them compiled. */
    @Test
    void offByThePropertyNoneIsCompiledBeforeTheFirstCycle() throws Exception {
        String out = child(List.of("-D" + PausePathRehearsal.PROPERTY + "=0", "-Dgort.test.rehearsal.wait.ms=2000"));
        assertTrue(out.contains("cycles=0 rehearsed=true rounds=0"), out);
        for (String m : REHEARSED) {
            assertFalse(out.contains("compiled " + m), m + " compiled with the rehearsal off; child said:\n" + out);
        }
    }

    /** A bad value is refused naming what is accepted, and the default is used. */
    @Test
    void aBadValueIsRefusedNamingWhatIsAccepted() throws Exception {
        String out = child(List.of("-D" + PausePathRehearsal.PROPERTY + "=lots", "-Dgort.test.rehearsal.quick=true"));
        assertTrue(out.contains("-Dgort.gc.pausewarmup=lots is not valid; accepted: whole rounds 0..100000 (default 6000)"), out);
        assertTrue(out.contains("rounds setting 6000"), out);
    }

    /**
     * With the heap trigger's first cycle already owed when the warm-up ends (binary-trees' case:
     * gc 1 owed ~0.2 s by then), the rehearsal's first rounds still run before that cycle, within
     * its grace: before, the rehearsal gave way at once and gc 1's stopped steps ran the root scan
     * and the sweep cycle's start for the first time in the JVM (0.4-0.5 ms of CPU in its sweep
     * termination against 0.05 ms later; session 26). The child's grace is 10 minutes (a test
     * setter), so a loaded machine's slow warm-up does not end the grace first; skipped, not
     * failed, if even that ran out (the rounds then rightly give way).
     */
    @Test
    void theFirstRoundsRunBeforeAnOwedFirstCycleWithinItsGrace() throws Exception {
        String out = child(List.of(), OwedFirstCycleChild.class);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("rounds at cycles (-?\\d+) within grace (\\w+) gave way (.*)").matcher(out);
        assertTrue(m.find(), out);
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.parseBoolean(m.group(2)),
                "the warm-up outlasted the first cycle's grace on this machine: " + out);
        assertEquals("null", m.group(3), "the warm-up gave way to the first cycle: " + out);
        assertTrue(Integer.parseInt(m.group(1)) >= PausePathRehearsal.FIRST_CYCLE_ROUNDS,
                "the rehearsal's first rounds did not run before the owed first cycle: " + out);
        assertTrue(out.contains("cycles>=1 true"), out);
    }

    private static String child(List<String> flags) throws Exception {
        return child(flags, Child.class);
    }

    private static String child(List<String> flags, Class<?> main) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx128m"));
        String forced = System.getProperty("gort.gc.force");
        if (forced != null) {
            cmd.add("-Dgort.gc.force=" + forced);      // a suite run under a debug mode rehearses in it too
        }
        cmd.addAll(flags);
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                main.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, p.exitValue(), "child failed:\n" + out);
        return out;
    }

    /**
     * A collector over threads whose warm-up waits (its step hook) until the heap trigger has
     * requested the first cycle, then runs on; a mutator allocates garbage until that cycle ran.
     * Prints the rehearsal's rounds when the coordinator left its warm-up for the cycles.
     */
    public static final class OwedFirstCycleChild {
        public static void main(String[] args) throws Exception {
            java.util.concurrent.atomic.AtomicReference<Collector> made = new java.util.concurrent.atomic.AtomicReference<>();
            Coordinator.warmUpStepHookForNewCollectors = () -> {
                long guard = System.nanoTime() + 60_000_000_000L;      // a hang guard only
                while (System.nanoTime() < guard) {
                    Collector c = made.get();
                    if (c != null && (c.coordinator.control.cycleRequested || c.coordinator.control.cyclesDone > 0 || c.closed)) {
                        return;
                    }
                    Thread.onSpinWait();
                    java.util.concurrent.locks.LockSupport.parkNanos(500_000);
                }
            };
            Coordinator.firstCycleGraceNanosForNewCollectors = 600_000_000_000L;
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            Collector gc;
            try {
                gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
                made.set(gc);
            } finally {
                Coordinator.warmUpStepHookForNewCollectors = null;
                Coordinator.firstCycleGraceNanosForNewCollectors = Coordinator.FIRST_CYCLE_WARMUP_GRACE_NANOS;
            }
            Mutator m = gc.threadWorld().register(4);
            long guard = System.nanoTime() + 120_000_000_000L;
            while (gc.cycles() == 0 && System.nanoTime() < guard) {
                for (int k = 0; k < 1024; k++) {
                    gc.alloc(m, CollectorTest.NODE);
                }
            }
            Coordinator co = gc.coordinator;
            System.out.println("rounds at cycles " + co.rehearsalRoundsAtCycles + " within grace " + co.firstCycleWithinGraceAtCycles
                    + " gave way " + co.firstCycleGaveWayTo);
            System.out.println("cycles>=1 " + (gc.cycles() >= 1));
            gc.threadWorld().unregister();
            gc.close();
            heap.close();
        }
    }

    /**
     * Makes a collector over threads with no mutator (so no cycle starts), waits for the
     * rehearsal, then prints the REHEARSED methods the JIT compiled (within 15 s of start, 3 s at
     * least after the rehearsal; -Dgort.test.rehearsal.wait.ms shortens that for the control) and whether anything of the collector's own heap was marked.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            System.out.println("rounds setting " + PausePathRehearsal.ROUNDS);
            if (Boolean.getBoolean("gort.test.rehearsal.quick")) {
                return;
            }
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
            Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
            // A few objects of the program's heap, allocated before the collector's rehearsal runs.
            gc.threadWorld().register(4);
            long[] objs = new long[64];
            for (int i = 0; i < objs.length; i++) {
                objs[i] = gc.allocBytes(16);
            }
            gc.threadWorld().unregister();
            long deadline = System.nanoTime() + Long.getLong("gort.test.rehearsal.wait.ms", 15_000) * 1_000_000L;
            long warmDeadline = System.nanoTime() + 100_000_000_000L;
            while (!gc.coordinator.pausePathRehearsed && System.nanoTime() < warmDeadline) {
                Thread.sleep(1);
            }
            System.out.println("cycles=" + gc.cycles() + " rehearsed=" + gc.coordinator.pausePathRehearsed
                    + " rounds=" + PausePathRehearsal.roundsDone());
            int marked = 0;
            for (long o : objs) {
                if (heap.gc().isMarked(o)) {
                    marked++;
                }
            }
            System.out.println("own heap: sweepgen " + heap.gc().sweepgen() + ", marked " + marked + " of " + objs.length);
            List<String> missing = new ArrayList<>(REHEARSED);
            deadline = Math.max(deadline, System.nanoTime() + Math.min(3_000, Long.getLong("gort.test.rehearsal.wait.ms", 15_000)) * 1_000_000L);
            while (!missing.isEmpty() && System.nanoTime() < deadline) {      // the JIT compiles in the background
                String list = CompiledCode.codeList();
                missing.removeIf(meth -> {
                    int level = CompiledCode.level(list, meth);
                    if (level > 0) {
                        System.out.println("compiled " + meth + " level " + level);
                        return true;
                    }
                    return false;
                });
                Thread.sleep(50);
            }
            System.out.println("cycles at the end " + gc.cycles());
            gc.close();
            heap.close();
        }
    }
}
