package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The last M to stop wakes the stopper after releasing the sched lock, so a wakeup meant for an
 * earlier stop can reach a later one. stopTheWorld must treat a wakeup as a hint and return only
 * once every P is stopped: here a goroutine runs a loop without a safepoint for 60 ms while
 * another thread wakes the stopper's note every 50 us; the stop may not return before the loop
 * ends (before the fix, the first wakeup ended the wait with the goroutine still running).
 */
@Timeout(180)
class StopTheWorldStaleWakeupTest {

    @Test
    void spuriousWakeupsDoNotEndTheStop() throws Exception {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW));
        CountDownLatch looping = new CountDownLatch(1);
        AtomicLong loopEnd = new AtomicLong();
        AtomicBoolean quit = new AtomicBoolean();
        AtomicReference<Throwable> died = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> {
                    Chan<Boolean> done = new Chan<>(1);
                    Go.go(() -> {
                        looping.countDown();
                        long until = System.nanoTime() + 60_000_000L;
                        long x = 0;
                        while (System.nanoTime() < until) {
                            x++;                       // no allocation, no poll: cannot stop here
                        }
                        loopEnd.set(System.nanoTime());
                        while (!quit.get()) {
                            Go.poll();
                            Thread.onSpinWait();
                        }
                        done.send(x > 0);
                    });
                    done.recv();
                });
            } catch (Throwable t) {
                died.set(t);
            }
        }, "test-runner");
        runner.start();
        looping.await();
        AtomicBoolean stopping = new AtomicBoolean(true);
        Thread waker = new Thread(() -> {
            while (stopping.get()) {
                s.world.stopNote.wakeup();                   // stale wakeups, as a late last M would send
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
        }, "stale-waker");
        waker.start();
        s.stopTheWorld("test");
        long stoppedAt = System.nanoTime();
        int running = 0;
        for (int i = 0; i < s.gomaxprocs(); i++) {
            if (s.p(i).status() == PStatus.RUNNING) {
                running++;
            }
        }
        s.startTheWorld();
        stopping.set(false);
        waker.join();
        long end = loopEnd.get();
        assertEquals(0, running, "Ps still RUNNING when stopTheWorld returned");
        assertTrue(end != 0 && end <= stoppedAt,
                "stopTheWorld returned " + (end == 0 ? "before the loop ended" : (end - stoppedAt) + " ns before the loop ended"));
        quit.set(true);
        runner.join(60_000);
        assertNull(died.get());
        s.close();
    }
}
