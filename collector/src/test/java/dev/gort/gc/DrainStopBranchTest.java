package dev.gort.gc;

import dev.gort.testing.CompiledCode;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A drain compiled by C2 before any stop reached one answers its first stop without a
 * deoptimization. C2 compiles a branch its profile never saw taken as an uncommon trap; the
 * drain's "stop requested" exit was such a branch (a look of its own at the drain's start, and
 * {@code ||} after the budget test), and the first stop that found an assist draining deoptimized
 * the drain on its way to the safepoint (a 0.4-2.1 ms pause in the 1 GiB goroutine world,
 * docs/performance.md session 21 pd99, session 22 pd1g). Now the stop shares the budget's exit,
 * which every drain that used its budget took. A fresh child JVM, C2 only and compiling in the
 * foreground ({@code -XX:-TieredCompilation -Xbatch}), drains a chain in 1 KiB budgets with the
 * stop never requested until C2 has the drain, then drains with a stop pending, logging its
 * deoptimizations ({@code -Xlog:deoptimization=debug}): none may be the drain's. Fails on the
 * drain before session 22 ("Marker.drain ... unstable_if").
 */
class DrainStopBranchTest {

    @Test
    void aDrainCompiledBeforeAnyStopAnswersTheFirstOneWithoutATrap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx128m", "-XX:-TieredCompilation", "-Xbatch",
                "-Xlog:deoptimization=debug:stdout:none", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Child.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = ChildOutput.await(p, 300);
        String r = "child said:\n" + out;
        assertEquals(0, p.exitValue(), r);
        assertTrue(out.contains("drain compiled=true"), "C2 had not compiled Marker.drain after the training rounds; " + r);
        int from = out.indexOf("stop start");
        int to = out.indexOf("stop end");
        assertTrue(from >= 0 && to > from, r);
        assertTrue(out.contains("stop end scanned=0 left=true"), "the drain did not stop at once for the pending stop; " + r);
        List<String> traps = out.substring(from, to).lines()
                .filter(l -> l.contains("trap_bci") && l.contains("dev.gort.gc.Marker.drain(")).toList();
        assertTrue(traps.isEmpty(), "the compiled drain trapped at its first stop: " + traps + "\n" + r);
    }

    /**
     * Trains {@link Marker#drain} on a chain of nodes (a simple heap, marks cleared each round) in
     * 1 KiB budgets with a stop supplier that says no, until C2 has compiled the drain, then asks
     * it once more with the stop pending.
     */
    public static final class Child {
        static final Type NODE = Type.struct("ChainNode").pointer("next").pointer("other").build();
        static final long NEXT = NODE.offset("next");
        static volatile boolean stop;

        public static void main(String[] args) throws Exception {
            try (SimpleMarkHeap heap = new SimpleMarkHeap(8 << 20);
                 WorkbufPool pool = new WorkbufPool(PosixOsMemory.get(), 16 << 20);
                 GlobalRoots roots = new GlobalRoots(PosixOsMemory.get(), 1 << 20)) {
                Marker marker = new Marker(heap);
                long head = 0;
                for (int i = 0; i < 2048; i++) {
                    long n = heap.alloc(NODE);
                    Mem.storePtr(n, NEXT, head);
                    head = n;
                }
                Global.of(roots).set(head);
                BooleanSupplier stopRequested = () -> stop;
                GcWork w = new GcWork(pool);
                boolean compiled = false;
                for (int round = 0; round < 4000 && !compiled; round++) {
                    heap.clearMarks();
                    marker.scanRootSlots(roots.slotAddress(0), roots.highWater(), "global", w);
                    while (marker.drain(w, 1024, stopRequested) > 0 || !w.empty()) {
                        // the whole chain, 1 KiB at a time: every drain but the last ends on its budget
                    }
                    if (round % 50 == 49) {
                        compiled = CompiledCode.level(CompiledCode.codeList(),
                                "dev.gort.gc.Marker.drain(Ldev/gort/gc/GcWork;JLjava/util/function/BooleanSupplier;)J") > 0;
                    }
                }
                System.out.println("drain compiled=" + compiled);
                heap.clearMarks();
                marker.scanRootSlots(roots.slotAddress(0), roots.highWater(), "global", w);
                System.out.println("stop start");
                stop = true;
                long scanned = marker.drain(w, 1024, stopRequested);
                System.out.println("stop end scanned=" + scanned + " left=" + !w.empty());
                stop = false;
                while (marker.drain(w, Long.MAX_VALUE, stopRequested) > 0 || !w.empty()) {
                    // empty the work buffer before the pool closes
                }
                w.dispose();
            }
        }
    }
}
