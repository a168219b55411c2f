package dev.gort.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input reaches the kernel or is stopped before it, and either way the message says what was
 * wrong and the next call works (TESTING.md: F7, F9, F12).
 */
class BadInputTest {
    private final OsMemory os = PosixOsMemory.get();
    private final long page = os.pageSize();

    @Test
    void mmapOfTwoToTheSixtySecondBytesIsEnomemAndTheNextReserveWorks() {
        NativeException e = assertThrows(NativeException.class, () -> os.reserve(1L << 62));
        assertEquals("mmap", e.call());
        assertEquals("ENOMEM", e.errnoName());
        assertEquals(Errno.value("ENOMEM"), e.errno());
        String m = e.getMessage();
        assertTrue(m.startsWith("mmap(addr=0x0, len=4611686018427387904, prot=PROT_NONE, flags=MAP_PRIVATE|"), m);
        assertTrue(m.contains("MAP_NORESERVE") && m.contains("failed: ENOMEM (Cannot allocate memory)"), m);

        long base = os.reserve(16 * page); // the process is fully usable afterwards
        os.commit(base, page);
        NativeMemory.putLong(base, 42);
        assertEquals(42, NativeMemory.getLong(base));
        os.unmap(base, 16 * page);
    }

    @Test
    void madviseOfAnUnalignedAddressIsEinvalAndTheNextMadviseWorks() {
        long base = os.reserve(4 * page);
        try {
            os.commit(base, 4 * page);
            NativeMemory.putLong(base, 7);
            NativeException e = assertThrows(NativeException.class,
                    () -> LibC.madvise(base + 1, page, Platform.current().constants().MADV_DONTNEED()));
            assertEquals("EINVAL", e.errnoName());
            assertTrue(e.getMessage().startsWith("madvise(addr=0x" + Long.toHexString(base + 1) + ", len=" + page
                    + ", advice=MADV_DONTNEED) failed: EINVAL (Invalid argument)"), e.getMessage());
            assertEquals(7, NativeMemory.getLong(base), "the failed call changed nothing");
            os.release(base, 4 * page, Advice.DONTNEED);
            assertEquals(0, NativeMemory.getLong(base), "the next madvise works");
        } finally {
            os.unmap(base, 4 * page);
        }
    }

    @Test
    void mprotectAndMunmapOfUnalignedAddressesAreEinval() {
        long base = os.reserve(2 * page);
        try {
            NativeException p = assertThrows(NativeException.class, () -> LibC.mprotect(base + 8, page, 3));
            assertEquals("mprotect", p.call());
            assertEquals("EINVAL", p.errnoName());
            assertTrue(p.getMessage().contains("prot=PROT_READ|PROT_WRITE"), p.getMessage());
            NativeException u = assertThrows(NativeException.class, () -> LibC.munmap(base + 8, page));
            assertEquals("EINVAL", u.errnoName());
        } finally {
            os.unmap(base, 2 * page);
        }
    }

    @Test
    void mincoreOfAnUnmappedRangeIsEnomem() {
        long base = os.reserve(2 * page);
        os.unmap(base, 2 * page);
        NativeException e = assertThrows(NativeException.class, () -> os.residentPages(base, 2 * page));
        assertEquals("mincore", e.call());
        assertEquals("ENOMEM", e.errnoName());
    }

    @Test
    void argumentsAreCheckedBeforeAnyCall() {
        long base = os.reserve(4 * page);
        try {
            assertMessage(() -> os.reserve(0), "reserve: length 0 must be a positive multiple of the page size (" + page + ")");
            assertMessage(() -> os.reserve(-page), "reserve: length -" + page + " must be a positive multiple");
            assertMessage(() -> os.reserve(page + 1), "reserve: length " + (page + 1) + " must be a positive multiple");
            assertMessage(() -> os.commit(base + 1, page), "commit: address 0x" + Long.toHexString(base + 1)
                    + " must be a non-null multiple of the page size (" + page + ")");
            assertMessage(() -> os.commit(0, page), "commit: address 0x0 must be a non-null multiple");
            assertMessage(() -> os.commit(base, 100), "commit: length 100 must be a positive multiple");
            assertMessage(() -> os.release(base, -page, Advice.DONTNEED), "release: length -" + page);
            assertMessage(() -> os.release(base + 8, page, Advice.FREE), "release: address 0x" + Long.toHexString(base + 8));
            assertMessage(() -> os.decommit(base, 0), "decommit: length 0");
            assertMessage(() -> os.hugePages(base + 2, page, true), "hugePages: address");
            assertMessage(() -> os.unmap(base, page - 1), "unmap: length " + (page - 1));
            assertMessage(() -> os.residentPages(base + page / 2, page), "residentPages: address");
            long top = -page; // 0xffff...f000: page-aligned, but the range wraps past 2^64
            assertMessage(() -> os.commit(top, 2 * page), "wraps around the end of the address space");
            assertMessage(() -> Advice.parse("sometimes"), "unknown release advice 'sometimes'; accepted: dontneed, free");
            // nothing above reached the kernel: the reservation is untouched and usable
            assertEquals("---p", MemoryMaps.perms(base));
            os.commit(base, page);
            assertEquals("rw-p", MemoryMaps.perms(base));
        } finally {
            os.unmap(base, 4 * page);
        }
    }

    @Test
    void absentAdviceNamesWhatExistsHere() {
        if (Platform.current().isLinux()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, Advice.FREE_REUSABLE::value);
            assertTrue(e.getMessage().contains("MADV_FREE_REUSABLE does not exist on linux/")
                    && e.getMessage().contains("accepted here: DONTNEED, FREE"), e.getMessage());
        }
        assertEquals(Advice.FREE, Advice.parse(" Free "));
    }

    private static void assertMessage(Runnable call, String expectedPart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(expectedPart), "message '" + e.getMessage() + "' should contain '" + expectedPart + "'");
    }
}
