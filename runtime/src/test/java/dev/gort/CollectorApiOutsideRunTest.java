package dev.gort;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The collector's public calls from a plain thread while a runtime starts and stops: the runtime
 * exists before gcenable made its collector and after shutdown dropped it, and in those windows
 * each call must fail with a clear IllegalStateException (what is not running, and why), never a
 * NullPointerException or a silent null.
 */
class CollectorApiOutsideRunTest {
    @Test
    void collectorCallsDuringStartUpAndShutdownFailClearly() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> bad = new AtomicReference<>();
        AtomicLong clear = new AtomicLong();
        AtomicLong ok = new AtomicLong();
        Thread prober = new Thread(() -> {
            while (!stop.get()) {
                try {
                    Gort.gcStats();
                    Gort.sysmonStats();
                    if (Gort.collector() == null) {
                        bad.compareAndSet(null, new AssertionError("Gort.collector() returned null"));
                    }
                    ok.incrementAndGet();
                } catch (IllegalStateException e) {
                    clear.incrementAndGet();
                } catch (Throwable t) {
                    bad.compareAndSet(null, t);
                }
            }
        }, "collector-api-prober");
        prober.setDaemon(true);
        prober.start();
        try {
            for (int i = 0; i < 30 && bad.get() == null; i++) {
                assertEquals(0, Gort.run(new String[0], args -> {
                }, new Gort.Options().settings(Map.of("GOMAXPROCS", "1"), Map.of())));
            }
        } finally {
            stop.set(true);
            prober.join(60_000);
        }
        System.out.println("CollectorApiOutsideRunTest: " + ok.get() + " calls answered, " + clear.get() + " refused clearly");
        if (bad.get() != null) {
            throw new AssertionError("a collector call outside the collector's life failed unclearly", bad.get());
        }
    }
}
