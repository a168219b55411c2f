package dev.gort.arena;

import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsMemory;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Allocating part of a released OS page larger than gort's 8 KiB page (16 KiB: macOS arm64; 64 KiB:
 * arm64 Linux), run on this machine's real arena through {@link LargePageOsMemory}. Writing any byte
 * of an OS page makes the whole page resident, so the heap's released figure must follow whole OS
 * pages: HeapReleased equals the committed arena less what mincore finds resident (every allocated
 * byte here is written, so nothing allocated is non-resident). scav28 left the allocation clearing
 * the released marks of its own 8 KiB pages only: the rest of the OS page stayed marked released
 * though resident, a later release of that OS page counted only the pages allocated in between
 * (the scavenger said it released 64 KiB, HeapReleased grew by less), and the age pass, which rounds
 * each unreleased stretch inward to whole OS pages, never released it again.
 */
class PartialOsPageAllocationTest {
    static final long KiB = 1L << 10;
    static final long MiB = 1L << 20;

    final AtomicLong now = new AtomicLong(1_000_000_000L);

    Heap newHeap(long osPage) {
        OsMemory os = osPage == 0 ? PosixOsMemory.get() : new LargePageOsMemory(osPage);
        return Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withClock(now::get), os);
    }

    /** Resident bytes of {@code [address, address + bytes)} in the heap's OS pages (mincore). */
    static long residentBytes(Heap heap, long address, long bytes) {
        return heap.space.os().residentPages(address, bytes) * heap.space.osPage();
    }

    /** HeapReleased against the OS: the committed arena less its resident OS pages (mincore). */
    static void assertReleasedIsNotResident(Heap heap, String when) {
        long notResident = heap.arenaCommittedBytes() - heap.arenaResidentBytes();
        assertEquals(notResident, heap.readMemStats().heapReleased(),
                when + ": HeapReleased against the committed arena less its resident OS pages");
    }

    /**
     * Everything free released; then 40 KiB (five 8 KiB pages) allocated from the released run and
     * written: part of one 64 KiB page, two and a half 16 KiB pages. The OS page that holds the
     * allocation's end is resident as a whole and must no longer count as released; freed and
     * released again, the heap's released figure must grow by what the scavenger says it released.
     */
    @ParameterizedTest
    @ValueSource(longs = {16 << 10, 64 << 10, 256 << 10})
    void allocatingPartOfAReleasedOsPageUnmarksTheWholePage(long osPage) {
        try (Heap heap = newHeap(osPage)) {
            MCache c = heap.newCache();
            long big = c.alloc(4 * MiB, true);
            NativeMemory.fill(big, 4 * MiB, (byte) 1);
            c.free(big);
            heap.scavengeToRetain(0);
            assertReleasedIsNotResident(heap, "everything free released");
            long a = c.alloc(40 * KiB, true);
            NativeMemory.fill(a, 40 * KiB, (byte) 3);
            assertReleasedIsNotResident(heap, "40 KiB of a released run allocated and written");
            heap.verifyHeap();
            c.free(a);
            long releasedBefore = heap.readMemStats().heapReleased();
            long released = heap.scavengeToRetain(0);
            assertEquals(released, heap.readMemStats().heapReleased() - releasedBefore,
                    "the scavenger's released bytes against HeapReleased's growth");
            assertReleasedIsNotResident(heap, "freed and released again");
            heap.verifyHeap();
        }
    }

    /**
     * The same partial allocation, then the age pass: once the allocation is freed and idle, its OS
     * page is free as a whole and must go back to the OS.
     */
    @ParameterizedTest
    @ValueSource(longs = {16 << 10, 64 << 10, 256 << 10})
    void theAgePassReleasesAnOsPageOncePartlyAllocated(long osPage) {
        try (Heap heap = newHeap(osPage)) {
            MCache c = heap.newCache();
            long big = c.alloc(4 * MiB, true);
            NativeMemory.fill(big, 4 * MiB, (byte) 1);
            c.free(big);
            heap.scavengeToRetain(0);
            long a = c.alloc(40 * KiB, true);
            NativeMemory.fill(a, 40 * KiB, (byte) 3);
            c.free(a);
            now.addAndGet(HeapConfig.DEFAULT_SCAVENGE_IDLE_NANOS);
            heap.scavengeIdle();
            long osPagesFrom = a / osPage * osPage;
            long osPagesTo = AddressSpace.roundUp(a + 40 * KiB, osPage);
            assertEquals(0, residentBytes(heap, osPagesFrom, osPagesTo - osPagesFrom),
                    "the OS pages the freed allocation touched are released by the age pass");
            assertReleasedIsNotResident(heap, "after the age pass");
            heap.verifyHeap();
        }
    }

    /**
     * Random large allocations (whole pages, every byte written), frees, paced and unpaced retain
     * releases and age passes, with HeapReleased checked against mincore after every step, on the
     * real page size (0) and on 16 and 64 KiB pages.
     */
    @ParameterizedTest
    @ValueSource(longs = {0, 16 << 10, 64 << 10, 256 << 10})
    void theReleasedFigureFollowsResidencyUnderRandomWork(long osPage) {
        try (Heap heap = newHeap(osPage)) {
            MCache c = heap.newCache();
            SplittableRandom rnd = new SplittableRandom(29);
            List<Long> live = new ArrayList<>();
            for (int step = 0; step < 600; step++) {
                int op = rnd.nextInt(10);
                String what;
                if (op < 5 || live.isEmpty()) {
                    long bytes = (5 + rnd.nextInt(60)) * SizeClasses.PAGE_SIZE;
                    long p = c.alloc(bytes, true);
                    NativeMemory.fill(p, bytes, (byte) step);
                    live.add(p);
                    what = "allocated " + bytes + " B at 0x" + Long.toHexString(p);
                } else if (op < 8) {
                    c.free(live.remove(rnd.nextInt(live.size())));
                    what = "freed";
                } else if (op == 8) {
                    long r = heap.scavengeToRetain(heap.heapRetainedBytes() / 2, 64 * KiB);
                    what = "paced release of " + r + " B";
                } else {
                    now.addAndGet(HeapConfig.DEFAULT_SCAVENGE_IDLE_NANOS);
                    long r = heap.scavengeIdle();
                    what = "age pass released " + r + " B";
                }
                assertReleasedIsNotResident(heap, "step " + step + " (" + what + ")");
                if (step % 50 == 0) {
                    heap.verifyHeap();
                }
            }
            for (long p : live) {
                c.free(p);
            }
            heap.scavengeToRetain(0);
            assertReleasedIsNotResident(heap, "everything freed and released");
            heap.verifyHeap();
        }
    }
}
