package dev.gort.arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sys.PosixOsMemory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reclaim walk ({@link Reclaimer}) reads span descriptors with no lock, while
 * {@link MHeap#allocSpanLocked} may be setting one up: {@link Span#init} zeroes the descriptor,
 * then writes start, npages and state, then the bitmap pointers. A walker that reads the run's
 * first page in between sees a large (or in-use) span at that address with sweepgen 0, which is
 * {@code sg - 2} in the first sweep cycle, and a mark-bits pointer of 0. The child JVM below
 * builds exactly that view of a real large span and walks the arena: the walk must pass over it
 * (counted as marked), not read its mark bits at address 0, which killed the JVM (SIGSEGV).
 */
class ReclaimHalfInitTest {

    /** Child main: one unswept unmarked large span shown as half set up, then one reclaim chunk. */
    public static final class Child {
        public static void main(String[] args) {
            try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get())) {
                GcSupport gc = heap.gc();
                MCache cache = heap.newCache();
                long p = cache.alloc(40 << 10, true);           // a large object
                gc.flushAllCaches();
                gc.startSweepCycle();                           // its span is unswept (sg - 2) and unmarked
                long sg = heap.sweepgen;
                long s = gc.spanOf(p);
                if (Span.state(s) != Span.LARGE || Mem.getLong(s + Span.SWEEPGEN) != sg - 2) {
                    throw new AssertionError("precondition: an unswept large span, got " + Span.describe(s)
                            + " sweepgen " + Mem.getLong(s + Span.SWEEPGEN) + " in cycle " + sg);
                }
                long marks = Mem.getLong(s + Span.GCMARK_BITS);
                Mem.putLong(s + Span.GCMARK_BITS, 0);           // Span.init's window: state written, bitmap pointer not yet
                System.out.println("walking a half set-up span");
                System.out.flush();
                long freed = new Reclaimer(heap).reclaimChunk(sg);
                Mem.putLong(s + Span.GCMARK_BITS, marks);
                System.out.println("freed " + freed + " pages");
                heap.releaseCache(cache);
            }
        }
    }

    @Test
    void theWalkPassesOverASpanWhoseBitmapPointerIsNotSetYet(@TempDir Path dir) throws Exception {
        CrashingChildJvm child = CrashingChildJvm.run(dir, Child.class);
        String out = child.output();
        assertTrue(out.contains("walking a half set-up span"), "the child got to the walk, output:\n" + out);
        assertEquals(0, child.exitValue(), "the walk read through the 0 bitmap pointer, output:\n" + out);
        assertEquals(0, child.crashReports(), "crash reports in " + dir);
        assertTrue(out.contains("freed 0 pages"), "the half set-up span is not a candidate, output:\n" + out);
    }
}
