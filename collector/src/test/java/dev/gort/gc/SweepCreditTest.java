package dev.gort.gc;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** The sweep credit's epoch tag: a sweep that began under one pacing is never credited to the next. */
class SweepCreditTest {
    @Test
    void creditsOnlyTheEpochTheSweepBeganIn() {
        SweepCredit c = new SweepCredit();
        long t0 = c.tag();
        assertTrue(c.credit(t0, 8));
        assertTrue(c.credit(t0, 4));
        assertEquals(12, c.pages());
        c.newEpoch();
        assertEquals(0, c.pages(), "a new pacing starts at 0 pages");
        assertFalse(c.credit(t0, 8), "a batch swept under the previous pacing");
        assertEquals(0, c.pages());
        assertEquals(1, c.refused());
        assertTrue(c.credit(c.tag(), 3));
        assertEquals(3, c.pages());
    }

    @Test
    void theEpochWrapsAfter65536Pacings() {
        SweepCredit c = new SweepCredit();
        long t0 = c.tag();
        for (int i = 0; i < 65_535; i++) {
            c.newEpoch();
            assertNotEquals(t0, c.tag(), "epoch " + (i + 1));
        }
        c.newEpoch();
        assertEquals(t0, c.tag(), "after 2^16 pacings the tag comes round (documented)");
        assertTrue(c.credit(c.tag(), 1));
        assertEquals(1, c.pages());
    }

    @Test
    void badPageCountsAreRefusedAndTheCreditStaysUsable() {
        SweepCredit c = new SweepCredit();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.credit(c.tag(), -1));
        assertTrue(e.getMessage().contains("[0, 2^48)") && e.getMessage().contains("-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.credit(c.tag(), 1L << 48));
        assertTrue(c.credit(c.tag(), 5));
        assertEquals(5, c.pages());
    }

    /** Racing credits and pacings: every credit either lands or is refused, none counted twice or lost. */
    @Test
    void racingCreditsAndPacingsLandOrAreRefused() throws Exception {
        SweepCredit c = new SweepCredit();
        AtomicLong credited = new AtomicLong();
        int threads = 2;
        int perThread = 200_000;
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(() -> {
                for (int k = 0; k < perThread; k++) {
                    long tag = c.tag();
                    if (c.credit(tag, 1)) {
                        credited.incrementAndGet();
                    }
                }
            });
            ts[i].start();
        }
        int epochs = 0;
        while (ts[0].isAlive() || ts[1].isAlive()) {
            long before = c.pages();
            assertTrue(before <= (long) threads * perThread);
            c.newEpoch();
            epochs++;
            Thread.onSpinWait();
        }
        for (Thread t : ts) {
            t.join();
        }
        long lastEpochPages = c.pages();
        assertEquals((long) threads * perThread, credited.get() + c.refused(), "each credit either landed or was refused");
        assertTrue(lastEpochPages <= credited.get());
        assertTrue(epochs > 0);
    }
}
