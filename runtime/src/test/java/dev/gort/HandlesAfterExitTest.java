package dev.gort;

import dev.gort.gc.Global;
import dev.gort.gc.PtrChan;
import dev.gort.gc.Type;
import dev.gort.sched.Frame;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An embedder keeps handles past {@link Gort#run}: a Global, a PtrChan, a Frame, and calls
 * Gort.readMemStats from its own threads. After the run each use throws IllegalStateException
 * saying what ended (before the fix the Global and the PtrChan read unmapped memory and the Frame
 * a freed shadow stack: SIGSEGV, checked by hand), and a thread reading a Global while runtimes
 * end under it sees a value or that exception, never a crash, and the next run works.
 */
class HandlesAfterExitTest {
    private static Gort.Options opts() {
        return new Gort.Options().settings(Map.of("GOMAXPROCS", "1"), Map.of());
    }

    @Test
    void handlesKeptPastTheRunThrowClearly() {
        AtomicReference<Global> global = new AtomicReference<>();
        AtomicReference<PtrChan> chan = new AtomicReference<>();
        AtomicReference<Frame> frame = new AtomicReference<>();
        assertEquals(0, Gort.run(new String[0], args -> {
            Global g = Gort.collector().newGlobal();
            g.set(Gort.collector().alloc(Type.LONG));
            global.set(g);
            chan.set(PtrChan.create(Gort.collector(), 2));
            Frame f = Frame.push(1);           // left pushed on purpose
            f.set(0, g.get());
            frame.set(f);
        }, opts()));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> global.get().get());
        assertTrue(e.getMessage().contains("global root table holding its slots is closed"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> chan.get().send(0));
        assertTrue(e.getMessage().contains("global root table holding its slots is closed"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> frame.get().get(0));
        assertTrue(e.getMessage().contains("the scheduler ended and freed the stacks"), e.getMessage());
        e = assertThrows(IllegalStateException.class, Gort::readMemStats);
        assertTrue(e.getMessage().contains("its run ended and the runtime shut down"), e.getMessage());
        // The JVM and the next runtime are fine.
        assertEquals(0, Gort.run(new String[0], args -> assertTrue(Gort.readMemStats().sys() > 0), opts()));
    }

    /** A plain thread reads the current run's Global and MemStats while runs end under it. */
    @Test
    void readersRacingShutdownSeeAValueOrAClearException() throws Exception {
        AtomicReference<Global> current = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> bad = new AtomicReference<>();
        AtomicLong values = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        Thread reader = new Thread(() -> {
            while (!stop.get()) {
                Global g = current.get();
                try {
                    if (g != null) {
                        g.get();
                    }
                    Gort.readMemStats();
                    values.incrementAndGet();
                } catch (IllegalStateException e) {
                    refused.incrementAndGet();
                } catch (Throwable t) {
                    bad.compareAndSet(null, t);
                }
            }
        }, "handle-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            for (int i = 0; i < 20 && bad.get() == null; i++) {
                assertEquals(0, Gort.run(new String[0], args -> {
                    Global g = Gort.collector().newGlobal();
                    g.set(Gort.collector().alloc(Type.LONG));
                    current.set(g);
                    Gort.sleep(java.time.Duration.ofMillis(2));
                }, opts()));
            }
        } finally {
            stop.set(true);
            reader.join(60_000);
        }
        if (bad.get() != null) {
            throw new AssertionError("a reader racing the shutdown failed unclearly", bad.get());
        }
        assertTrue(refused.get() > 0, "the reader ran after at least one run ended");
        System.out.println("HandlesAfterExitTest: " + values.get() + " reads answered, " + refused.get() + " refused clearly");
    }

    /** Gort.newPtrPool: a PtrPool of the running collector (entries are roots), unusable after the run. */
    @Test
    void newPtrPoolBelongsToTheRunningCollector() {
        assertThrows(IllegalStateException.class, Gort::newPtrPool, "outside a run");
        AtomicReference<dev.gort.gc.PtrPool> kept = new AtomicReference<>();
        assertEquals(0, Gort.run(new String[0], args -> {
            long[] made = new long[1];
            dev.gort.gc.PtrPool pool = Gort.newPtrPool(() -> {
                made[0]++;
                return Gort.collector().alloc(Type.LONG);
            });
            long p = pool.get();                // empty: New
            assertEquals(1, made[0]);
            dev.gort.gc.Mem.putLong(p, 0, 77);
            pool.put(p);                        // the pool is now its only root
            Gort.gc();
            long q = pool.get();                // survived the cycle (victim cache)
            assertEquals(p, q);
            assertEquals(77, dev.gort.gc.Mem.getLong(q, 0));
            try (dev.gort.gc.PtrPool empty = Gort.newPtrPool()) {
                assertEquals(0, empty.get(), "no New: 0 when empty");
            }
            kept.set(pool);
        }, opts()));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> kept.get().get());
        assertTrue(e.getMessage().contains("global root table holding its slots is closed"), e.getMessage());
    }
}
