package dev.gort;

import dev.gort.sync.Pool;
import dev.gort.sync.WaitGroup;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * sync.Pool's one promise under everything that moves its entries at once: an object is handed
 * to at most one holder at a time. Goroutines and a plain thread get and put tokens while
 * collections (Gort.gc: Pool.cleanupAll with the world stopped, victims dropped) and GOMAXPROCS
 * resizes 1..3 (a destroyed P's private slots moved to its shared chain) run back to back. Each
 * token records whether it is out; a get of a token that is already out is a double hand-out.
 * Seeded ({@code -Dgort.stress.seed}); {@code -Dgort.stress.millis} runs longer. The run goes on
 * past its time until 3 cycles and 3 resizes happened (at most 60 s more): those counts are the
 * run's precondition, and 4 s held only 2 cycles at autogroup nice 19, load ~40 (session 13).
 */
class PoolExclusivityStressTest {
    static final class Token {
        final AtomicInteger out = new AtomicInteger();     // 0: in the pool (or just made), 1: held
    }

    @Test
    void noTokenIsHeldTwiceThroughCyclesAndResizes() {
        long seed = Long.getLong("gort.stress.seed", System.nanoTime());
        long millis = Long.getLong("gort.stress.millis", 4_000);
        System.out.println("PoolExclusivityStressTest seed=" + seed + " millis=" + millis);
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong gets = new AtomicLong(), made = new AtomicLong(), cycles = new AtomicLong(), resizes = new AtomicLong();
        Pool<Token> pool = new Pool<>(() -> {
            made.incrementAndGet();
            return new Token();
        });
        int code = Gort.run(new String[0], args -> {
            long end = System.nanoTime() + millis * 1_000_000;
            AtomicBoolean stop = new AtomicBoolean();
            Thread plain = new Thread(() -> churn(pool, new SplittableRandom(seed ^ 1), stop, gets, failure, false),
                    "pool-plain-thread");
            plain.start();
            WaitGroup wg = new WaitGroup();
            int workers = 6;
            wg.add(workers + 2);
            for (int w = 0; w < workers; w++) {
                long s = seed + w;
                Gort.go(() -> {
                    churn(pool, new SplittableRandom(s), stop, gets, failure, true);
                    wg.done();
                });
            }
            Gort.go(() -> {                       // collections back to back
                while (!stop.get()) {
                    Gort.gc();
                    cycles.incrementAndGet();
                    Gort.sleep(java.time.Duration.ofMillis(2));
                }
                wg.done();
            });
            Gort.go(() -> {                       // GOMAXPROCS 1..3
                SplittableRandom r = new SplittableRandom(seed ^ 2);
                while (!stop.get()) {
                    Gort.gomaxprocs(1 + r.nextInt(3));
                    resizes.incrementAndGet();
                    Gort.sleep(java.time.Duration.ofMillis(1 + r.nextInt(5)));
                }
                wg.done();
            });
            long hardEnd = end + 60_000_000_000L;
            while ((System.nanoTime() < end || ((cycles.get() < 3 || resizes.get() < 3) && System.nanoTime() < hardEnd))
                    && failure.get() == null) {
                Gort.sleep(java.time.Duration.ofMillis(20));
            }
            stop.set(true);
            wg.await();
            Gort.syscall(() -> {
                try {
                    plain.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        }, new Gort.Options().settings(Map.of("GOMAXPROCS", "2", "GOGC", "off"), Map.of()).ncpu(4));
        System.out.println("PoolExclusivityStressTest: gets=" + gets.get() + " made by New=" + made.get() + " cycles="
                + cycles.get() + " resizes=" + resizes.get());
        assertNull(failure.get(), "seed " + seed);
        assertEquals(0, code);
        assertTrue(cycles.get() >= 3 && resizes.get() >= 3, "cycles " + cycles.get() + ", resizes " + resizes.get());
        assertTrue(made.get() < gets.get(), "the pool never handed back an object (made " + made.get() + ")");
    }

    /** Gets up to 3 tokens, holds them across a safepoint, puts them back; checks exclusivity. */
    private static void churn(Pool<Token> pool, SplittableRandom r, AtomicBoolean stop, AtomicLong gets,
                              AtomicReference<String> failure, boolean goroutine) {
        Token[] held = new Token[3];
        while (!stop.get() && failure.get() == null) {
            int n = 1 + r.nextInt(3);
            for (int i = 0; i < n; i++) {
                Token t = pool.get();
                gets.incrementAndGet();
                if (!t.out.compareAndSet(0, 1)) {
                    failure.compareAndSet(null, "a token was handed out while another holder had it ("
                            + (goroutine ? "goroutine" : "plain thread") + ")");
                }
                held[i] = t;
            }
            if (goroutine) {
                if (r.nextInt(4) == 0) {
                    Gort.gosched();
                } else {
                    Gort.poll();
                }
            } else {
                Thread.onSpinWait();
            }
            for (int i = 0; i < n; i++) {
                held[i].out.set(0);
                pool.put(held[i]);
                held[i] = null;
            }
        }
    }
}
