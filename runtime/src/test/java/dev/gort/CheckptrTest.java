package dev.gort;

import dev.gort.testing.ChildJvm;
import dev.gort.gc.Mem;
import dev.gort.gc.Type;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GORT_DEBUG=checkptr=1: Mem accessors given an address whose heap was closed (kept past
 * Gort.run) or that never was a heap address throw IllegalStateException naming the address; the
 * JVM goes on. Without it the same read after the run is a SIGSEGV (the arena is unmapped): the
 * accessors are C-like by default, and the second child JVM shows what checkptr saves.
 */
class CheckptrTest {
    /** The child program: exit 0 and one line per check when every expectation held. */
    public static final class Child {
        public static void main(String[] args) {
            long[] obj = new long[1];
            int code = Gort.run(new String[0], a -> {
                long p = Gort.collector().alloc(Type.LONG);
                Mem.putLong(p, 0, 42);
                obj[0] = p;
                System.out.println("inside: " + Mem.getLong(p, 0));
                if (Mem.checkptr()) {
                    try {
                        Mem.getLong(0x1000, 0);
                        System.out.println("FAIL: a non-heap address was read");
                    } catch (IllegalStateException e) {
                        System.out.println("non-heap: " + e.getMessage());
                    }
                    plainThreadStores(p);
                }
            });
            System.out.println("run returned " + code);
            try {
                System.out.println("after: " + Mem.getLong(obj[0], 0));
            } catch (IllegalStateException e) {
                System.out.println("after run: " + e.getMessage());
            }
            System.out.println("JVM alive");
        }
    }

    /**
     * checkptr also checks the store rule: a plain thread's pointer stores (Global.set, Mem.storePtr)
     * are refused, naming the thread; letting go (Global.close) is allowed from any thread.
     */
    static void plainThreadStores(long p0) {
        try (dev.gort.sched.Frame f = dev.gort.sched.Frame.push(2)) {     // both rooted across the syscall below
            f.set(0, p0);
            dev.gort.gc.Global g = Gort.collector().newGlobal();
            f.set(1, Gort.collector().alloc(Type.POINTER));
            plainThreadStores(f, g);
        }
    }

    static void plainThreadStores(dev.gort.sched.Frame f, dev.gort.gc.Global g) {
        long p = f.get(0);
        long holder = f.get(1);
        Thread t = new Thread(() -> {
            try {
                g.set(p);
                System.out.println("FAIL: a plain thread's Global.set was let through");
            } catch (IllegalStateException e) {
                System.out.println("plain set: " + e.getMessage());
            }
            try {
                Mem.storePtr(holder, 0, p);
                System.out.println("FAIL: a plain thread's Mem.storePtr was let through");
            } catch (IllegalStateException e) {
                System.out.println("plain storePtr: " + e.getMessage());
            }
            g.close();
            System.out.println("plain close: ok");
        }, "plain-storer");
        t.start();
        Gort.syscall(() -> {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Mem.storePtr(f.get(1), 0, f.get(0));    // the goroutine itself may
        System.out.println("goroutine storePtr: " + (Mem.loadPtr(f.get(1), 0) == f.get(0) ? "ok" : "FAIL"));
    }

    @Test
    void withCheckptrAnAddressKeptPastTheRunFailsClearly() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.GORT_FLAGS, Map.of("GORT_DEBUG", "checkptr=1"), Child.class.getName());
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("inside: 42"), r.toString());
        assertTrue(r.stdout().contains("non-heap: Mem.getLong: address 0x1000 (8 bytes) is not in the arena of an open gort heap"),
                r.toString());
        assertTrue(r.stdout().contains("after run: Mem.getLong: address 0x"), r.toString());
        assertTrue(r.stdout().contains("its heap was closed (the runtime or collector ended)"), r.toString());
        assertTrue(r.stdout().contains("accepted: addresses of objects from Collector.alloc while their heap is open"), r.toString());
        assertTrue(r.stdout().contains("JVM alive"), r.toString());
        assertFalse(r.stderr().contains("checkptr=1 takes effect only"), "set in the environment: no warning\n" + r);
        assertTrue(r.stdout().contains("plain set: Global.set on plain-storer, a thread the collector's stop-the-world does not stop"),
                r.toString());
        assertTrue(r.stdout().contains("plain storePtr: Mem.storePtr on plain-storer"), r.toString());
        assertTrue(r.stdout().contains("plain close: ok") && r.stdout().contains("goroutine storePtr: ok"), r.toString());
        assertFalse(r.stdout().contains("FAIL"), r.toString());
    }

    @Test
    void withoutCheckptrTheSameReadIsASigsegv() throws Exception {
        Path dir = Files.createTempDirectory("gort-checkptr");
        try {
            List<String> flags = new ArrayList<>(ChildJvm.GORT_FLAGS);
            flags.add("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"));
            flags.add("-XX:-CreateCoredumpOnCrash");
            ChildJvm.Result r = ChildJvm.run(flags, Map.of(), Child.class.getName());
            assertTrue(r.stdout().contains("inside: 42") && r.stdout().contains("run returned 0"), r.toString());
            assertNotEquals(0, r.exitCode(), r.toString());
            assertFalse(r.stdout().contains("JVM alive"), r.toString());
            assertTrue((r.stdout() + r.stderr()).contains("SIGSEGV"), r.toString());
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void checkptrInInjectedSettingsWarnsThatItDoesNotApply() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        assertEquals(0, Gort.run(new String[0], a -> { }, new Gort.Options()
                .settings(Map.of("GORT_DEBUG", "checkptr=1"), Map.of())
                .stderr(new java.io.PrintStream(err, true))));
        if (!Mem.checkptr()) {
            assertTrue(err.toString().contains("GORT_DEBUG=checkptr=1 takes effect only from the process environment"), err.toString());
        }
    }
}
