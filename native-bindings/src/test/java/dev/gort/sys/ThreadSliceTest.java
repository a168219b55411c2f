package dev.gort.sys;

import dev.gort.testing.FreshThread;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.*;

class ThreadSliceTest {

    @Test
    void requestedSliceIsReadBackOnThisKernel() throws InterruptedException {
        FreshThread.run(() -> {
            long before = ThreadSlice.current();
            boolean taken = ThreadSlice.request(200_000);
            if (!Platform.current().isLinux()) {
                assertFalse(taken);
                return;
            }
            // These machines run Linux 6.18 (EEVDF custom slices since 6.12): the request must hold.
            String release = System.getProperty("os.version");
            int major = Integer.parseInt(release.split("\\.")[0]);
            int minor = Integer.parseInt(release.split("\\.")[1].replaceAll("\\D.*", ""));
            if (major > 6 || (major == 6 && minor >= 12)) {
                assertTrue(taken, "kernel " + release + " should accept a 0.2 ms slice (read " + ThreadSlice.current() + ")");
                assertEquals(200_000, ThreadSlice.current());
                assertNotEquals(200_000, before, "a fresh thread starts with the default slice");
                assertTrue(ThreadSlice.request(ThreadSlice.MIN_NANOS));
                assertEquals(ThreadSlice.MIN_NANOS, ThreadSlice.current());
            }
        });
    }

    @Test
    void theSliceIsPerThread() throws InterruptedException {
        long mine = ThreadSlice.current();
        FreshThread.run(() -> ThreadSlice.request(300_000));
        assertEquals(mine, ThreadSlice.current(), "another thread's request does not change this one's");
    }

    @Test
    void outOfRangeSlicesAreRefusedWithTheRange() {
        for (long bad : new long[] {0, 99_999, 100_000_001, -1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ThreadSlice.request(bad));
            assertTrue(e.getMessage().contains("accepted 100000..100000000 ns"), e.getMessage());
        }
        assertTrue(ThreadSlice.current() >= 0, "still usable after refusals");
    }
}
