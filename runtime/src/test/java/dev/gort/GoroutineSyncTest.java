package dev.gort;

import dev.gort.sync.Mutex;
import dev.gort.sync.Once;
import dev.gort.sync.Pool;
import dev.gort.sync.RWMutex;
import dev.gort.sync.WaitGroup;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** dev.gort.sync with real goroutines: waiting parks the goroutine, never its M. */
class GoroutineSyncTest {
    static int run(int procs, GoMain main) {
        return Gort.run(new String[0], main, new Gort.Options().settings(Map.of("GOMAXPROCS", Integer.toString(procs)), Map.of()));
    }

    @Test
    void mutexCounterAcrossManyGoroutines() {
        assertEquals(0, run(2, args -> {
            Mutex m = new Mutex();
            long[] counter = {0};
            AtomicBoolean inside = new AtomicBoolean();
            AtomicInteger violations = new AtomicInteger();
            WaitGroup wg = new WaitGroup();
            int gs = 200;
            int iters = 500;
            wg.add(gs);
            for (int g = 0; g < gs; g++) {
                Gort.go(() -> {
                    for (int i = 0; i < iters; i++) {
                        m.lock();
                        if (!inside.compareAndSet(false, true)) {
                            violations.incrementAndGet();
                        }
                        counter[0]++;
                        if (i % 50 == 0) {
                            Gort.gosched(); // yield while holding it: other goroutines must park, not spin forever
                        }
                        inside.set(false);
                        m.unlock();
                    }
                    wg.done();
                });
            }
            wg.await();
            assertEquals(0, violations.get());
            assertEquals((long) gs * iters, counter[0]);
        }));
    }

    /** GOMAXPROCS=1: a goroutine waiting for a mutex is parked, so the holder (sleeping) and a third goroutine still run. */
    @Test
    void waitingOnAMutexDoesNotBlockTheM() {
        assertEquals(0, run(1, args -> {
            Mutex m = new Mutex();
            AtomicLong order = new AtomicLong();
            ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
            WaitGroup wg = new WaitGroup();
            wg.add(3);
            m.lock();
            Gort.go(() -> {
                events.add("waiter blocks");
                m.lock();
                events.add("waiter got the lock");
                m.unlock();
                wg.done();
            });
            Gort.go(() -> {
                events.add("third runs");
                wg.done();
            });
            Gort.go(() -> {
                Gort.sleep(Duration.ofMillis(30));
                events.add("holder unlocks");
                wg.done();
                m.unlock();
            });
            wg.await();
            Gort.sleep(Duration.ofMillis(10));
            assertEquals("[waiter blocks, third runs, holder unlocks, waiter got the lock]", events.toString());
            assertEquals(0, order.get());
        }));
    }

    @Test
    void rwmutexWithGoroutines() {
        assertEquals(0, run(2, args -> {
            RWMutex rw = new RWMutex();
            AtomicInteger readers = new AtomicInteger();
            AtomicInteger writers = new AtomicInteger();
            AtomicInteger violations = new AtomicInteger();
            WaitGroup wg = new WaitGroup();
            wg.add(40);
            for (int g = 0; g < 40; g++) {
                boolean writer = g % 8 == 0;
                Gort.go(() -> {
                    for (int i = 0; i < 300; i++) {
                        if (writer) {
                            rw.lock();
                            if (writers.incrementAndGet() != 1 || readers.get() != 0) {
                                violations.incrementAndGet();
                            }
                            Gort.gosched();
                            writers.decrementAndGet();
                            rw.unlock();
                        } else {
                            rw.rlock();
                            readers.incrementAndGet();
                            if (writers.get() != 0) {
                                violations.incrementAndGet();
                            }
                            Gort.gosched();
                            readers.decrementAndGet();
                            rw.runlock();
                        }
                    }
                    wg.done();
                });
            }
            wg.await();
            assertEquals(0, violations.get());
        }));
    }

    @Test
    void waitGroupAndOnceWithThousandsOfGoroutines() {
        assertEquals(0, run(2, args -> {
            WaitGroup wg = new WaitGroup();
            Once once = new Once();
            AtomicInteger onceRuns = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            int n = 5000;
            wg.add(n);
            for (int i = 0; i < n; i++) {
                Gort.go(() -> {
                    once.run(() -> {
                        onceRuns.incrementAndGet();
                        Gort.sleep(Duration.ofMillis(5)); // others park on the Once's mutex meanwhile
                    });
                    done.incrementAndGet();
                    wg.done();
                });
            }
            wg.await();
            assertEquals(n, done.get());
            assertEquals(1, onceRuns.get());
        }));
    }

    /** Pool on real Ps: concurrent Get/Put from many goroutines, never the same object twice at once. */
    @Test
    void poolWithGoroutines() {
        assertEquals(0, run(2, args -> {
            final class Buf {
                final AtomicBoolean inUse = new AtomicBoolean();
            }
            AtomicInteger made = new AtomicInteger();
            Pool<Buf> pool = new Pool<>(() -> {
                made.incrementAndGet();
                return new Buf();
            });
            AtomicInteger violations = new AtomicInteger();
            WaitGroup wg = new WaitGroup();
            int gs = 100;
            int iters = 2000;
            wg.add(gs);
            for (int g = 0; g < gs; g++) {
                Gort.go(() -> {
                    for (int i = 0; i < iters; i++) {
                        Buf b = pool.get();
                        if (!b.inUse.compareAndSet(false, true)) {
                            violations.incrementAndGet();
                        }
                        if (i % 100 == 0) {
                            Gort.gosched();
                        }
                        b.inUse.set(false);
                        pool.put(b);
                    }
                    wg.done();
                });
            }
            wg.await();
            assertEquals(0, violations.get());
            assertTrue(made.get() < gs * iters / 100, "reuse: made " + made.get() + " for " + gs * iters + " gets");
        }));
    }
}
