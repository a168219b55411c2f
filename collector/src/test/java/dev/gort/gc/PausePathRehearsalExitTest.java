package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pause path rehearsal's ways out ({@link PausePathRehearsal}), each in a fresh child JVM (the
 * rehearsal is once per JVM): its scratch heap is unmapped whichever way it ends, and a failure
 * inside a round before gc 1 leaves the collector working.
 * <ul>
 * <li>The collector closes mid-rehearsal: before session 17 the scratch heap stayed mapped for the
 *     JVM's life (nothing else would come to finish the rounds).</li>
 * <li>A round throws an {@link Error} (not a RuntimeException) before gc 1: before session 17 it
 *     ended the coordinator thread, and a gc() then waited for ever.</li>
 * <li>A round throws an {@link InternalError} (the JVM reporting itself broken): not the
 *     rehearsal's to swallow; the collector's fatal path hands it to gc().</li>
 * </ul>
 */
class PausePathRehearsalExitTest {

    @Test
    void aCollectorClosedMidRehearsalUnmapsTheScratchHeap() throws Exception {
        String out = child("close", "-D" + PausePathRehearsal.PROPERTY + "=100000");
        assertTrue(out.contains("scratch heap mapped before the close: true"), "the check sees the mapped heap:\n" + out);
        assertTrue(out.contains("closed after rounds "), out);
        assertTrue(out.contains("scratch heap mapped after the close: false"), out);
        assertFalse(out.contains("an unrelated mapping at the base: true, read as the heap: true"),
                "a 1 MiB mapping at the heap's old base is not the heap:\n" + out);
    }

    @Test
    void anErrorInARoundBeforeTheFirstCycleLeavesTheCollectorWorking() throws Exception {
        String out = child("error");
        assertTrue(out.contains("rehearsal over: true"), out);
        assertTrue(out.contains("gc() returned, cycles 1"), out);
        assertTrue(out.contains("scratch heap mapped: false"), out);
        assertEquals(1, count(out, "gort: warning: the pause path's rehearsal failed and was left"), out);
        assertTrue(out.contains("java.lang.Error: rehearsal fault injected by the test"), out);
        assertFalse(out.contains("fatal error in the collector"), out);
    }

    @Test
    void anInternalErrorInARoundIsTheCollectorsFatalError() throws Exception {
        String out = child("internal");
        assertTrue(out.contains("gort: fatal error in the collector: java.lang.InternalError: rehearsal fault injected by the test"), out);
        assertTrue(out.contains("gc() threw java.lang.IllegalStateException: GC cycle failed; cause java.lang.InternalError"), out);
        assertTrue(out.contains("scratch heap mapped: false"), out);
        assertFalse(out.contains("rehearsal failed and was left"), out);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static String child(String mode, String... flags) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx128m"));
        String forced = System.getProperty("gort.gc.force");
        if (forced != null) {
            cmd.add("-Dgort.gc.force=" + forced);
        }
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Child.class.getName(), mode));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, p.exitValue(), "child failed:\n" + out);
        return out;
    }

    /**
     * Whether the scratch heap's whole arena, {@code [base, base + 8 MiB)}, is still mapped: this
     * process's mappings (/proc/self/maps: the kernel's view, not ours) cover it without a gap. Not
     * just its base: once the heap is unmapped the kernel may place an unrelated mapping (a thread's
     * stack, a malloc arena) in the hole it left, and a look at one address then read "still mapped".
     * Only a mapping of the whole 8 MiB at that spot could fool this.
     */
    static boolean mapped(long base) throws IOException {
        long end = base + PausePathRehearsal.SCRATCH_ARENA_BYTES;
        List<long[]> inRange = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            long lo = Long.parseUnsignedLong(line.substring(0, dash), 16);
            long hi = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
            if (Long.compareUnsigned(lo, end) < 0 && Long.compareUnsigned(hi, base) > 0) {
                inRange.add(new long[] {lo, hi});
            }
        }
        inRange.sort((x, y) -> Long.compareUnsigned(x[0], y[0]));
        long covered = base;            // the maps file lists mappings in address order; sorted to be sure
        for (long[] m : inRange) {
            if (Long.compareUnsigned(m[0], covered) > 0) {
                return false;           // a gap
            }
            if (Long.compareUnsigned(m[1], covered) > 0) {
                covered = m[1];
            }
        }
        return base != 0 && Long.compareUnsigned(covered, end) >= 0;
    }

    /**
     * {@code close}: a collector whose rehearsal (100000 rounds) is closed once its first chunk ran.
     * {@code error} / {@code internal}: the first round throws that; then a gc() from a helper
     * thread, bounded (without the containment it never returned). Waits are bounded by deadlines
     * long enough for a starved machine; the parent judges the printed lines.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            String mode = args[0];
            if (!mode.equals("close")) {
                PausePathRehearsal.failNextRoundForTest = mode.equals("internal")
                        ? new InternalError("rehearsal fault injected by the test")
                        : new Error("rehearsal fault injected by the test");
            }
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
            Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
            long deadline = System.nanoTime() + 60_000_000_000L;
            if (mode.equals("close")) {
                while (PausePathRehearsal.roundsDone() < PausePathRehearsal.CHUNK && System.nanoTime() - deadline < 0) {
                    Thread.sleep(1);
                }
                long base = PausePathRehearsal.scratchBaseForTest;
                System.out.println("scratch heap mapped before the close: " + (base != 0 && mapped(base)));
                gc.close();
                System.out.println("closed after rounds " + PausePathRehearsal.roundsDone());
                boolean still = mapped(base);
                for (long until = System.nanoTime() + 10_000_000_000L; still && System.nanoTime() - until < 0; still = mapped(base)) {
                    Thread.sleep(10);       // close joins the coordinator; allow for a join that gave up on a starved machine
                }
                System.out.println("scratch heap mapped after the close: " + still);
                if (!still) {
                    // An unrelated 1 MiB mapping in the hole the heap left (the base as a hint, as
                    // the kernel would place the next mapping there): it must not read as the heap.
                    dev.gort.sys.OsConstants k = dev.gort.sys.Platform.current().constants();
                    long m = dev.gort.sys.LibC.mmap(base, 1L << 20, k.PROT_NONE(), k.MAP_PRIVATE() | k.MAP_ANONYMOUS()
                            | k.MAP_NORESERVE(), -1, 0L);
                    System.out.println("an unrelated mapping at the base: " + (m == base) + ", read as the heap: " + mapped(base));
                    dev.gort.sys.LibC.munmap(m, 1L << 20);
                }
                heap.close();
                return;
            }
            while (!gc.coordinator.pausePathRehearsed && gc.coordinator.thread.isAlive() && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
            }
            System.out.println("rehearsal over: " + gc.coordinator.pausePathRehearsed + ", coordinator alive: " + gc.coordinator.thread.isAlive());
            String[] result = new String[1];
            Thread caller = Thread.ofPlatform().daemon().start(() -> {
                try {
                    gc.gc();
                    result[0] = "gc() returned, cycles " + gc.cycles();
                } catch (RuntimeException e) {
                    result[0] = "gc() threw " + e + "; cause " + e.getCause();
                }
            });
            caller.join(60_000);
            System.out.println(caller.isAlive() ? "gc() did not return within 60 s" : result[0]);
            System.out.println("scratch heap mapped: " + mapped(PausePathRehearsal.scratchBaseForTest));
            if (!caller.isAlive()) {
                gc.close();
                heap.close();
            }
            System.out.flush();
            System.exit(0);     // a gc() still waiting would keep nothing alive (daemon), but be plain about it
        }
    }
}
