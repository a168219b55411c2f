package dev.gort.gc;

import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PtrChan: Go's channel semantics for managed pointers, and the collector's view of values in
 * flight (buffer slots and parked senders are roots; a receive hands the only reference over).
 * Runs under the real scheduler with gccheckmark and gcpoison.
 */
class PtrChanTest {
    static final GcOptions OPTS = GcOptions.DEFAULT.withDebug(false, true, true, 0, 0);

    @Test
    void bufferedFifoAndUnbufferedHandOff() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            PtrChan c = PtrChan.create(gc, 3);
            assertEquals(3, c.capacity());
            c.send(0x10);
            c.send(0x20);
            assertEquals(2, c.len());
            assertArrayEquals(new long[] {0x10, 0x20}, c.buffered());
            assertEquals(0x10, c.recv());
            assertEquals(0x20, c.recv());
            assertEquals(0, c.len());

            // Unbuffered: the sender parks until a receiver takes the value from its frame.
            PtrChan u = PtrChan.create(gc, 0);
            PtrChan done = PtrChan.create(gc, 1);
            Go.go(() -> {
                for (long v = 1; v <= 100; v++) {
                    u.send(v * 8);
                }
                done.send(0x99);
            });
            for (long v = 1; v <= 100; v++) {
                assertEquals(v * 8, u.recv());
            }
            assertEquals(0x99, done.recv());
            assertTrue(u.sendParks() + u.recvParks() > 0, "someone parked on the unbuffered channel");
            for (PtrChan x : new PtrChan[] {c, u, done}) {
                x.close();
                x.free();
            }
        });
    }

    @Test
    void closeWakesReceiversWithZeroAndRefusesSends() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            PtrChan c = PtrChan.create(gc, 1);
            PtrChan result = PtrChan.create(gc, 1);
            AtomicLong got = new AtomicLong(-1);
            Go.go(() -> {
                got.set(c.recv());                 // parks: nothing buffered
                result.send(0x8);
            });
            while (c.recvParks() == 0) {
                Go.gosched();
            }
            c.close();
            assertEquals(0x8, result.recv());
            assertEquals(0, got.get(), "a receiver woken by close gets 0");
            assertEquals(0, c.recv(), "a closed, drained channel returns 0 at once");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.send(0x10));
            assertEquals("send on closed channel", e.getMessage());
            e = assertThrows(IllegalStateException.class, c::close);
            assertEquals("close of closed channel", e.getMessage());
            c.free();
            e = assertThrows(IllegalStateException.class, c::recv);
            assertTrue(e.getMessage().contains("after free"), e.getMessage());
            PtrChan open = PtrChan.create(gc, 1);
            e = assertThrows(IllegalStateException.class, open::free);
            assertTrue(e.getMessage().contains("close the channel"), e.getMessage());
            open.close();
            open.free();
            result.close();
            result.free();
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PtrChan(new GlobalRoots(), -1));
        assertTrue(e.getMessage().contains("capacity -1 is negative"), e.getMessage());
    }

    /** A pointer whose only reference is a buffer slot survives collections; after it is received and dropped, it is freed. */
    @Test
    void bufferedPointerIsARoot() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            PtrChan c = PtrChan.create(gc, 2);
            long p = SchedCollectorTest.node(gc, 42);
            c.send(p);                              // the channel holds the only reference now
            for (int i = 0; i < 20_000; i++) {
                SchedCollectorTest.node(gc, -i);    // garbage
            }
            gc.gc();
            gc.gc();
            assertEquals(1, gc.heap().readMemStats().heapObjects(), "only the buffered object is live");
            long q = c.recv();
            assertEquals(p, q);
            assertEquals(42, Mem.getLong(q, CollectorTest.ID), "payload intact (gcpoison would have overwritten it)");
            gc.gc();                                // received into a Java local only: no longer a root
            assertEquals(0, gc.heap().readMemStats().heapObjects());
            c.close();
            c.free();
        });
    }

    /** A parked sender's value lives in its frame: a root while it waits, across collections. */
    @Test
    void parkedSendersValueIsARoot() {
        SchedCollectorTest.withRuntime(2, OPTS, gc -> {
            PtrChan c = PtrChan.create(gc, 0);
            PtrChan ack = PtrChan.create(gc, 1);
            Go.go(() -> {
                long p = SchedCollectorTest.node(gc, 7);
                c.send(p);                          // parks: nobody receives yet
                ack.send(0x8);
            });
            while (c.sendParks() == 0) {
                Go.gosched();
            }
            for (int i = 0; i < 20_000; i++) {
                SchedCollectorTest.node(gc, -i);
            }
            gc.gc();
            gc.gc();
            assertEquals(1, gc.heap().readMemStats().heapObjects(), "the parked sender's value is live");
            try (Frame f = Frame.push(1)) {
                f.set(0, c.recv());
                assertEquals(7, Mem.getLong(f.get(0), CollectorTest.ID));
                assertEquals(0x8, ack.recv());
                gc.gc();
                assertEquals(1, gc.heap().readMemStats().heapObjects(), "now held by the receiver's frame");
            }
            gc.gc();
            assertEquals(0, gc.heap().readMemStats().heapObjects());
            for (PtrChan x : new PtrChan[] {c, ack}) {
                x.close();
                x.free();
            }
        });
    }
}
