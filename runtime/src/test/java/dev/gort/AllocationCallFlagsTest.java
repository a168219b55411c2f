package dev.gort;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Mem;
import dev.gort.gc.Mutator;
import dev.gort.gc.RootSlots;
import dev.gort.gc.Type;
import dev.gort.sys.PosixOsMemory;
import dev.gort.testing.Launcher;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link JvmFlags#ALLOCATION_CALL} names a method that exists, C2 honours it (a C2-compiled
 * allocating caller calls {@code Collector.allocFor} instead of inlining it), and every place gort
 * starts a JVM passes it.
 */
class AllocationCallFlagsTest {
    /** Child main: a recursive allocating caller, as binary-trees' tree(), run until C2 compiles it. */
    public static final class Probe {
        static final Type NODE = Type.struct("ProbeNode").pointer("left").pointer("right").build();
        static final long LEFT = NODE.offset("left");
        static final long RIGHT = NODE.offset("right");

        public static void main(String[] args) {
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
            Mutator m = gc.threadWorld().register(16);
            long nodes = 0;
            for (int i = 0; i < 400; i++) {
                nodes += count(tree(gc, m, m.roots(), 10));
            }
            System.out.println("probe nodes " + nodes);
        }

        static long tree(Collector gc, Mutator m, RootSlots roots, int d) {
            long node = gc.alloc(m, NODE);
            if (d > 0) {
                roots.set(d, node);
                Mem.storePtr(node, LEFT, tree(gc, m, roots, d - 1));
                Mem.storePtr(node, RIGHT, tree(gc, m, roots, d - 1));
                roots.set(d, 0);
            }
            return node;
        }

        static long count(long node) {
            long l = Mem.loadPtr(node, LEFT);
            return l == 0 ? 1 : 1 + count(l) + count(Mem.loadPtr(node, RIGHT));
        }
    }

    @Test
    void theNamedMethodExists() throws Exception {
        String command = JvmFlags.ALLOCATION_CALL.getLast();
        String target = command.substring(command.indexOf(',') + 1);
        assertEquals("dev.gort.gc.Collector::allocFor", target);
        assertNotNull(Collector.class.getDeclaredMethod("allocFor", Mutator.class, Type.class),
                "renaming Collector.allocFor silently drops the flag's effect: rename it in JvmFlags.ALLOCATION_CALL, "
                        + "the launcher and the root pom too");
    }

    @Test
    void c2CallsTheAllocationInsteadOfInliningIt() throws Exception {
        // One compiler thread (C2 only): PrintInlining's lines of two compiler threads interleave,
        // and a decision cut before its reason read as "inlined" (failed once in markcost's suite).
        List<String> flags = new ArrayList<>(List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+PrintInlining", "-Xbatch",
                "-XX:-TieredCompilation", "-XX:CICompilerCount=1"));
        flags.addAll(JvmFlags.ALLOCATION_CALL);
        String out = runProbe(flags);
        List<String> decisions = out.lines().filter(l -> l.contains("dev.gort.gc.Collector::allocFor")).toList();
        assertFalse(decisions.isEmpty(), "no inlining decision about Collector::allocFor printed:\n" + out);
        for (String d : decisions) {
            assertTrue(d.contains("disallowed by CompileCommand"), "allocFor inlined despite the flag: " + d);
        }
        assertTrue(out.lines().anyMatch(l -> l.contains("dev.gort.gc.Collector::alloc (") && l.contains("inline")),
                "the caller's compilations did not reach the allocation (nothing shows the flag acting):\n" + out);
    }

    @Test
    void surefirePassesTheFlags() {
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assertTrue(args.containsAll(JvmFlags.ALLOCATION_CALL), "this test JVM's arguments " + args
                + " lack " + JvmFlags.ALLOCATION_CALL + " (the root pom's gort.jvm.flags)");
    }

    @Test
    void theLauncherPassesTheFlags() throws Exception {
        String script = Files.readString(Launcher.GORT, StandardCharsets.UTF_8);
        int start = script.indexOf("GORT_JVM_FLAGS=(");
        assertTrue(start >= 0, "no GORT_JVM_FLAGS in " + Launcher.GORT);
        String array = script.substring(start, script.indexOf(')', start));
        for (String flag : JvmFlags.ALLOCATION_CALL) {
            assertTrue(array.contains(flag), "the launcher's GORT_JVM_FLAGS lack " + flag + ": " + array);
        }
    }

    /** The probe in a child JVM with C2 (ChildJvm stops at C1), the forced GC mode passed on; its stdout. */
    private static String runProbe(List<String> extra) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, JvmFlags.NATIVE_ACCESS, "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx128m"));
        cmd.addAll(dev.gort.sys.ForcedGcModes.get().childJvmFlags());
        cmd.addAll(extra);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        for (String k : List.of("GOGC", "GOMEMLIMIT", "GORT_DEBUG", "JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS")) {
            pb.environment().remove(k);
        }
        File out = File.createTempFile("gort-alloccall", ".out");
        try {
            Process p = pb.redirectErrorStream(true).redirectOutput(out).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("probe did not finish within 120 s: " + cmd);
            }
            String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), text);
            assertTrue(text.contains("probe nodes " + 400L * 2047), text);
            return text;
        } finally {
            out.delete();
        }
    }
}
