package dev.gort.gc;

import dev.gort.sched.Chan;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import dev.gort.sched.GoPanic;
import dev.gort.sched.Select;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PtrChan in a {@link Select} beside plain Chans, and PtrChan's comma-ok receive, under the real
 * scheduler with gccheckmark and gcpoison: a pointer in flight stays a root while it sits in a
 * parked select's frame (send case), and arrives intact in a receive case.
 */
class PtrChanSelectTest {
    static final GcOptions OPTS = PtrChanTest.OPTS;

    @Test
    void recv2TellsASentZeroFromTheClose() {
        SchedCollectorTest.withRuntime(1, OPTS, gc -> {
            PtrChan c = PtrChan.create(gc, 2);
            c.send(0);
            c.send(0x40);
            c.close();
            assertEquals(new PtrChan.Received(0, true), c.recv2());
            assertEquals(new PtrChan.Received(0x40, true), c.recv2());
            assertEquals(new PtrChan.Received(0, false), c.recv2());
            // A parked comma-ok receiver woken by close.
            PtrChan u = PtrChan.create(gc, 0);
            AtomicReference<PtrChan.Received> got = new AtomicReference<>();
            PtrChan done = PtrChan.create(gc, 1);
            Go.go(() -> {
                got.set(u.recv2());
                done.send(0x8);
            });
            while (u.recvParks() == 0) {
                Go.gosched();
            }
            u.close();
            done.recv();
            assertEquals(new PtrChan.Received(0, false), got.get());
            done.close();
            for (PtrChan x : new PtrChan[] {c, u, done}) {
                x.free();
            }
        });
    }

    @Test
    void readyCasesNilCasesAndDefault() {
        SchedCollectorTest.withRuntime(1, OPTS, gc -> {
            PtrChan p = PtrChan.create(gc, 1);
            Chan<String> never = new Chan<>();
            Select s = new Select().recv(never).recvPtr(p).recvPtr(null);
            assertEquals(-1, s.selectOrDefault(), "nothing ready: default");
            Select send = new Select().sendPtr(p, 0x30).recv(never);
            assertEquals(0, send.select(), "room in the buffer: the send case");
            assertEquals(1, p.len());
            assertEquals(-1, send.selectOrDefault(), "buffer full: default");
            assertEquals(1, s.select());
            assertEquals(0x30, s.pointer());
            assertTrue(s.ok());
            p.close();
            assertEquals(1, s.select(), "a closed PtrChan is ready");
            assertEquals(0, s.pointer());
            assertFalse(s.ok());
            GoPanic e = assertThrows(GoPanic.class, () -> new Select().sendPtr(p, 0x8).select());
            assertEquals("send on closed channel", e.getMessage());
            p.free();
        });
    }

    /**
     * The case: the only reference to an object is the value of a parked select's send
     * case. It survives collections (gccheckmark on) and arrives intact (gcpoison on).
     */
    @Test
    void parkedSelectSendCaseValueIsARoot() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            PtrChan c = PtrChan.create(gc, 0);
            Chan<String> never = new Chan<>();
            AtomicInteger chosen = new AtomicInteger(-1);
            PtrChan ack = PtrChan.create(gc, 1);
            Go.go(() -> {
                long p = SchedCollectorTest.node(gc, 77);     // only in this Java local until select() roots it
                chosen.set(new Select().recv(never).sendPtr(c, p).select());
                ack.send(0x8);
            });
            while (c.sendParks() == 0) {
                Go.gosched();
            }
            for (int i = 0; i < 20_000; i++) {
                SchedCollectorTest.node(gc, -i);              // garbage, and allocation pressure
            }
            gc.gc();
            gc.gc();
            assertEquals(1, gc.heap().readMemStats().heapObjects(), "the parked select's send value is live");
            try (Frame f = Frame.push(1)) {
                f.set(0, c.recv());
                assertEquals(77, Mem.getLong(f.get(0), CollectorTest.ID), "payload intact");
                assertEquals(CollectorTest.check(77), Mem.getLong(f.get(0), CollectorTest.CHECK));
                assertEquals(0x8, ack.recv());
                assertEquals(1, chosen.get());
            }
            gc.gc();
            assertEquals(0, gc.heap().readMemStats().heapObjects(), "no longer referenced: freed");
            c.close();
            c.free();
            ack.close();
            ack.free();
        });
    }

    /** A parked select's receive case gets the pointer in its frame; a collection meanwhile keeps it. */
    @Test
    void parkedSelectReceiveCaseGetsThePointer() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            PtrChan c = PtrChan.create(gc, 0);
            Chan<String> never = new Chan<>();
            AtomicLong payload = new AtomicLong();
            AtomicInteger chosen = new AtomicInteger(-1);
            PtrChan ack = PtrChan.create(gc, 1);
            Go.go(() -> {
                Select s = new Select().recvPtr(c).recv(never);
                chosen.set(s.select());
                try (Frame f = Frame.push(1)) {
                    f.set(0, s.pointer());
                    gc.gc();                                   // rooted by the frame now
                    payload.set(Mem.getLong(f.get(0), CollectorTest.ID));
                }
                ack.send(0x8);
            });
            while (c.recvParks() == 0) {
                Go.gosched();
            }
            c.send(SchedCollectorTest.node(gc, 55));
            assertEquals(0x8, ack.recv());
            assertEquals(0, chosen.get());
            assertEquals(55, payload.get());
            c.close();
            c.free();
            ack.close();
            ack.free();
        });
    }

    /** A select that won on one PtrChan leaves no waiter on the other: a later value stays buffered. */
    @Test
    void losingCasesAreDequeuedAndCloseWakesSelects() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            PtrChan a = PtrChan.create(gc, 0);
            PtrChan b = PtrChan.create(gc, 1);
            PtrChan ack = PtrChan.create(gc, 1);
            AtomicInteger chosen = new AtomicInteger(-1);
            Go.go(() -> {
                Select s = new Select().recvPtr(a).recvPtr(b);
                chosen.set(s.select());
                ack.send(s.pointer());
            });
            while (a.recvParks() == 0 || b.recvParks() == 0) {
                Go.gosched();
            }
            a.send(0x18);
            assertEquals(0x18, ack.recv());
            assertEquals(0, chosen.get());
            b.send(0x28);
            assertEquals(1, b.len(), "the losing case's waiter was removed: the value stays buffered");
            assertEquals(0x28, b.recv());

            // close wakes a parked select: receive case with ok=false, send case panics.
            PtrChan r = PtrChan.create(gc, 0);
            PtrChan w = PtrChan.create(gc, 0);
            AtomicReference<String> outcome = new AtomicReference<>();
            Go.go(() -> {
                Select s = new Select().recvPtr(r);
                int i = s.select();
                outcome.set(i + " " + s.ok() + " " + s.pointer());
                ack.send(0x8);
            });
            Go.go(() -> {
                try {
                    new Select().sendPtr(w, 0x48).select();
                    outcome.set("sent?");
                } catch (GoPanic e) {
                    ack.send(0x10);
                }
            });
            while (r.recvParks() == 0 || w.sendParks() == 0) {
                Go.gosched();
            }
            r.close();
            assertEquals(0x8, ack.recv());
            assertEquals("0 false 0", outcome.get());
            w.close();
            assertEquals(0x10, ack.recv(), "a parked select send case panics when the channel closes");
            for (PtrChan x : new PtrChan[] {a, b, ack}) {
                x.close();
            }
            for (PtrChan x : new PtrChan[] {a, b, r, w, ack}) {
                x.free();
            }
        });
    }

    /**
     * 2 producers select-send node pointers over two PtrChans and a Chan<Long> (exact count), 2
     * consumers select-receive over both PtrChans, while the collector runs: every node arrives
     * once with its payload intact.
     */
    @Test
    void mixedSelectTrafficUnderCollection() {
        int perProducer = Integer.getInteger("gort.stress.ptrselect", 3_000);
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            PtrChan a = PtrChan.create(gc, 0);
            PtrChan b = PtrChan.create(gc, 4);
            Chan<Long> plain = new Chan<>(4);
            PtrChan done = PtrChan.create(gc, 4);
            AtomicLong sum = new AtomicLong();
            AtomicLong bad = new AtomicLong();
            AtomicInteger received = new AtomicInteger();
            for (int pr = 0; pr < 2; pr++) {
                long base = pr * 1_000_000L;
                Go.go(() -> {
                    Select s = new Select();
                    for (int i = 1; i <= perProducer; i++) {
                        long id = base + i;
                        long p = SchedCollectorTest.node(gc, id);
                        s.clear().sendPtr(a, p).sendPtr(b, p).send(plain, id);
                        s.select();
                    }
                    done.send(0x8);
                });
            }
            for (int co = 0; co < 2; co++) {
                Go.go(() -> {
                    boolean[] closed = new boolean[3];
                    Select s = new Select().recvPtr(a).recvPtr(b).recv(plain);
                    for (;;) {
                        int i = s.select();
                        if (!s.ok()) {
                            // Closed and drained: from now on a nil case (Go's idiom ch = nil).
                            closed[i] = true;
                            if (closed[0] && closed[1] && closed[2]) {
                                break;
                            }
                            s.clear().recvPtr(closed[0] ? null : a).recvPtr(closed[1] ? null : b).recv(closed[2] ? null : plain);
                            continue;
                        }
                        if (i == 2) {
                            sum.addAndGet((Long) s.value());
                            received.incrementAndGet();
                            continue;
                        }
                        long p = s.pointer();
                        long id = Mem.getLong(p, CollectorTest.ID);
                        if (Mem.getLong(p, CollectorTest.CHECK) != CollectorTest.check(id)) {
                            bad.incrementAndGet();
                        }
                        sum.addAndGet(id);
                        received.incrementAndGet();
                    }
                    done.send(0x10);
                });
            }
            done.recv();
            done.recv();
            a.close();
            b.close();
            plain.close();
            done.recv();
            done.recv();
            long n = perProducer;
            assertEquals(2 * n, received.get(), "every value received once");
            assertEquals(n * (n + 1) / 2 * 2 + 1_000_000L * n, sum.get());
            assertEquals(0, bad.get(), "payloads intact");
            done.close();
            for (PtrChan x : new PtrChan[] {a, b, done}) {
                x.free();
            }
        });
    }
}
