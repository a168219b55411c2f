package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.ForcedGcModes;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code -Dgort.gc.force} (TESTING.md G2): a Collector built with {@link GcOptions#DEFAULT} runs in
 * the forced mode, and a Heap built without clobber-free poisons what the sweep frees. The
 * property is read once per JVM, so each case runs in a child JVM of its own.
 */
class ForcedModesTest {

    @Test
    void optionsAreAppliedOnTopOfTheBuiltOnes() {
        GcOptions built = GcOptions.DEFAULT.withDebug(true, false, false, 7, 1).withGcPercent(50);
        assertSame(built, built.withForcedModes(ForcedGcModes.NONE));
        GcOptions f = built.withForcedModes(new ForcedGcModes(1, 2, 1));
        assertTrue(f.gccheckmark() && f.gcpoison());
        assertEquals(2, f.gcstoptheworld());
        // What is not a forced mode is kept.
        assertTrue(f.gctrace());
        assertEquals(7, f.gcstress());
        assertEquals(50, f.gcPercent());
        assertEquals(built.memoryLimit(), f.memoryLimit());
        assertEquals(built.invalidptr(), f.invalidptr());
        // A forced 0 turns a built mode off; an unforced key leaves it alone.
        GcOptions off = GcOptions.DEFAULT.withDebug(false, true, false, 0, 2)
                .withForcedModes(new ForcedGcModes(0, ForcedGcModes.UNSET, ForcedGcModes.UNSET));
        assertFalse(off.gccheckmark());
        assertEquals(2, off.gcstoptheworld());
    }

    @Test
    void everyCollectorAndHeapOfTheJvmHonoursTheProperty() throws Exception {
        List<String> forced = child("-Dgort.gc.force=gccheckmark=1,gcstoptheworld=2,gcpoison=1");
        assertEquals(List.of("checkmark=true stw=2 poison=true", "freed slot poisoned=true", "cycles=2"), forced);

        List<String> plain = child(null);
        assertEquals(List.of("checkmark=false stw=0 poison=false", "freed slot poisoned=false", "cycles=2"), plain);

        // A refused entry warns (on stderr, kept apart here) and the rest still applies.
        List<String> partly = child("-Dgort.gc.force=gcstoptheworld=1,gcpoison=yes");
        assertEquals(List.of("checkmark=false stw=1 poison=false", "freed slot poisoned=false", "cycles=2"), partly);
    }

    /** Runs {@link Child} with gort's flags and {@code property} (null: none); its stdout lines. */
    private static List<String> child(String property) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx128m"));
        if (property != null) {
            cmd.add(property);
        }
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Child.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, p.exitValue(), "child failed; stdout:\n" + out + "\nstderr:\n" + err);
        if (property != null && property.contains("yes")) {
            assertTrue(err.contains("entry 'gcpoison=yes' has a value outside 0..1 and is ignored"), err);
        } else {
            assertEquals("", err, "nothing is printed when the property is unset or fully accepted");
        }
        return out.lines().toList();
    }

    /** Builds a heap and a collector with the defaults, frees one object, and prints what ran. */
    public static final class Child {
        public static void main(String[] args) {
            Type node = dev.gort.gc.stress.GraphModel.NODE;
            long id = node.offset("id");
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
            Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
            ThreadWorld world = gc.threadWorld();
            Mutator m = world.register(4);
            GcOptions o = gc.options();
            System.out.println("checkmark=" + o.gccheckmark() + " stw=" + o.gcstoptheworld() + " poison=" + o.gcpoison());
            long kept = gc.alloc(node);
            m.roots().set(0, kept);
            long garbage = gc.alloc(node);
            Mem.putLong(garbage, id, 42);
            gc.gc();
            gc.gc();
            if (heap.gc().findObject(garbage) != 0 || heap.gc().findObject(kept) == 0) {
                throw new AssertionError("the cycle freed the wrong object");
            }
            // gc() returns after the sweep: under gcpoison the freed slot holds the 0xDF fill.
            System.out.println("freed slot poisoned=" + (Mem.getLong(garbage, id) == 0xDFDFDFDFDFDFDFDFL));
            System.out.println("cycles=" + gc.gcStats().numGC());
            world.unregister();
            gc.close();
            heap.close();
        }
    }
}
