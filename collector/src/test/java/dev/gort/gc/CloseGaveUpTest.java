package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A close whose wait for the collector's threads runs out (here a sweep-termination hook that
 * blocks, holding the coordinator) says so: close throws naming the threads and where they are,
 * the heap and a second collector are refused while they run, {@link Collector#awaitTermination}
 * waits for them, and once they ended a new collector is accepted and a later close() returns
 * normally. Before, close returned silently and the collector stayed "live" with nothing to wait
 * on but the refusals of every later collector.
 */
@Timeout(180)
class CloseGaveUpTest extends ThreadWorldFixture {
    Heap other;
    Collector second;
    final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void closeOthers() {
        release.countDown();
        if (gc != null) {
            gc.awaitTermination(Duration.ofSeconds(20));
        }
        if (second != null) {
            second.close();
        }
        if (other != null) {
            other.close();
        }
    }

    @Test
    void aCloseThatGaveUpNamesTheThreadsAndALaterCollectorIsAcceptedOnceTheyEnd() throws Exception {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        CountDownLatch inHook = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean(true);
        gc.onSweepTermination(() -> {
            if (armed.getAndSet(false)) {
                inHook.countDown();
                try {
                    release.await();      // an embedder's hook that blocks: the coordinator with it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        gc.requestCycle(true);
        assertTrue(inHook.await(60, java.util.concurrent.TimeUnit.SECONDS), "the cycle reached the hook");

        IllegalStateException gaveUp = assertThrows(IllegalStateException.class, () -> gc.closeWithin(Duration.ofMillis(300)));
        String msg = gaveUp.getMessage();
        assertTrue(msg.contains("is closed") && msg.contains("did not end within 300 ms") && msg.contains("\"gort-gc\" WAITING at ")
                && msg.contains("awaitTermination"), msg);
        assertThrows(IllegalStateException.class, () -> gc.alloc(CollectorFailureTest.NODE), "closed all the same: allocation refused");

        other = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> Collector.forThreads(other, GcOptions.DEFAULT, 2));
        assertTrue(refused.getMessage().contains("threads still run [gort-gc") && refused.getMessage().contains("awaitTermination"),
                refused.getMessage());
        assertThrows(IllegalStateException.class, heap::close, "the heap stays mapped under the coordinator");
        IllegalStateException again = assertThrows(IllegalStateException.class, () -> gc.closeWithin(Duration.ZERO));
        assertTrue(again.getMessage().contains("gort-gc"), again.getMessage());
        assertFalse(gc.awaitTermination(Duration.ofMillis(50)), "the coordinator still waits in the hook");

        release.countDown();
        assertTrue(gc.awaitTermination(Duration.ofSeconds(20)), "the coordinator ends once the hook returns");
        gc.close();                       // returns normally now
        second = Collector.forThreads(other, GcOptions.DEFAULT, 2);
        second.gc();                      // and the new collector collects
        assertTrue(second.cycles() >= 1);
    }

    @Test
    void badWaitsAreRefused() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        IllegalStateException early = assertThrows(IllegalStateException.class, () -> gc.awaitTermination(Duration.ofMillis(1)));
        assertTrue(early.getMessage().contains("is not closed") && early.getMessage().contains("close() first"), early.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> gc.closeWithin(Duration.ofMillis(-1)));
        assertTrue(negative.getMessage().contains("non-negative Duration"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gc.closeWithin(null));
        assertThrows(IllegalArgumentException.class, () -> gc.awaitTermination(null));
        gc.closeWithin(Duration.ofSeconds(20));
        assertTrue(gc.awaitTermination(Duration.ZERO), "closed and its threads ended");
    }
}
