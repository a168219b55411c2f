package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.Platform;
import dev.gort.sys.PosixOsMemory;
import dev.gort.sys.RealtimeBoost;
import dev.gort.sys.ThreadPriority;
import dev.gort.testing.FreshThread;
import dev.gort.testing.ThreadCapabilities;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The coordinator's SCHED_FIFO boost over pauses ({@code -Dgort.gc.stopper.rtprio}; here
 * {@link StopperBoost#priorityForNewCollectors} around the construction): off by default; when on, raised
 * for each pause and normal between them; refused by the kernel (a thread without CAP_SYS_NICE),
 * it says why and the coordinator runs unboosted.
 */
class StopperBoostTest {

    @Test
    void byDefaultTheCoordinatorIsNeverBoosted() {
        Assumptions.assumeTrue(System.getProperty(StopperBoost.PROPERTY) == null, "this test reads the default");
        assertEquals(0, StopperBoost.PRIORITY);
        assertEquals(0, StopperBoost.priorityForNewCollectors);
        cycles(0, gc -> {
            assertFalse(gc.stopperBoostForTest().active());
            assertFalse(gc.threadWorld().mutatorBoostOnForTest());
            assertEquals(0, gc.stopperBoostForTest().raises());
            assertEquals(0, gc.realtimeStops(), "the public count says no stop was boosted");
            assertNull(gc.stopperBoostForTest().refusal());
        });
    }

    @Test
    void aBoostedCoordinatorIsRaisedForEachPauseAndNormalBetweenThem() {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        cycles(4, gc -> {
            Assumptions.assumeTrue(gc.stopperBoostForTest().refusal() == null, () -> "refused here: " + gc.stopperBoostForTest().refusal());
            assertTrue(gc.stopperBoostForTest().active());
            assertTrue(gc.stopperBoostForTest().raises() >= 3, "a pause or two a cycle (one under gcstoptheworld), three cycles: raised "
                    + gc.stopperBoostForTest().raises() + " times");
            assertEquals(gc.stopperBoostForTest().raises(), gc.realtimeStops(), "the public count is the boost's");
            assertEquals(StopperBoost.MUTATORS, gc.threadWorld().mutatorBoostOnForTest(), "late mutators boosted too, by default");
            for (String row : coordinators()) {
                assertNotEquals(RealtimeBoost.SCHED_FIFO + "", row.split(" ")[1], "a coordinator between pauses: " + row);
            }
        });
    }

    @Test
    void aRefusedBoostSaysWhyAndChangesNothing() throws InterruptedException {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        FreshThread.run(() -> {
            ThreadCapabilities.dropSysNiceFromThisThread();
            ThreadPriority.Setting before = ThreadPriority.current();
            StopperBoost b = new StopperBoost();
            b.start(5, false, new ThreadWorld(null, null, 1));
            if (b.active()) {
                return;             // RLIMIT_RTPRIO allows it here without the capability: nothing refused to check
            }
            String why = b.refusal();
            assertNotNull(why);
            assertTrue(why.contains("EPERM") && why.contains("CAP_SYS_NICE or an RLIMIT_RTPRIO >= 5"), why);
            b.raise();
            assertEquals(before, ThreadPriority.current(), "a refused boost never raises");
            b.lower();
            assertEquals(0, b.raises());
        });
    }

    /** Only ThreadWorld and SchedWorld boost (their stop paths' waits park at SCHED_FIFO); SchedRealtimeStopTest covers the scheduler's. */
    @Test
    void aWorldOtherThanThreadsOrTheSchedulerIsRefusedWithWhy() {
        StopperBoost b = new StopperBoost();
        b.start(5, false, null);
        assertFalse(b.active());
        assertTrue(b.refusal().contains("only the plain-thread world (ThreadWorld) and gort's scheduler (SchedWorld)"), b.refusal());
        b.raise();
        assertEquals(0, b.raises());
    }

    /** Three collections with the coordinator's boost at {@code priority}, then {@code check}. */
    private static void cycles(int priority, java.util.function.Consumer<Collector> check) {
        int saved = StopperBoost.priorityForNewCollectors;
        StopperBoost.priorityForNewCollectors = priority;
        Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        Collector gc;
        try {
            gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        } finally {
            StopperBoost.priorityForNewCollectors = saved;
        }
        var m = gc.threadWorld().register(4);
        try {
            for (int i = 0; i < 3; i++) {
                m.roots().set(0, gc.alloc(CollectorTest.NODE));
                gc.gc();
            }
            check.accept(gc);
        } finally {
            gc.threadWorld().unregister();
            gc.close();
            heap.close();
        }
    }

    /** "tid policy" of each live gort-gc thread (several collectors may live in this JVM). */
    static List<String> coordinators() {
        List<String> rows = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path p : ds) {
                String comm;
                try {
                    comm = Files.readString(p.resolve("comm")).trim();
                } catch (java.nio.file.NoSuchFileException gone) {
                    // A thread that ended after the listing: the coordinator's warm-up, which may now
                    // run between the first cycles, starts and ends a helper thread per chunk.
                    continue;
                } catch (java.io.IOException gone) {
                    // The same thread ending between the open and the read: the read fails with ESRCH
                    // ("No such process"), not ENOENT. Any other error is the test's.
                    if (gone.getMessage() != null && gone.getMessage().contains("No such process")) {
                        continue;
                    }
                    throw gone;
                }
                if (comm.equals("gort-gc")) {
                    ThreadPriority.Setting s = ThreadPriority.of(Integer.parseInt(p.getFileName().toString()));
                    if (s != null) {
                        rows.add(p.getFileName() + " " + s.policy());
                    }
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertFalse(rows.isEmpty(), "no gort-gc thread found");
        return rows;
    }
}
