package dev.gort.arena;

import dev.gort.sys.NativeMemory;

/**
 * The span descriptor (Go's mspan): a native struct of {@link #SIZE} bytes, one per run of pages,
 * whether in use or free. Descriptors live in the descriptor region ({@link AddressSpace}); the
 * spans region maps every page of an in-use span, and the first and last page of a free run, to
 * its descriptor, so any interior address finds its span in O(1).
 *
 * <pre>
 *  offset  field          type  meaning
 *  ------  -------------  ----  ---------------------------------------------------------------
 *    0     start          long  address of the first page
 *    8     npages         long  pages in the span
 *   16     spanClass      int   sizeclass &lt;&lt; 1 | noscan (0 or 1 for large spans)
 *   20     state          int   FREE, IN_USE, LARGE, STACK, SCAVENGING, DEAD
 *   24     nelems         int   object slots (1 for large)
 *   28     elemSize       int   bytes per slot (0 for large: npages * 8 KiB)
 *   32     freeIndex      int   slots below are allocated or pending-free; owner only
 *   36     allocCount     int   slots allocated since the last sweep/fold; owner only
 *   40     allocCache     long  ~allocBits from freeIndex: bit 0 is slot freeIndex; owner only
 *   48     allocBits      long  address of the alloc bitmap (bit = allocated as of the last sweep):
 *                               bits A below, or the wide pair's for spans of more than 512 slots
 *   56     gcmarkBits     long  address of the mark bitmap (collector sets bits with CAS): bits B or wide
 *   64     sweepgen       long  Go's sweepgen protocol against the heap's sweepgen
 *   72     next           long  list link (free-run list, mcentral list, stack pool)
 *   80     prev           long  list link
 *   88     cachedBy       long  id of the MCache that owns the span, 0 when not cached
 *   96     remotePending  long  atomic: frees by non-owners announced and not yet folded
 *  104     localPending   int   frees by the owner not yet folded (owner only)
 *  108     list           int   which list the span is on (LIST_*), under its owner's lock
 *  112     divMul         int   Go's divMul: offset * divMul &gt;&gt;&gt; 32 = slot (unsigned)
 *  116     needzero       int   1 when the memory may hold old data (Go's needzero)
 *  120     freeSince      long  free runs: clock reading when the run was last freed
 *  128     bits A          64 B allocBits storage for spans of at most 512 slots (every class but 8 B)
 *  192     bits B          64 B gcmarkBits storage, same
 *  256
 *
 *  wide bitmaps: {@link #WIDE_BYTES} = 256 B per descriptor in a parallel region laid out like the
 *  descriptors ({@link AddressSpace#wideBits}: descriptor + a fixed delta), used by spans of more
 *  than {@link #INLINE_ELEMS} slots only (class 1, 8 B objects: 1024 in 8 KiB); set by MCentral.initSpan
 *    0     allocBits      128 B
 *  128     gcmarkBits     128 B
 *
 *  pending-free pair: {@link #FREED_BYTES} = 256 B per descriptor in a parallel region laid out
 *  like the descriptors ({@link AddressSpace#freedBits}: descriptor + a fixed delta), manual frees only
 *    0     localFreed     128 B owner's pending frees (plain)
 *  128     remoteFreed    128 B other threads' pending frees (atomic OR)
 * </pre>
 *
 * <p>Why the bitmaps are sized for 512 slots in the descriptor (session 22): at 128 B each, for
 * class 1's 1024 slots, they were 256 of the 384 descriptor bytes, and every other class needs
 * half or less (binary-trees' 16 B class: 64 B each). The descriptor's stride is what is resident
 * (descriptors are reused for any run), so binary-trees 21's peak held 12 MiB of descriptors for
 * 8 MiB of use. Go sizes an mspan's gcBits to its nelems; here only class 1 needs more than the
 * inline 64 B, and its bitmaps sit in the wide region, touched only by a heap with 8 B objects.
 *
 * <p>Why the pending-free bitmaps are not in the descriptor (session 10): only explicit frees
 * (manual mode) write them, yet as 256 of 640 descriptor bytes they were resident for every span
 * of a collected heap: 9 of binary-trees 21's 22 MB of descriptors at its peak (Go's mspan has
 * no such bitmaps at all). In the parallel region a heap that never frees explicitly never
 * touches them (the sweep reads them only when a pending count says a bit may be set), so they
 * cost address space only.
 *
 * <p>Invariants: a slot i is allocated iff {@code i < freeIndex || allocBits[i]}; it is live iff it
 * is allocated and neither freed bit is set. {@code allocCache} is a shifted complement of
 * allocBits so that count-trailing-zeros finds the next free slot (Go's nextFreeFast).
 */
final class Span {
    private Span() {
    }

    static {
        // Hot paths read two adjacent int fields with one long load (e.g. freeIndex | allocCount
        // << 32): that packing assumes little-endian, as on every platform gort supports.
        if (java.nio.ByteOrder.nativeOrder() != java.nio.ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("gort's arena needs a little-endian platform, this one is "
                    + java.nio.ByteOrder.nativeOrder());
        }
    }

    static final long START = 0;
    static final long NPAGES = 8;
    static final long SPAN_CLASS = 16;
    static final long STATE = 20;
    static final long NELEMS = 24;
    static final long ELEM_SIZE = 28;
    static final long FREE_INDEX = 32;
    static final long ALLOC_COUNT = 36;
    static final long ALLOC_CACHE = 40;
    static final long ALLOC_BITS = 48;
    static final long GCMARK_BITS = 56;
    static final long SWEEPGEN = 64;
    static final long NEXT = 72;
    static final long PREV = 80;
    static final long CACHED_BY = 88;
    static final long REMOTE_PENDING = 96;
    static final long LOCAL_PENDING = 104;
    static final long LIST = 108;
    static final long DIV_MUL = 112;
    static final long NEEDZERO = 116;
    static final long FREE_SINCE = 120;
    static final long BITS_A = 128;
    static final long BITS_B = 192;
    static final long SIZE = 256;
    /** Bytes of each inline bitmap (bits A, bits B): 512 slots. */
    static final int INLINE_BITMAP_BYTES = 64;
    /** Spans of at most this many slots keep their bitmaps in the descriptor; larger ones use the wide pair. */
    static final int INLINE_ELEMS = INLINE_BITMAP_BYTES * 8;
    /** Bytes of a descriptor's wide bitmaps in their parallel region: allocBits, then gcmarkBits. */
    static final long WIDE_BYTES = 256;
    /** Offsets in the wide bitmaps. */
    static final long WIDE_ALLOC = 0;
    static final long WIDE_MARK = 128;
    /** Bytes of a descriptor's pending-free pair in the parallel region: localFreed, then remoteFreed. */
    static final long FREED_BYTES = 256;
    /** Offsets in the pending-free pair. */
    static final long LOCAL_FREED = 0;
    static final long REMOTE_FREED = 128;
    /** Bytes of one full-size bitmap (wide pair, pending-free pair): 1024 bits, enough for the 8-byte class (1024 objects per 8 KiB). */
    static final int BITMAP_BYTES = 128;
    static final int MAX_ELEMS = BITMAP_BYTES * 8;

    // states
    static final int DEAD = 0;
    static final int FREE = 1;
    static final int IN_USE = 2;
    static final int LARGE = 3;
    static final int STACK = 4;
    static final int SCAVENGING = 5;
    /** efence mode: a freed object's pages, inaccessible and never reused (counted in use). */
    static final int FENCED = 6;

    // lists (for the list field)
    static final int LIST_NONE = 0;
    static final int LIST_CACHED = 1;
    static final int LIST_PARTIAL = 2;
    static final int LIST_FULL = 3;
    static final int LIST_FREE = 4;
    /** On the mheap's large list at physical index 0 (which of the two is the swept one follows sweepgen). */
    static final int LIST_LARGE = 5;
    static final int LIST_STACK = 6;
    /** On the mheap's large list at physical index 1. */
    static final int LIST_LARGE_1 = 7;

    static String stateName(int state) {
        return switch (state) {
            case DEAD -> "dead";
            case FREE -> "free";
            case IN_USE -> "in use";
            case LARGE -> "large";
            case STACK -> "stack";
            case SCAVENGING -> "being scavenged";
            case FENCED -> "freed in efence mode (inaccessible)";
            default -> "corrupt(" + state + ")";
        };
    }

    static long start(long s) {
        return Mem.getLong(s + START);
    }

    static long npages(long s) {
        return Mem.getLong(s + NPAGES);
    }

    static long bytes(long s) {
        return npages(s) << SizeClasses.PAGE_SHIFT;
    }

    static long end(long s) {
        return start(s) + bytes(s);
    }

    static int state(long s) {
        return Mem.getInt(s + STATE);
    }

    static int spanClass(long s) {
        return Mem.getInt(s + SPAN_CLASS);
    }

    static int nelems(long s) {
        return Mem.getInt(s + NELEMS);
    }

    static int elemSize(long s) {
        return Mem.getInt(s + ELEM_SIZE);
    }

    static long next(long s) {
        return Mem.getLong(s + NEXT);
    }

    static long prev(long s) {
        return Mem.getLong(s + PREV);
    }

    static int list(long s) {
        return Mem.getInt(s + LIST);
    }

    static void setList(long s, int list) {
        Mem.putInt(s + LIST, list);
    }

    /** Whether bit {@code i} of the bitmap at {@code bits} is set. */
    static boolean bit(long bits, int i) {
        return (Mem.getLong(bits + ((long) (i >>> 6) << 3)) & (1L << i)) != 0;
    }

    /** Whether slot i is allocated (allocated bit or below freeIndex). Owner or quiescent only. */
    static boolean allocated(long s, int i) {
        return i < Mem.getInt(s + FREE_INDEX) || bit(Mem.getLong(s + ALLOC_BITS), i);
    }

    /**
     * Whether slot i is live: allocated and not pending free ({@code freed}: the span's pending-free
     * pair, {@link AddressSpace#freedBits}). Owner or quiescent only.
     */
    static boolean live(long s, long freed, int i) {
        return allocated(s, i) && !bit(freed + LOCAL_FREED, i) && !bit(freed + REMOTE_FREED, i);
    }

    /**
     * Initialises a descriptor for a run of pages; every other field zero. The bitmap pointers
     * name the inline bitmaps (512 slots); a span class with more slots points them at the wide
     * pair when its mcentral sets the span up.
     */
    static void init(long s, long start, long npages, int state) {
        NativeMemory.fill(s, SIZE, (byte) 0);
        Mem.putLong(s + START, start);
        Mem.putLong(s + NPAGES, npages);
        Mem.putInt(s + STATE, state);
        Mem.putLong(s + ALLOC_BITS, s + BITS_A);
        Mem.putLong(s + GCMARK_BITS, s + BITS_B);
    }

    static String describe(long s) {
        if (s == 0) {
            return "span <none>";
        }
        int spc = spanClass(s);
        int st = state(s);
        StringBuilder b = new StringBuilder("span 0x").append(Long.toHexString(s)).append(" [0x")
                .append(Long.toHexString(start(s))).append("-0x").append(Long.toHexString(end(s))).append(") ")
                .append(npages(s)).append(" pages, ").append(stateName(st));
        if (st == IN_USE) {
            int sc = SizeClasses.sizeClassOf(spc);
            b.append(", sizeclass ").append(sc).append(" (").append(SizeClasses.classToSize(sc)).append(" B")
                    .append(SizeClasses.isNoscan(spc) ? ", noscan" : ", scan").append(")");
        } else if (st == LARGE) {
            b.append(", sizeclass 0 (large, ").append(bytes(s)).append(" B)");
        } else if (st == STACK) {
            b.append(", stack segments of ").append(elemSize(s)).append(" B");
        }
        return b.toString();
    }
}
