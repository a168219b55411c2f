package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * C1: ports of Go's chan_test.go races at GOMAXPROCS=2 (real parallelism on this 2-core machine):
 * a select with a default must never take the default when a case was ready, and many consumers
 * sharing one channel lose or duplicate nothing. Sizes: {@code -Dgort.stress.chanRace=<iterations>}.
 */
@Timeout(120)
class ChanRaceTest {
    private static final int ITERS = Integer.getInteger("gort.stress.chanRace", 10_000);

    /**
     * Go's TestNonblockRecvRace: a buffered value is in the channel when the goroutine selects
     * with a default, while main closes the channel and receives. The goroutine gets the value or
     * the closed zero value, never the default ("chan is not ready").
     */
    @Test
    void nonblockingReceiveNeverMissesAReadyOrClosedChannel() {
        AtomicReference<String> err = new AtomicReference<>();
        SchedTesting.run(2, () -> {
            Chan<Boolean> done = new Chan<>(1);
            for (int i = 0; i < ITERS && err.get() == null; i++) {
                Chan<Integer> c = new Chan<>(1);
                c.send(1);
                int round = i;
                Go.go(() -> {
                    Select sel = new Select().recv(c);
                    if (sel.selectOrDefault() == -1) {
                        err.compareAndSet(null, "round " + round + ": chan is not ready (default taken)");
                    }
                    done.send(true);
                });
                c.close();
                c.recv(); // the value or the zero value: never blocks
                done.recv();
            }
        });
        assertNull(err.get());
    }

    /**
     * Go's TestNonblockSelectRace: c1 holds a value; the goroutine selects c1, c2 or default
     * while main sends to c2 and then takes one of the two. One of c1, c2 is ready throughout, so
     * the default is never taken.
     */
    @Test
    void nonblockingSelectNeverTakesTheDefaultWhileACaseIsReady() {
        AtomicReference<String> err = new AtomicReference<>();
        SchedTesting.run(2, () -> {
            Chan<Boolean> done = new Chan<>(1);
            for (int i = 0; i < ITERS && err.get() == null; i++) {
                Chan<Integer> c1 = new Chan<>(1);
                Chan<Integer> c2 = new Chan<>(1);
                c1.send(1);
                Go.go(() -> done.send(new Select().recv(c1).recv(c2).selectOrDefault() != -1));
                c2.send(1);
                new Select().recv(c1).recv(c2).select();
                if (!done.recv()) {
                    err.compareAndSet(null, "no chan is ready (default taken)");
                }
            }
        });
        assertNull(err.get());
    }

    /**
     * Go's TestMultiConsumer: 23 workers range over one channel (a worker that draws its own
     * prime yields first, to disturb the FIFO-ish hand-out) and forward to a results channel; the
     * count and the sum of the results are exact.
     */
    @Test
    void multiConsumerCountAndSumAreExact() {
        int nwork = 23;
        int niter = Integer.getInteger("gort.stress.multiConsumer", 271_828);
        int[] pn = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
        long[] got = new long[2];
        long[] expect = new long[1];
        SchedTesting.run(2, () -> {
            Chan<Integer> q = new Chan<>(nwork * 3);
            Chan<Integer> r = new Chan<>(nwork * 3);
            Chan<Boolean> workerDone = new Chan<>(nwork);
            for (int i = 0; i < nwork; i++) {
                int w = i;
                Go.go(() -> {
                    for (Integer v : q) {
                        if (pn[w % pn.length] == v) {
                            Go.gosched();
                        }
                        r.send(v);
                    }
                    workerDone.send(true);
                });
            }
            Go.go(() -> { // feeder and closer
                long sum = 0;
                for (int i = 0; i < niter; i++) {
                    int v = pn[i % pn.length];
                    sum += v;
                    q.send(v);
                }
                expect[0] = sum;
                q.close();
                for (int i = 0; i < nwork; i++) {
                    workerDone.recv();
                }
                r.close(); // every worker ended: no more results
            });
            long n = 0;
            long s = 0;
            for (Integer v : r) {
                n++;
                s += v;
            }
            got[0] = n;
            got[1] = s;
        });
        assertEquals(niter, got[0], "results received");
        assertEquals(expect[0], got[1], "sum of results");
    }
}
