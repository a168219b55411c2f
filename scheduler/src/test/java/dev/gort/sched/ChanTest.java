package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** C1/C2: channel and select semantics, modelled on Go's chan_test.go. */
@Timeout(120)
class ChanTest {

    @Test
    void fifoOrderForCapacitiesZeroToTwenty() {
        SchedTesting.run(2, () -> {
            for (int cap = 0; cap <= 20; cap++) {
                Chan<Integer> c = new Chan<>(cap);
                Chan<Boolean> done = new Chan<>();
                AtomicReference<String> err = new AtomicReference<>();
                Go.go(() -> {
                    for (int i = 0; i < 100; i++) {
                        int v = c.recv();
                        if (v != i && err.get() == null) {
                            err.set("got " + v + " want " + i);
                        }
                    }
                    done.send(true);
                });
                for (int i = 0; i < 100; i++) {
                    c.send(i);
                }
                done.recv();
                assertNull(err.get(), "cap " + cap);
                assertEquals(0, c.len());
                assertEquals(cap, c.cap());
            }
        });
    }

    @Test
    void closeWakesEveryWaiterWithZeroValueAndNotOk() {
        int waiters = 10;
        List<Chan.Received<String>> got = java.util.Collections.synchronizedList(new ArrayList<>());
        SchedTesting.run(2, () -> {
            Chan<String> c = new Chan<>();
            Chan<Boolean> done = new Chan<>(waiters);
            Chan<Boolean> parked = new Chan<>(waiters);
            for (int i = 0; i < waiters; i++) {
                Go.go(() -> {
                    parked.send(true);
                    got.add(c.recv2());
                    done.send(true);
                });
            }
            for (int i = 0; i < waiters; i++) {
                parked.recv();
            }
            Time.sleep(java.time.Duration.ofMillis(20)); // let them all block in recv
            c.close();
            for (int i = 0; i < waiters; i++) {
                done.recv();
            }
            // receive on a closed channel never blocks
            Chan.Received<String> r = c.recv2();
            assertNull(r.value());
            assertFalse(r.ok());
        });
        assertEquals(waiters, got.size());
        for (Chan.Received<String> r : got) {
            assertNull(r.value());
            assertFalse(r.ok());
        }
    }

    @Test
    void bufferedValuesSurviveCloseThenZero() {
        SchedTesting.run(1, () -> {
            Chan<Integer> c = new Chan<>(3);
            c.send(1);
            c.send(2);
            c.close();
            assertEquals(new Chan.Received<>(1, true), c.recv2());
            assertEquals(new Chan.Received<>(2, true), c.recv2());
            assertEquals(new Chan.Received<Integer>(null, false), c.recv2());
        });
    }

    @Test
    void goPanicsOnMisuse() {
        SchedTesting.run(2, () -> {
            Chan<Integer> c = new Chan<>(1);
            c.close();
            assertEquals("send on closed channel", assertThrows(GoPanic.class, () -> c.send(1)).getMessage());
            assertEquals("close of closed channel", assertThrows(GoPanic.class, c::close).getMessage());
            assertEquals("send on closed channel", assertThrows(GoPanic.class, () -> c.trySend(1)).getMessage());
            assertEquals("makechan: size out of range", assertThrows(GoPanic.class, () -> new Chan<Integer>(-1)).getMessage());
            Select s = new Select().send(c, 5);
            assertEquals("send on closed channel", assertThrows(GoPanic.class, s::select).getMessage());

            // A sender blocked when the channel is closed panics too.
            Chan<Integer> u = new Chan<>();
            Chan<String> result = new Chan<>(1);
            Go.go(() -> {
                try {
                    u.send(1);
                    result.send("sent");
                } catch (GoPanic p) {
                    result.send(p.getMessage());
                }
            });
            Time.sleep(java.time.Duration.ofMillis(20));
            u.close();
            assertEquals("send on closed channel", result.recv());
        });
    }

    /** A select parked in pass 2 and woken by a close (pass 3): a send case panics, a receive case reports !ok. */
    @Test
    void aParkedSelectWokenByACloseReportsItAsGoDoes() {
        SchedTesting.run(2, () -> {
            Chan<Integer> sendTo = new Chan<>();
            Chan<Integer> never = new Chan<>();
            Chan<String> result = new Chan<>(1);
            Go.go(() -> {
                try {
                    result.send("chose " + new Select().recv(never).send(sendTo, 1).select());
                } catch (GoPanic p) {
                    result.send(p.getMessage());
                }
            });
            Time.sleep(java.time.Duration.ofMillis(20));   // parked on both channels (or not yet: then pass 1 sees the close)
            sendTo.close();
            assertEquals("send on closed channel", result.recv());

            Chan<Integer> recvFrom = new Chan<>();
            Chan<String> got = new Chan<>(1);
            Go.go(() -> {
                Select s = new Select().recv(never).recv(recvFrom);
                int i = s.select();
                got.send("case " + i + " ok " + s.ok() + " value " + s.value());
            });
            Time.sleep(java.time.Duration.ofMillis(20));
            recvFrom.close();
            assertEquals("case 1 ok false value null", got.recv());
        });
    }

    @Test
    void rangeIteratesUntilClosed() {
        List<Integer> seen = new ArrayList<>();
        SchedTesting.run(2, () -> {
            Chan<Integer> c = new Chan<>(4);
            Go.go(() -> {
                for (int i = 0; i < 50; i++) {
                    c.send(i);
                }
                c.close();
            });
            for (int v : c) {
                seen.add(v);
            }
        });
        assertEquals(50, seen.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(i, seen.get(i));
        }
    }

    @Test
    void selectIsFairBetweenTwoReadyCases() {
        int n = 100_000;
        int[] counts = new int[2];
        SchedTesting.run(1, () -> {
            Chan<Integer> a = new Chan<>(1);
            Chan<Integer> b = new Chan<>(1);
            a.send(0);
            b.send(1);
            Select s = new Select().recv(a).recv(b);
            for (int i = 0; i < n; i++) {
                int k = s.select();
                counts[k]++;
                assertEquals(k, s.value());
                (k == 0 ? a : b).send(k);
            }
        });
        double share = counts[0] / (double) n;
        assertTrue(share >= 0.45 && share <= 0.55, "case 0 chosen " + counts[0] + " of " + n);
    }

    @Test
    void selectDefaultAndNilCases() {
        SchedTesting.run(1, () -> {
            Chan<Integer> empty = new Chan<>();
            Chan<Integer> full = new Chan<>(1);
            full.send(7);
            assertEquals(-1, new Select().recv(empty).selectOrDefault());
            assertEquals(-1, new Select().recv(null).send(null, 3).selectOrDefault());
            assertEquals(-1, new Select().selectOrDefault());
            // A nil case is never chosen even when another case is ready.
            for (int i = 0; i < 100; i++) {
                Select s = new Select().recv(null).recv(full).send(null, 1);
                assertEquals(1, s.select());
                assertEquals(7, s.value());
                full.send(7);
            }
            // Non-blocking send into a buffer with room, then full.
            Chan<Integer> one = new Chan<>(1);
            assertEquals(0, new Select().send(one, 1).selectOrDefault());
            assertEquals(-1, new Select().send(one, 2).selectOrDefault());
            // Closed channel is ready for receive with ok=false.
            one.recv();
            one.close();
            Select s = new Select().recv(one);
            assertEquals(0, s.selectOrDefault());
            assertFalse(s.ok());
        });
    }

    @Test
    void selectWakesOnSendAndCleansUpOtherCases() {
        SchedTesting.run(2, () -> {
            Chan<Integer> a = new Chan<>();
            Chan<Integer> b = new Chan<>();
            Chan<Integer> out = new Chan<>(1);
            for (int round = 0; round < 1000; round++) {
                Go.go(() -> {
                    Select s = new Select().recv(a).recv(b);
                    int k = s.select();
                    out.send(k * 1000 + (Integer) s.value());
                });
                int which = round & 1;
                (which == 0 ? a : b).send(round);
                assertEquals(which * 1000 + round, out.recv());
            }
            // No sudog left behind: both channels have empty queues.
            assertTrue(a.recvq.isEmpty() && b.recvq.isEmpty());
        });
    }

    /** Go's TestSelfSelect: a select never pairs its own send and receive. */
    @Test
    void selfSelect() {
        for (int cap : new int[] {0, 10}) {
            AtomicReference<String> err = new AtomicReference<>();
            SchedTesting.run(2, () -> {
                Chan<Integer> c = new Chan<>(cap);
                Chan<Boolean> done = new Chan<>(2);
                for (int p = 0; p < 2; p++) {
                    final int me = p;
                    Go.go(() -> {
                        Select s = new Select().send(c, me).recv(c);
                        for (int i = 0; i < 2000; i++) {
                            if (s.select() == 1 && cap == 0 && (Integer) s.value() == me) {
                                err.compareAndSet(null, "goroutine " + me + " received its own value");
                            }
                        }
                        done.send(true);
                    });
                }
                done.recv();
                done.recv();
            });
            assertNull(err.get(), "cap " + cap);
        }
    }

    /** C2: 8 producers x 8 consumers x 100,000 messages over an unbuffered and a buffered channel. */
    @Test
    void noMessageLostOrDuplicated() {
        int producers = 8;
        int consumers = 8;
        int per = Integer.getInteger("gort.stress.chanmsgs", 100_000);
        int total = producers * per;
        AtomicIntegerArray seen = new AtomicIntegerArray(total);
        AtomicLong sum = new AtomicLong();
        AtomicInteger closes = new AtomicInteger();
        SchedTesting.run(2, () -> {
            Chan<Integer> unbuf = new Chan<>();
            Chan<Integer> buf = new Chan<>(16);
            Chan<Boolean> pdone = new Chan<>(producers);
            Chan<Boolean> cdone = new Chan<>(consumers);
            for (int p = 0; p < producers; p++) {
                final int base = p * per;
                Go.go(() -> {
                    Select s = new Select().send(unbuf, 0).send(buf, 0);
                    for (int i = 0; i < per; i++) {
                        int v = base + i;
                        s.setSendValue(0, v).setSendValue(1, v);
                        s.select();
                    }
                    pdone.send(true);
                });
            }
            for (int k = 0; k < consumers; k++) {
                Go.go(() -> {
                    Select s = new Select().recv(unbuf).recv(buf);
                    boolean[] open = {true, true};
                    while (open[0] || open[1]) {
                        int i = s.select();
                        if (!s.ok()) {
                            open[i] = false;
                            closes.incrementAndGet();
                            // a closed case is always ready: replace it by a nil case
                            s = open[0] && !open[1] ? new Select().recv(unbuf).recv(null)
                                    : !open[0] && open[1] ? new Select().recv(null).recv(buf) : s;
                            continue;
                        }
                        int v = (Integer) s.value();
                        seen.incrementAndGet(v);
                        sum.addAndGet(v);
                    }
                    cdone.send(true);
                });
            }
            for (int p = 0; p < producers; p++) {
                pdone.recv();
            }
            unbuf.close();
            buf.close();
            for (int k = 0; k < consumers; k++) {
                cdone.recv();
            }
        });
        for (int i = 0; i < total; i++) {
            if (seen.get(i) != 1) {
                throw new AssertionError("message " + i + " received " + seen.get(i) + " times");
            }
        }
        assertEquals((long) total * (total - 1) / 2, sum.get());
        assertEquals(consumers * 2, closes.get(), "every consumer saw each close once");
    }
}
