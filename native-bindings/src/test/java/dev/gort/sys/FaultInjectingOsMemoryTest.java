package dev.gort.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fault-injecting wrapper: failures exactly where planned, the real kernel everywhere else. */
class FaultInjectingOsMemoryTest {
    private final FaultInjectingOsMemory os = new FaultInjectingOsMemory(PosixOsMemory.get());
    private final long page = os.pageSize();

    @Test
    void failNextFailsExactlyThatManyCallsThenPassesThrough() {
        os.failNext(FaultInjectingOsMemory.Op.RESERVE, 2, "ENOMEM");
        for (int i = 0; i < 2; i++) {
            NativeException e = assertThrows(NativeException.class, () -> os.reserve(4 * page));
            assertEquals("mmap", e.call());
            assertEquals("ENOMEM", e.errnoName());
            assertTrue(e.getMessage().contains("[injected by FaultInjectingOsMemory]")
                    && e.getMessage().contains("ENOMEM (Cannot allocate memory)"), e.getMessage());
        }
        assertEquals(2, os.injected(FaultInjectingOsMemory.Op.RESERVE));
        long base = os.reserve(4 * page); // the third call reaches the kernel
        try {
            assertEquals("---p", MemoryMaps.perms(base));
        } finally {
            os.unmap(base, 4 * page);
        }
    }

    @Test
    void failAfterLetsCallsThroughFirstAndAnInjectedFailureChangesNoState() {
        long base = os.reserve(4 * page);
        try {
            os.failAfter(FaultInjectingOsMemory.Op.COMMIT, 1, 1, "ENOMEM");
            os.commit(base, page); // skipped: real
            assertEquals("rw-p", MemoryMaps.perms(base));
            NativeException e = assertThrows(NativeException.class, () -> os.commit(base + page, page));
            assertEquals("mprotect", e.call());
            assertEquals("---p", MemoryMaps.perms(base + page), "injected failure happens before the call");
            os.commit(base + page, page); // plan exhausted
            assertEquals("rw-p", MemoryMaps.perms(base + page));

            os.failNext(FaultInjectingOsMemory.Op.RELEASE, 1, "EAGAIN");
            NativeMemory.putLong(base, 9);
            NativeException r = assertThrows(NativeException.class, () -> os.release(base, page, Advice.DONTNEED));
            assertEquals("madvise", r.call());
            assertEquals("EAGAIN", r.errnoName());
            assertEquals(9, NativeMemory.getLong(base), "pages not released by a failed call");
            assertTrue(os.release(base, page, Advice.DONTNEED));
            assertEquals(0, NativeMemory.getLong(base));

            os.failNext(FaultInjectingOsMemory.Op.DECOMMIT, 1, "EINVAL").failNext(FaultInjectingOsMemory.Op.HUGEPAGES, 1, "EINVAL");
            assertThrows(NativeException.class, () -> os.decommit(base, page));
            assertThrows(NativeException.class, () -> os.hugePages(base, page, true));
            assertEquals("rw-p", MemoryMaps.perms(base));
            os.decommit(base, page);
            assertEquals("---p", MemoryMaps.perms(base));
            assertEquals(0, os.residentPages(base, 4 * page), "residentPages is never injected");

            os.failNext(FaultInjectingOsMemory.Op.UNMAP, 5, "EINVAL");
            os.clear();
        } finally {
            os.unmap(base, 4 * page);
        }
        assertTrue(MemoryMaps.find(base).isEmpty(), "clear() removed the pending UNMAP failures");
    }

    @Test
    void badPlansAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> os.failAfter(FaultInjectingOsMemory.Op.COMMIT, -1, 1, "ENOMEM"));
        assertTrue(e.getMessage().contains("skip and count must be >= 0"), e.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> os.failNext(FaultInjectingOsMemory.Op.COMMIT, 1, "ENOTANERRNO"));
        assertTrue(name.getMessage().contains("unknown errno name 'ENOTANERRNO'") && name.getMessage().contains("ENOMEM"), name.getMessage());
    }

    @Test
    void argumentChecksStillApplyThroughTheWrapper() {
        assertThrows(IllegalArgumentException.class, () -> os.reserve(page + 1));
    }
}
