package dev.gort.sched;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * sysmon's netpoll injection ({@link Scheduler#injectNetpoll()}, Go's sysmon netpoll +
 * injectglist) returns how many goroutines it made runnable: sysmon adds it to its
 * netpollInjected counter and JFR event. A poll that readies several goroutines must count each.
 * The hook here is a test poller over goroutines parked with Go.park (the scheduler's interface,
 * as the network poller uses it), not a stand-in for the OS.
 */
class InjectNetpollCountTest {
    /** Goroutines park on it; a poll hands every parked one back as ready. */
    static final class ParkedSet implements NetpollHook {
        final List<G> parked = new ArrayList<>();

        @Override
        public synchronized boolean hasWaiters() {
            return !parked.isEmpty();
        }

        /**
         * Hands the goroutines back only to the sysmon-like thread: an M's own poll (findRunnable,
         * or an idle M's timed poll, which waits up to 1 ms) finds nothing, so the count is
         * injectNetpoll's alone.
         */
        @Override
        public synchronized int poll(long timeoutNanos, ReadyList ready) {
            if (!Thread.currentThread().getName().equals("sysmon-like")) {
                if (timeoutNanos != 0) {
                    try {
                        wait(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return 0;
            }
            int n = parked.size();
            for (G g : parked) {
                ready.add(g);
            }
            parked.clear();
            return n;
        }

        @Override
        public synchronized void wakeup() {
            notifyAll();
        }

        synchronized void add(G g) {
            parked.add(g);
        }

        synchronized int size() {
            return parked.size();
        }
    }

    @Test
    void injectNetpollCountsEveryGoroutineItReadies() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        ParkedSet poller = new ParkedSet();
        s.setNetpollHook(poller);
        AtomicInteger resumed = new AtomicInteger();
        int[] injected = {-1};
        s.run(() -> {
            for (int i = 0; i < 3; i++) {
                Go.go(() -> {
                    Go.park((g, arg) -> {
                        ((ParkedSet) arg).add(g);
                        return true;
                    }, poller, WaitReason.IO_WAIT);
                    resumed.incrementAndGet();
                });
            }
            while (poller.size() < 3) {
                Go.gosched();
            }
            // sysmon's call, from a thread that is not an M.
            Go.syscall(() -> {
                Thread t = new Thread(() -> {
                    // 0 while an idle M is in its blocking poll (one poller at a time): try again.
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    int n;
                    while ((n = s.injectNetpoll()) == 0 && System.nanoTime() < deadline) {
                        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    }
                    injected[0] = n;
                }, "sysmon-like");
                t.start();
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            while (resumed.get() < 3) {
                Go.gosched();
            }
        });
        assertEquals(3, resumed.get());
        assertEquals(3, injected[0], "injectNetpoll readied 3 goroutines but reported " + injected[0]);
    }
}
