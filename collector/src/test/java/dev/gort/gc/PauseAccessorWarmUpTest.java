package dev.gort.gc;

import dev.gort.testing.CompiledCode;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sched.FatalHandler;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * In the goroutine world the coordinator's top-ups compile the per-P read that mark completion's
 * flush and mark termination's stats step make ({@code SchedWorld.mutatorAt}) and the JFR events'
 * constructor ({@code jdk.jfr.Event.<init>}) after the first cycle. A few calls a cycle, they
 * otherwise crossed C1's threshold at a fixed cycle, inside or just before a pause, and the
 * compiler thread ran beside it (the 1 GiB goroutine world's gc 51-64 "stats" / "flush" steps of
 * 0.55-0.8 ms, gc 85's; session 22, pd1g). A fresh child JVM (compiled code is per JVM) runs
 * three forced cycles and lists the compiled code; the same child with the rehearsal and top-ups
 * off ({@code -Dgort.gc.pausewarmup=0}) shows the cycles alone leave them uncompiled.
 */
class PauseAccessorWarmUpTest {

    static final List<String> WARMED = List.of(
            "dev.gort.gc.SchedWorld.mutatorAt(I)Ldev/gort/gc/Mutator;",
            "jdk.jfr.Event.<init>()V");

    @Test
    void theTopUpsCompileThePerPReadsAndTheEventConstructor() throws Exception {
        String out = child(List.of());
        for (String m : WARMED) {
            assertTrue(out.contains("compiled " + m), m + " was not compiled after the first cycles' top-ups; child said:\n" + out);
        }
    }

    @Test
    void withoutTheTopUpsThreeCyclesLeaveThemUncompiled() throws Exception {
        String out = child(List.of("-Dgort.gc.pausewarmup=0"));
        for (String m : WARMED) {
            assertTrue(out.contains("not compiled " + m), m + " was compiled with the top-ups off (the test shows nothing); child said:\n" + out);
        }
    }

    private static String child(List<String> extra) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx128m"));
        cmd.addAll(extra);
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Child.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = ChildOutput.await(p, 300);
        assertEquals(0, p.exitValue(), "child failed:\n" + out);
        assertTrue(out.contains("cycles done"), out);
        return out;
    }

    /**
     * A goroutine world (GOMAXPROCS 2) whose main goroutine runs three forced cycles, then lists
     * which WARMED methods have compiled code, waiting up to 15 s for them (the JIT compiles in the
     * background; with the top-ups off it waits 2 s and finds none).
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
            Scheduler sched = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).heap(heap).fatalHandler(FatalHandler.THROW));
            WorkbufPool pool = new WorkbufPool();
            GlobalRoots globals = new GlobalRoots();
            Collector gc = new Collector(heap, new SchedWorld(sched, pool), pool, globals, GcOptions.DEFAULT);
            boolean topUps = PausePathRehearsal.ROUNDS > 0;
            try {
                sched.run(() -> {
                    for (int i = 0; i < 3; i++) {
                        gc.gc();
                    }
                    System.out.println("cycles done " + gc.cycles());
                    try {
                        List<String> missing = new ArrayList<>(WARMED);
                        long deadline = System.nanoTime() + (topUps ? 15_000_000_000L : 2_000_000_000L);
                        while (!missing.isEmpty() && System.nanoTime() < deadline) {
                            String list = CompiledCode.codeList();
                            missing.removeIf(m -> {
                                if (CompiledCode.level(list, m) > 0) {
                                    System.out.println("compiled " + m);
                                    return true;
                                }
                                return false;
                            });
                            Thread.sleep(50);
                        }
                        for (String m : missing) {
                            System.out.println("not compiled " + m);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
            } finally {
                gc.close();
                globals.close();
                pool.close();
                heap.close();
            }
        }
    }
}
