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
        /**
         * When set, sysmon's poll returns only once these many goroutines it readied have resumed:
         * an M took them from the ready list between sysmon's poll and its own take (the race).
         */
        AtomicInteger holdUntilResumed;
        int holdCount;
        boolean holding;
        /** Whether those goroutines resumed while sysmon's poll held (so an M took them). */
        volatile boolean ranWhileHeld;

        @Override
        public synchronized boolean hasWaiters() {
            return !parked.isEmpty() || holding;    // keeps the Ms polling while sysmon holds
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
            if (holdUntilResumed != null) {
                holding = true;
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (holdUntilResumed.get() < holdCount && System.nanoTime() < deadline) {
                    try {
                        wait(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                ranWhileHeld = holdUntilResumed.get() >= holdCount;
                holding = false;
            }
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
        int[] result = runThreeParkedAndInject(false);
        assertEquals(3, result[0]);
        assertEquals(3, result[1], "injectNetpoll readied 3 goroutines but reported " + result[1]);
    }

    /**
     * The ready list is shared by every poller: an M's own poll that finds nothing still takes
     * what sysmon's poll put there a moment before. Those goroutines run (the M runs them), and
     * sysmon's count must still say its poll readied them (it counted 0 before: the flaky failure
     * of the test above under load).
     */
    @Test
    void injectNetpollCountsWhatItsPollReadiedWhenAnMTakesThem() {
        int[] result = runThreeParkedAndInject(true);
        assertEquals(3, result[0]);
        assertEquals(1, result[2], "the goroutines sysmon's poll readied were to be taken and run by an M before sysmon's poll returned");
        assertEquals(3, result[1], "injectNetpoll's poll readied 3 goroutines but it reported " + result[1]);
    }

    /** Returns {goroutines resumed, injectNetpoll's count, 1 if an M ran them while sysmon's poll held}. */
    private static int[] runThreeParkedAndInject(boolean holdUntilAnMRunsThem) {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1).fatalHandler(FatalHandler.THROW));
        ParkedSet poller = new ParkedSet();
        s.setNetpollHook(poller);
        AtomicInteger resumed = new AtomicInteger();
        if (holdUntilAnMRunsThem) {
            poller.holdUntilResumed = resumed;
            poller.holdCount = 3;
        }
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
                    long deadline = System.nanoTime() + 60_000_000_000L;
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
        return new int[] {resumed.get(), injected[0], poller.ranWhileHeld ? 1 : 0};
    }
}
