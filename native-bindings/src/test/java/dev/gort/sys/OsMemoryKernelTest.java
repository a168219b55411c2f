package dev.gort.sys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The OsMemory state machine against the real kernel, observed the way the kernel reports it:
 * RSS from /proc/self/status, residency from mincore, LazyFree from smaps_rollup, protections
 * from /proc/self/maps (never by faulting).
 *
 * <p>RSS is the whole JVM's, so other threads (JIT, GC) move it a little while a test runs. The
 * bounds leave room for that (64 MiB moved, 60 MiB required; 16 MiB tolerated where nothing
 * should move), and each RSS check gets up to three attempts, counting a pass in any: a real bug
 * fails all three.
 */
class OsMemoryKernelTest {
    private static final long MiB = 1L << 20;
    private static final long GiB = 1L << 30;
    private static final long RESERVATION = 64 * GiB;
    private static final long COMMIT = 64 * MiB;
    private static final int ATTEMPTS = 3;

    private final OsMemory os = PosixOsMemory.get();
    private final long page = os.pageSize();
    private long base;

    @BeforeEach
    void linuxOnly() {
        assumeTrue(Platform.current().isLinux(), "RSS, LazyFree and maps figures are read from Linux /proc");
    }

    @AfterEach
    void unmap() {
        if (base != 0) {
            os.unmap(base, RESERVATION);
            base = 0;
        }
    }

    @Test
    void reservingSixtyFourGiBMovesNoRssAndIsInaccessible() {
        String failures = "";
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long before = ProcessMemory.rssBytes();
            base = os.reserve(RESERVATION);
            long delta = ProcessMemory.rssBytes() - before;
            System.out.printf("reserve 64 GiB PROT_NONE: RSS moved %d KiB%n", delta >> 10);
            if (Math.abs(delta) < 16 * MiB) {
                failures = "";
                break;
            }
            failures += " attempt " + attempt + ": RSS moved " + delta + " bytes;";
            unmap();
        }
        assertEquals("", failures, "a PROT_NONE reservation must not move RSS");
        assertEquals(0, os.residentPages(base, RESERVATION), "no page of a fresh reservation is resident");
        MemoryMaps.Region r = MemoryMaps.find(base).orElseThrow();
        assertEquals("---p", r.perms(), "reservation is private and inaccessible: " + r);
        assertTrue(r.contains(base + RESERVATION - 1), "one region covers the whole reservation: " + r);
    }

    @Test
    void commitAndTouchMakesEveryPageResidentThenDontneedReturnsThemAsZeros() {
        base = os.reserve(RESERVATION);
        long start = base + GiB; // inside the reservation, so the maps region has reserved neighbours
        os.commit(start, COMMIT);
        MemoryMaps.Region committed = MemoryMaps.find(start).orElseThrow();
        assertEquals("rw-p", committed.perms(), "committed range is read-write: " + committed);
        assertEquals(start, committed.start(), "mprotect split the reservation exactly at the commit start");
        assertEquals(start + COMMIT, committed.end(), "and exactly at its end");
        assertEquals("---p", MemoryMaps.perms(start - page), "the page below stays reserved");
        assertEquals("---p", MemoryMaps.perms(start + COMMIT), "the page above stays reserved");
        assertEquals(0, os.residentPages(start, COMMIT), "committing alone faults nothing in");

        long pages = COMMIT / page;
        String failures = "";
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long before = ProcessMemory.rssBytes();
            for (long i = 0; i < pages; i++) {
                NativeMemory.putLong(start + i * page, 0x6f72_7467_0000_0000L | i);
            }
            long grown = ProcessMemory.rssBytes() - before;
            long resident = os.residentPages(start, COMMIT);
            assertEquals(pages, resident, "mincore: every touched page is resident");

            long beforeRelease = ProcessMemory.rssBytes();
            assertTrue(os.release(start, COMMIT, Advice.DONTNEED), "DONTNEED on Linux reports zeroed pages");
            long fell = beforeRelease - ProcessMemory.rssBytes();
            long left = os.residentPages(start, COMMIT); // before reading: a read maps the shared zero page
            System.out.printf("commit+touch 64 MiB: %d/%d pages resident, RSS +%d KiB; DONTNEED: RSS -%d KiB, %d pages left resident%n",
                    resident, pages, grown >> 10, fell >> 10, left);
            assertTrue(left <= pages / 100, "after DONTNEED (almost) no page is resident, got " + left + " of " + pages);
            if (grown >= 60 * MiB && fell >= 60 * MiB) {
                failures = "";
                break;
            }
            failures += " attempt " + attempt + ": RSS grew " + grown / MiB + " MiB, fell " + fell / MiB + " MiB;";
        }
        assertEquals("", failures, "touching 64 MiB grows RSS by >= 60 MiB and DONTNEED gives >= 60 MiB back");

        for (long a = start; a < start + COMMIT; a += 8) {
            if (NativeMemory.getLong(a) != 0) {
                throw new AssertionError("after MADV_DONTNEED, word at +" + (a - start) + " reads 0x"
                        + Long.toHexString(NativeMemory.getLong(a)) + ", not zero");
            }
        }
        assertEquals("rw-p", MemoryMaps.perms(start), "release keeps the range committed");
    }

    @Test
    void madvFreeShowsAsLazyFree() {
        base = os.reserve(RESERVATION);
        os.commit(base, COMMIT);
        String failures = "";
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            for (long a = base; a < base + COMMIT; a += page) {
                NativeMemory.putLong(a, a); // (re)dirty every page: MADV_FREE only marks dirty pages lazily free
            }
            long before = ProcessMemory.read().lazyFree();
            assertTrue(before >= 0, "this kernel reports LazyFree in /proc/self/smaps_rollup");
            assertTrue(!os.release(base, COMMIT, Advice.FREE), "MADV_FREE never promises zeroed pages");
            long rose = ProcessMemory.read().lazyFree() - before;
            System.out.printf("MADV_FREE of 64 MiB: LazyFree +%d KiB%n", rose >> 10);
            // The kernel frees lazily-freed pages only under memory pressure, so until then they
            // stay resident and LazyFree counts them.
            if (rose >= 60 * MiB && rose <= COMMIT + 8 * MiB) {
                failures = "";
                break;
            }
            failures += " attempt " + attempt + ": LazyFree rose " + rose + " bytes;";
        }
        assertEquals("", failures, "MADV_FREE of 64 MiB raises LazyFree by about 64 MiB");
        assertEquals("rw-p", MemoryMaps.perms(base), "MADV_FREE keeps the range committed");
    }

    @Test
    void remapReplacesCommittedPagesWithFreshZeroPagesInPlace() {
        base = os.reserve(RESERVATION);
        long start = base + 3 * GiB;
        os.commit(start, COMMIT);
        NativeMemory.fill(start, COMMIT, (byte) 0x5a);
        assertEquals(COMMIT / page, os.residentPages(start, COMMIT));
        os.remap(start, COMMIT);
        assertEquals(0, os.residentPages(start, COMMIT), "the old pages went back to the kernel");
        MemoryMaps.Region r = MemoryMaps.find(start).orElseThrow();
        assertEquals("rw-p", r.perms(), "the range stays usable: " + r);
        for (long off = 0; off < COMMIT; off += page) {
            assertEquals(0, NativeMemory.getLong(start + off), "remapped page at +" + off + " reads zero");
        }
        MemoryMaps.Region below = MemoryMaps.find(start - page).orElseThrow();
        assertEquals("---p", below.perms(), "the reservation around it is untouched: " + below);
    }

    @Test
    void decommitReturnsToReservedAndUnmapRemovesTheMapping() {
        base = os.reserve(RESERVATION);
        long start = base + 2 * GiB;
        os.commit(start, COMMIT);
        NativeMemory.fill(start, COMMIT, (byte) 0x5a);
        assertEquals(COMMIT / page, os.residentPages(start, COMMIT));
        os.decommit(start, COMMIT);
        assertEquals(0, os.residentPages(start, COMMIT), "decommit releases the pages");
        MemoryMaps.Region r = MemoryMaps.find(start).orElseThrow();
        assertEquals("---p", r.perms(), "decommitted range is inaccessible again: " + r);

        os.commit(start, page);
        assertEquals(0, NativeMemory.getLong(start), "a recommitted page reads zero");

        os.unmap(base, RESERVATION);
        long unmapped = base;
        base = 0;
        assertTrue(MemoryMaps.find(unmapped).isEmpty(), "unmap removes the mapping");
        assertTrue(MemoryMaps.find(unmapped + RESERVATION - 1).isEmpty(), "all of it");
    }

    @Test
    void hugePageAdviceIsAcceptedOnAlignedRanges() {
        base = os.reserve(RESERVATION);
        os.commit(base, COMMIT);
        os.hugePages(base, COMMIT, true);
        os.hugePages(base, COMMIT, false);
        NativeMemory.putLong(base, 1);
        assertEquals(1, NativeMemory.getLong(base));
    }
}
