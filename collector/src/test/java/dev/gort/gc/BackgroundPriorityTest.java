package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.CpuAffinity;
import dev.gort.sys.Platform;
import dev.gort.sys.PosixOsMemory;
import dev.gort.sys.ThreadPriority;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Asked to ({@code -Dgort.gc.background.priority}; here {@link Collector#backgroundPriority} around
 * the construction), the collector's background platform threads lower their own OS priority, and
 * nothing else does: the mutators, the coordinator (the stopper) and, under the scheduler, the Ms
 * that run the worker goroutines stay at normal priority. By default nothing is lowered. Read back
 * per thread with sched_getattr (ThreadPriority.of). Linux only: on other systems the priorities
 * cannot be read back per thread and the tests return early.
 */
class BackgroundPriorityTest {

    /** Runs {@code body} with collectors created inside it applying {@code b}. */
    private static void withPriority(ThreadPriority.Background b, Runnable body) {
        ThreadPriority.Background saved = Collector.backgroundPriority;
        Collector.backgroundPriority = b;
        try {
            body.run();
        } finally {
            Collector.backgroundPriority = saved;
        }
    }

    /**
     * "Normal" priority: the process's own, as every JVM thread inherits it (SCHED_OTHER nice 0,
     * or nice 10 when the suite runs under {@code nice -n 10} as on the shared build machine), read
     * by the thread that loads this class: the test runner's, which nothing here lowers.
     */
    private static final ThreadPriority.Setting NORMAL = Platform.current().isLinux() ? ThreadPriority.current() : null;

    private static ThreadPriority.Setting normal() {
        assertEquals(ThreadPriority.SCHED_OTHER, NORMAL.policy(), "the test JVM runs at SCHED_OTHER: " + NORMAL);
        return NORMAL;
    }

    private static boolean matches(ThreadPriority.Setting s, ThreadPriority.Background b) {
        if (b.isNormal()) {
            return s.equals(normal());
        }
        return b.policy() == ThreadPriority.SCHED_IDLE ? s.isIdle() : s.policy() == ThreadPriority.SCHED_OTHER && s.nice() == b.nice();
    }

    /** Waits until every background thread has recorded its tid, then returns the records "name tid setting". */
    private static List<String> started(Collector gc) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            List<String> rows = gc.backgroundThreadsForTest();
            if (rows.stream().noneMatch(r -> r.split(" ")[1].equals("0")) || System.nanoTime() > deadline) {
                return rows;
            }
            Thread.sleep(5);
        }
    }

    @Test
    void threadWorldWorkersAndSweeperRunLoweredAndTheMutatorDoesNot() {
        withPriority(ThreadPriority.Background.IDLE, () -> threadWorld(ThreadPriority.Background.IDLE));
        withPriority(ThreadPriority.Background.nice(11), () -> threadWorld(ThreadPriority.Background.nice(11)));
    }

    @Test
    void byDefaultNothingIsLowered() {
        assertEquals("normal", System.getProperty("gort.gc.background.priority", "normal"), "this test reads the default");
        assertTrue(Collector.BACKGROUND_PRIORITY.isNormal());
        withPriority(Collector.BACKGROUND_PRIORITY, () -> threadWorld(ThreadPriority.Background.NORMAL));
    }

    private void threadWorld(ThreadPriority.Background expected) {
        if (!Platform.current().isLinux()) {
            return;
        }
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        boolean registered = false;
        try {
            var m = gc.threadWorld().register(4);
            registered = true;
            List<String> rows = started(gc);
            assertEquals(3, rows.size(), "two worker threads and the sweeper: " + rows);
            for (String row : rows) {
                int tid = Integer.parseInt(row.split(" ")[1]);
                assertTrue(tid > 0, "started: " + row);
                ThreadPriority.Setting s = ThreadPriority.of(tid);
                assertNotNull(s, row);
                assertTrue(matches(s, expected), row + " read back " + s + ", expected " + expected);
            }
            // A few cycles with marking: the workers ran, and the mutator is still at normal priority.
            // (Not with idle workers: on a loaded machine they may get almost no CPU, and the test
            // would wait for their marking.)
            for (int i = 0; i < (expected.policy() == ThreadPriority.SCHED_IDLE ? 0 : 3); i++) {
                m.roots().set(0, gc.alloc(CollectorTest.NODE));
                gc.gc();
            }
            assertEquals(normal(), ThreadPriority.current(), "the mutator thread");
            assertEquals(normal(), ThreadPriority.of(coordinatorTid()),
                    "the coordinator stops the world: it must win a CPU when woken");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            // Unregistered before the close in every case: a heap closed under a registered mutator
            // refuses, and that refusal would hide the assertion that failed (session 19, loaded suite).
            if (registered) {
                gc.threadWorld().unregister();
            }
            gc.close();
            heap.close();
        }
    }

    /**
     * Under the scheduler the mark workers and the background sweeper are goroutines run by the Ms
     * that also run user code: the collector has no background platform thread to lower, and after
     * cycles in which workers and the sweeper ran every thread is still at normal priority
     * (nothing was lowered that would have to be raised back).
     */
    @Test
    void underTheSchedulerNothingIsLowered() {
        if (!Platform.current().isLinux()) {
            return;
        }
        withPriority(ThreadPriority.Background.IDLE, this::underTheScheduler);
    }

    private void underTheScheduler() {
        List<String> lowered = new ArrayList<>();
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            assertEquals(List.of(), gc.backgroundThreadsForTest(), "no background platform thread under the scheduler");
            try (dev.gort.sched.Frame f = dev.gort.sched.Frame.push(1)) {
                for (int i = 0; i < 4; i++) {
                    f.set(0, gc.alloc(CollectorTest.NODE));
                    gc.gc();
                }
            }
            assertTrue(gc.markWorkerStats().goroutines(), "worker goroutines ran");
            assertNotNull(gc.sweeperGoroutine().goroutine(), "the sweeper goroutine ran");
            lowered.addAll(loweredThreads());
        });
        // A ThreadWorld collector of an earlier test in this JVM may still be joining its threads.
        lowered.removeIf(r -> r.split(" ", 3)[1].startsWith("gort-bgsweep") || r.split(" ", 3)[1].startsWith("gort-gc-worker"));
        assertEquals(List.of(), lowered, "threads running lowered under the scheduler (the Ms run the sweeper and the workers)");
    }

    /** -Dgort.gc.stopperslice.us: 0 (off) or Linux's slice range in microseconds; anything else warns and means off. */
    @Test
    void stopperSliceValuesAreCheckedAndBadOnesMeanOff() {
        String name = "gort.gc.stopperslice.us";
        String saved = System.getProperty(name);
        try {
            String[][] cases = {{"0", "0"}, {"100", "100000"}, {"2500", "2500000"}, {"100000", "100000000"},
                                {"50", "0"}, {"1", "0"}, {"100001", "0"}, {"-5", "0"}, {"fast", "0"}, {"", "0"}};
            for (String[] c : cases) {
                System.setProperty(name, c[0]);
                assertEquals(Long.parseLong(c[1]), Coordinator.stopperSlice(), "-D" + name + "=" + c[0]);
            }
            System.clearProperty(name);
            assertEquals(0, Coordinator.stopperSlice(), "unset: off");
        } finally {
            if (saved == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, saved);
            }
        }
    }

    /** "tid comm setting" of every thread of this JVM that does not run at {@link #normal()} (the JVM's own threads included). */
    private static List<String> loweredThreads() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path p : ds) {
                int tid = Integer.parseInt(p.getFileName().toString());
                ThreadPriority.Setting s = ThreadPriority.of(tid);
                if (s != null && !s.equals(normal())) {
                    String comm;
                    try {
                        comm = Files.readString(p.resolve("comm")).trim();
                    } catch (IOException e) {
                        continue;       // exited meanwhile
                    }
                    out.add(tid + " " + comm + " " + s);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    private static int coordinatorTid() {
        // The coordinator is named gort-gc; several collectors may live in this JVM, so take any
        // live one: none of them may be lowered.
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path p : ds) {
                String comm;
                try {
                    comm = Files.readString(p.resolve("comm")).trim();
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue;       // exited after the listing (the coordinator's warm-up helper, say)
                }
                if (comm.equals("gort-gc")) {
                    return Integer.parseInt(p.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no gort-gc thread (tid of this one: " + CpuAffinity.threadId() + ")");
    }
}
