package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scanning fast path the arena offers the collector (GcSupport.pointerBits, findObjectIn,
 * tryMarkIn) against the per-word and per-question slow paths it replaces, on the real arena.
 */
class PointerBitsTest {
    Heap heap;
    GcSupport gcs;
    MCache cache;

    @BeforeEach
    void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gcs = heap.gc();
        cache = heap.newCache();
    }

    @AfterEach
    void tearDown() {
        heap.releaseCache(cache);
        heap.close();
    }

    /** 64-bit windows at every alignment inside and across bitmap words equal the per-word bits. */
    @Test
    void pointerBitsMatchesIsPointerWordForEveryWindow() {
        SplittableRandom rnd = new SplittableRandom(42);
        long seed = rnd.nextLong();
        // A large object with a random mask: every word offset, every window length.
        int words = 8192 / 8 * 2;
        long[] mask = new long[words / 64];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rnd.nextLong();
        }
        long p = cache.alloc(8L * words, false);
        gcs.writePointerMask(p, words, mask);
        for (int start = 0; start < 200; start++) {
            for (int n = 1; n <= 64; n++) {
                long expect = 0;
                for (int i = 0; i < n; i++) {
                    if (gcs.isPointerWord(p + 8L * (start + i))) {
                        expect |= 1L << i;
                    }
                }
                assertEquals(expect, gcs.pointerBits(p + 8L * start, n),
                        "seed " + seed + ": window of " + n + " words at word " + start);
            }
        }
    }

    /** Small objects: the bits of one object never include its neighbour's. */
    @Test
    void pointerBitsOfSmallObjectsStopAtTheObject() {
        Type node = Type.struct("N").pointer("a").longField("x").build();     // 16 bytes: bits 01
        Type rev = Type.struct("R").longField("x").pointer("a").build();      // 16 bytes: bits 10
        for (int i = 0; i < 1000; i++) {
            Type t = (i & 1) == 0 ? node : rev;
            long p = cache.alloc(t.size(), false);
            gcs.writePointerMask(p, t.sizeWords(), t.fullMask());
            assertEquals((i & 1) == 0 ? 1L : 2L, gcs.pointerBits(p, 2), "object " + i);
            assertEquals(gcs.isPointerWord(p), (gcs.pointerBits(p, 1) & 1) != 0);
        }
    }

    @Test
    void findObjectInAndTryMarkInAgreeWithTheSlowPaths() {
        long[] objs = new long[500];
        for (int i = 0; i < objs.length; i++) {
            objs[i] = cache.alloc(48, false);
        }
        gcs.setAllocBlack(false);
        for (long p : objs) {
            for (long off = 0; off < 48; off += 8) {
                long s = gcs.spanOf(p + off);
                assertNotEquals(0, s);
                assertEquals(gcs.findObject(p + off), gcs.findObjectIn(s, p + off));
                assertEquals(p, gcs.findObjectIn(s, p + off));
            }
            long s = gcs.spanOf(p);
            assertFalse(gcs.isMarked(p));
            assertTrue(gcs.tryMarkIn(s, p), "first mark greys");
            assertFalse(gcs.tryMarkIn(s, p), "second mark does not");
            assertFalse(gcs.tryMark(p), "the slow path sees the same bit");
            assertTrue(gcs.isMarked(p));
        }
        // A large object: every interior address maps to its start.
        long big = cache.alloc(64 << 10, false);
        long s = gcs.spanOf(big + 1234 * 8);
        assertNotEquals(0, s);
        assertEquals(big, gcs.findObjectIn(s, big + 1234 * 8));
    }

    /** writePointerBits at every alignment and length equals writePointerMask, and leaves the neighbours alone. */
    @Test
    void writePointerBitsMatchesWritePointerMask() {
        SplittableRandom rnd = new SplittableRandom(7);
        int words = 8192 / 8 * 2;
        long p = cache.alloc(8L * words, false);
        long[] ones = new long[words / 64];
        java.util.Arrays.fill(ones, -1L);
        for (int trial = 0; trial < 2000; trial++) {
            int start = rnd.nextInt(words - 64);
            int n = 1 + rnd.nextInt(64);
            long bits = rnd.nextLong();
            gcs.writePointerMask(p, words, ones);          // every neighbour bit set
            gcs.writePointerBits(p + 8L * start, n, bits);
            for (int i = 0; i < words; i++) {
                boolean expect = i < start || i >= start + n || ((bits >>> (i - start)) & 1) != 0;
                assertEquals(expect, gcs.isPointerWord(p + 8L * i), "trial " + trial + ": word " + i + " after writing "
                        + n + " bits at word " + start);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> gcs.writePointerBits(p, 65, 0));
        assertThrows(IllegalArgumentException.class, () -> gcs.writePointerBits(p, 0, 0));
    }
}
