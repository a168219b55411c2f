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
 * The coordinator runs the pause path's lock handling (the store gate's Semaphore, the world's
 * lock) until the JIT has compiled gort's methods around them, before its first cycle: otherwise those methods crossed the JIT's
 * thresholds mid-run, and the compile request made inside a pause woke a compiler thread that took
 * the coordinator's CPU (binary-trees 21's 2-3 ms "setup" step at gc 53-96). What the JIT compiled
 * is per JVM, so the check runs in a fresh child JVM where nothing else has used these methods;
 * without the warm-up none of them is compiled at all before the first cycle. The check asks for
 * compiled code at any tier: C2's own threshold is scaled up while its queue is long (a loaded
 * machine's start-up), and at load 17 C2 had not reached them 15 s after start.
 */
class PausePathWarmUpTest {

    /**
     * Methods of the pause path the warm-up must leave compiled, as the JVM's code list names
     * them: gort's own callers of the locks, which inline the java.util.concurrent methods. (Those
     * methods' own compiled code is shared with every other user in the JVM, and is deoptimized
     * when one of them brings a new type or a contended path: seen in this child right after the
     * warm-up, ReentrantLock.lock "made not entrant: uncommon trap"; it is not checked here.)
     */
    static final List<String> WARMED = List.of(
            "dev.gort.gc.StoreGate.awaitFree()V",
            "dev.gort.gc.StoreGate.acquire()V",
            "dev.gort.gc.StoreGate.release()V",
            "dev.gort.gc.ThreadWorld.allStopped(Ldev/gort/gc/Mutator;)Z",
            "dev.gort.gc.ThreadWorld.updateFlagsLocked()V");

    @Test
    void thePausePathsLockHandlingIsCompiledBeforeTheFirstCycle() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx128m", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Child.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, p.exitValue(), "child failed:\n" + out);
        assertTrue(out.contains("cycles=0 warm=true"), out);
        for (String m : WARMED) {
            assertTrue(out.contains("compiled " + m), m + " was not compiled before the first cycle; child said:\n" + out);
        }
    }

    /**
     * Makes a collector over threads, waits for its warm-up, then prints the WARMED methods the JIT
     * compiled (within 15 s of start, 3 s at least after the warm-up). The warm-up itself may take
     * up to 120 s: its 2 x 30,000 rounds start in the interpreter, ~75 ms at load 10, but more than
     * 15 s in a child JVM at autogroup nice 19 and load ~30 (session 13: "warm=false" with all five
     * methods compiled); the bound only keeps a warm-up that never ends from hanging the test.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 28), PosixOsMemory.get());
            Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
            long deadline = System.nanoTime() + 60_000_000_000L;
            long warmDeadline = System.nanoTime() + 120_000_000_000L;
            while (!gc.coordinator.pausePathWarm && System.nanoTime() < warmDeadline) {
                Thread.sleep(1);
            }
            System.out.println("cycles=" + gc.cycles() + " warm=" + gc.coordinator.pausePathWarm);
            List<String> missing = new ArrayList<>(WARMED);
            deadline = Math.max(deadline, System.nanoTime() + 3_000_000_000L);
            while (!missing.isEmpty() && System.nanoTime() < deadline) {      // the JIT compiles in the background
                String list = CompiledCode.codeList();
                missing.removeIf(m -> {
                    int level = CompiledCode.level(list, m);
                    if (level > 0) {
                        System.out.println("compiled " + m + " level " + level);
                        return true;
                    }
                    return false;
                });
                Thread.sleep(50);
            }
            gc.close();
            heap.close();
        }
    }
}
