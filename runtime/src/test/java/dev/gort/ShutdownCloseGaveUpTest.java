package dev.gort;

import dev.gort.gc.Collector;
import dev.gort.gc.Global;
import dev.gort.gc.Mem;
import dev.gort.gc.Type;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Shutdown after a collector close that gave up (its coordinator still running): the heap, the
 * work buffers and the global roots stay mapped under it, with a warning, and the run still ends
 * with main's exit code. Before session 13's fix shutdown unmapped the work buffers and the global
 * roots anyway, and the coordinator, starved in its warm-up at load ~60, took a SIGSEGV reading a
 * workbuf (hs_err in a flakes run). Here the coordinator is held for real: its gctrace line goes to
 * a stream that blocks the gort-gc thread until the test lets it go.
 */
class ShutdownCloseGaveUpTest {

    @Test
    void aCloseThatGaveUpLeavesEverythingMappedAndTheNextRunWorksOnceItsThreadsEnd() throws Exception {
        CountDownLatch coordinatorHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PrintStream holdingTrace = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                hold();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                hold();
            }

            private void hold() {
                if (Thread.currentThread().getName().startsWith("gort-gc")) {
                    coordinatorHeld.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicReference<Collector> collector = new AtomicReference<>();
        AtomicReference<Global> global = new AtomicReference<>();
        GortRuntime.collectorCloseWaitForTest = Duration.ofMillis(200);
        int code;
        try {
            code = Gort.run(new String[0], args -> {
                Collector c = Gort.collector();
                collector.set(c);
                c.setTraceOutput(holdingTrace);
                Global g = c.newGlobal();
                long p = c.alloc(Type.LONG);
                Mem.putLong(p, 0, 42);
                g.set(p);
                global.set(g);
                Gort.go(Gort::gc);          // its cycle's trace line holds the coordinator
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (coordinatorHeld.getCount() > 0) {
                    assertTrue(System.nanoTime() < deadline, "the coordinator never printed its trace line");
                    Gort.sleep(Duration.ofMillis(1));
                }
            }, new Gort.Options().settings(Map.of("GOMAXPROCS", "1", "GORT_DEBUG", "gctrace=1"), Map.of())
                    .stderr(new PrintStream(err, true, StandardCharsets.UTF_8)));
            String out = err.toString(StandardCharsets.UTF_8);
            assertEquals(0, code, out);
            assertTrue(out.contains("the heap, work buffers and global roots stay mapped") && out.contains("gort-gc"),
                    "shutdown says what it kept and which thread still runs: " + out);
            // Still mapped: the global root table and the object it points to read back.
            assertEquals(42, Mem.getLong(global.get().get(), 0));
        } finally {
            GortRuntime.collectorCloseWaitForTest = null;
            release.countDown();
        }
        assertTrue(collector.get().awaitTermination(Duration.ofSeconds(60)), "the released coordinator ends");
        // Its threads ended: the JVM takes a new collector, so the next run works.
        assertEquals(0, Gort.run(new String[0], args -> assertTrue(Gort.readMemStats().sys() > 0),
                new Gort.Options().settings(Map.of("GOMAXPROCS", "1"), Map.of())));
    }
}
