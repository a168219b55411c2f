package dev.gort.arena;

import dev.gort.sys.NativeException;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsMemory;

/**
 * The heap's address space: four regions reserved up front (PROT_NONE, MAP_NORESERVE: no memory,
 * no commit charge) and made readable piece by piece as the heap grows.
 *
 * <pre>
 *  region      size                         holds                                    committed
 *  ----------  ---------------------------  ---------------------------------------  --------------------------
 *  arena       arenaReservation             objects, in 8 KiB pages                  in heapArenaBytes chunks
 *  spans       arena / 1024                 8 bytes per page: its span descriptor    with each arena chunk
 *  bitmap      arena / 64                   1 bit per 8-byte word: "holds a pointer" with each arena chunk
 *  meta        pages / 8 + descriptors      released bit per page; span descriptors; page bits at once (tiny);
 *              + pending-free pairs         each descriptor's pending-free pair and  descriptors 64 KiB at a time,
 *              + wide bitmaps               wide bitmaps: each region the size of    pairs and wide bitmaps in
 *                                           the descriptors', pair = descriptor +    step with them
 *                                           freedDelta, wide = descriptor + wideDelta
 * </pre>
 *
 * The pending-free pairs are committed but only written by explicit frees: a heap that never
 * frees explicitly (a collected heap) never makes them resident. The wide bitmaps are written only
 * for spans of more than 512 slots (the 8 B class): a heap without 8 B objects never touches them.
 *
 * The state machine is the OS layer's (None -> Reserved -> Ready); every transition here goes
 * through {@link OsMemory}, and a failed commit is rolled back so the committed figures always
 * describe what is really mapped readable. All methods run under the heap lock.
 */
final class AddressSpace {
    /**
     * The span descriptors (with their pending-free pairs and wide bitmaps) are committed this much
     * at a time, or one OS page when that is larger ({@link #descriptorCommit}): a commit must cover
     * whole OS pages, and a 64 KiB commit on a kernel with 128 KiB or larger pages is refused.
     */
    static final long DESCRIPTOR_COMMIT = 64 << 10;
    /**
     * The largest OS page the heap accepts: 512 KiB, Go's maxPhysPageSize (64 runtime pages, one
     * word of the scavenger index's bits). The smallest is 4 KiB (Go's minPhysPageSize).
     */
    static final long MAX_OS_PAGE = 512 << 10;
    static final long MIN_OS_PAGE = 4 << 10;

    private final OsMemory os;
    private final long osPage;
    /** Bytes per descriptor commit: the larger of {@link #DESCRIPTOR_COMMIT} and the OS page (both powers of two). */
    private final long descriptorCommit;

    final long arenaBytes;
    private final long arenaMapBase;
    private final long arenaMapBytes;
    /** First arena page, aligned to the 8 KiB runtime page. */
    final long arenaBase;
    final long spansBase;
    final long spansBytes;
    final long bitmapBase;
    final long bitmapBytes;
    final long metaBase;
    final long metaBytes;
    final long pageBitsBase;
    final long pageBitsBytes;
    /**
     * The scavenger's index (Go's pallocBits and scavengeIndex, in gort's shape), committed with the
     * released bits: a free bit per page (set while the page belongs to a FREE or SCAVENGING run),
     * so "free and not released" is {@code free & ~released}, 64 pages a word; and a bit per
     * {@link #SCAV_CHUNK_PAGES}-page chunk that is set whenever the chunk may hold such a page
     * (set by frees, cleared only by the scavenger's search when it finds none in the whole chunk).
     */
    final long freeBitsBase;
    final long scavChunkBitsBase;
    private final long indexBytes;
    /** Pages per scavenger-index chunk: 512 (4 MiB, Go's pallocChunkPages). */
    static final long SCAV_CHUNK_PAGES = 512;
    final long descriptorsBase;
    private final long descriptorsLimit;
    /**
     * The pending-free pairs, laid out like the descriptors (stride Span.SIZE, which the pair,
     * Span.FREED_BYTES, fills): descriptor d's pair is at d + freedDelta, one add on the free
     * path. Resident only in a heap that frees explicitly.
     */
    final long freedBase;
    final long freedDelta;
    /**
     * The wide bitmaps (Span.WIDE_BYTES per descriptor, same stride): descriptor d's are at
     * d + wideDelta, used by spans whose slots outnumber the descriptor's inline bitmaps.
     */
    final long wideBase;
    final long wideDelta;
    /**
     * Set (racily, never cleared) by the first explicit free that writes a pending-free bit: from
     * then on a descriptor's pair is cleared whenever the descriptor is set up for a new run. A
     * heap that never frees explicitly skips that and never touches the pairs.
     */
    volatile boolean freedBitsWritten;
    final long heapArenaBytes;

    /** Bytes of arena committed, from arenaBase. Readable without the lock (racy, for bounds checks). */
    volatile long arenaCommitted;
    private long spansCommitted;
    private long bitmapCommitted;
    private long descriptorsCommitted;
    private long descriptorsTop;
    private long freeDescriptors;
    private long liveDescriptors;
    /** Set by {@link #close} before it unmaps (the heap holds growLock and the mheap lock around it). */
    private boolean closed;

    AddressSpace(OsMemory os, HeapConfig config) {
        this.os = os;
        this.osPage = os.pageSize();
        if (Long.bitCount(osPage) != 1 || osPage < MIN_OS_PAGE || osPage > MAX_OS_PAGE) {
            throw new IllegalArgumentException("the OS reports a page size of " + osPage + " B; the heap accepts a power of two from "
                    + MIN_OS_PAGE + " to " + MAX_OS_PAGE + " B (Go's limits)");
        }
        this.descriptorCommit = Math.max(DESCRIPTOR_COMMIT, osPage);
        this.heapArenaBytes = config.heapArenaBytes();
        this.arenaBytes = config.arenaReservation();
        long pages = arenaBytes >>> SizeClasses.PAGE_SHIFT;
        this.spansBytes = roundUp(pages * 8, osPage);
        this.bitmapBytes = roundUp(arenaBytes / 64, osPage);
        this.pageBitsBytes = roundUp((pages + 7) / 8, osPage);
        long freeBitsBytes = roundUp((pages + 63) / 64 * 8, 8);
        long chunks = (pages + SCAV_CHUNK_PAGES - 1) / SCAV_CHUNK_PAGES;     // the last one may be partial: it has a mark too
        long chunkBitsBytes = (chunks + 63) / 64 * 8;
        this.indexBytes = roundUp(freeBitsBytes + chunkBitsBytes, osPage);
        long descriptorBytes = roundUp((pages + 64) * Span.SIZE, osPage);
        long pairBytes = descriptorBytes;
        long wideBytes = descriptorBytes;
        this.metaBytes = pageBitsBytes + indexBytes + descriptorBytes + pairBytes + wideBytes;
        // Reserve 8 KiB more so the arena can start on a runtime page boundary.
        long extra = Math.max(0, SizeClasses.PAGE_SIZE - osPage);
        long a = 0, s = 0, b = 0, m = 0;
        try {
            a = os.reserve(arenaBytes + extra);
            s = os.reserve(spansBytes);
            b = os.reserve(bitmapBytes);
            m = os.reserve(metaBytes);
            os.commit(m, pageBitsBytes + indexBytes);
        } catch (RuntimeException e) {
            unmapQuietly(m, metaBytes);
            unmapQuietly(b, bitmapBytes);
            unmapQuietly(s, spansBytes);
            unmapQuietly(a, arenaBytes + extra);
            throw new HeapExhaustedException("cannot reserve the heap's address space (arena " + arenaBytes
                    + " B, spans " + spansBytes + " B, bitmap " + bitmapBytes + " B, meta " + metaBytes
                    + " B): " + e.getMessage(), e);
        }
        this.arenaMapBase = a;
        this.arenaMapBytes = arenaBytes + extra;
        this.arenaBase = roundUp(a, SizeClasses.PAGE_SIZE);
        this.spansBase = s;
        this.bitmapBase = b;
        this.metaBase = m;
        this.pageBitsBase = m;
        this.freeBitsBase = m + pageBitsBytes;
        this.scavChunkBitsBase = freeBitsBase + freeBitsBytes;
        this.descriptorsBase = m + pageBitsBytes + indexBytes;
        this.descriptorsLimit = descriptorsBase + descriptorBytes;
        this.freedBase = descriptorsLimit;
        this.freedDelta = freedBase - descriptorsBase;
        this.wideBase = freedBase + pairBytes;
        this.wideDelta = wideBase - descriptorsBase;
        this.descriptorsTop = descriptorsBase;
    }

    static long roundUp(long v, long unit) {
        return (v + unit - 1) / unit * unit;
    }

    private void unmapQuietly(long address, long bytes) {
        if (address != 0) {
            try {
                os.unmap(address, bytes);
            } catch (RuntimeException ignored) {
                // best effort while failing already
            }
        }
    }

    long arenaEnd() {
        return arenaBase + arenaCommitted;
    }

    long arenaLimit() {
        return arenaBase + arenaBytes;
    }

    long pageIndex(long address) {
        return (address - arenaBase) >>> SizeClasses.PAGE_SHIFT;
    }

    long pageAddress(long pageIndex) {
        return arenaBase + (pageIndex << SizeClasses.PAGE_SHIFT);
    }

    /** The descriptor recorded for the page holding {@code address} (committed range only). */
    long spanEntry(long address) {
        return Mem.getLong(spansBase + (pageIndex(address) << 3));
    }

    void setSpanEntry(long pageAddress, long span) {
        Mem.putLong(spansBase + (pageIndex(pageAddress) << 3), span);
    }

    /** Points every page of {@code [start, start + npages)} at {@code span}. */
    void setSpanEntries(long start, long npages, long span) {
        long e = spansBase + (pageIndex(start) << 3);
        for (long i = 0; i < npages; i++) {
            Mem.putLong(e + (i << 3), span);
        }
    }

    /** Clears the spans entries of {@code [start, start + npages)}. */
    void clearSpanEntries(long start, long npages) {
        NativeMemory.fill(spansBase + (pageIndex(start) << 3), npages << 3, (byte) 0);
    }

    /**
     * Commits the next {@code bytes} of arena (a multiple of heapArenaBytes) with its spans and
     * bitmap metadata. On failure nothing stays committed and HeapExhaustedException explains why,
     * with {@code figures}' text, which is built only then (growth runs inside an allocation's
     * slow path, where a mutator may be asked to stop).
     */
    long growArena(long bytes, java.util.function.Supplier<String> figures) {
        long start = arenaBase + arenaCommitted;
        if (arenaCommitted + bytes > arenaBytes) {
            throw new HeapExhaustedException("arena reservation exhausted: need " + bytes + " B more; " + figures.get());
        }
        long newCommitted = arenaCommitted + bytes;
        long spansNeed = roundUp((newCommitted >>> SizeClasses.PAGE_SHIFT) * 8, osPage);
        long bitmapNeed = roundUp(newCommitted / 64, osPage);
        boolean arenaDone = false, spansDone = false;
        try {
            os.commit(start, bytes);
            arenaDone = true;
            if (spansNeed > spansCommitted) {
                os.commit(spansBase + spansCommitted, spansNeed - spansCommitted);
            }
            spansDone = true;
            if (bitmapNeed > bitmapCommitted) {
                os.commit(bitmapBase + bitmapCommitted, bitmapNeed - bitmapCommitted);
            }
        } catch (NativeException e) {
            if (spansDone && spansNeed > spansCommitted) {
                decommitQuietly(spansBase + spansCommitted, spansNeed - spansCommitted);
            }
            if (arenaDone) {
                decommitQuietly(start, bytes);
            }
            throw new HeapExhaustedException("cannot commit " + bytes + " B of arena at 0x" + Long.toHexString(start)
                    + " (" + e.getMessage() + "); " + figures.get(), e);
        }
        spansCommitted = Math.max(spansCommitted, spansNeed);
        bitmapCommitted = Math.max(bitmapCommitted, bitmapNeed);
        arenaCommitted = newCommitted;
        return start;
    }

    void hugePages(long start, long bytes) {
        try {
            os.hugePages(start, bytes, true);
        } catch (RuntimeException ignored) {
            // advisory: a kernel without THP keeps working with small pages
        }
    }

    private void decommitQuietly(long address, long bytes) {
        try {
            os.decommit(address, bytes);
        } catch (RuntimeException ignored) {
            // the range stays readable but unused; accounting does not count it
        }
    }

    /** A zeroed span descriptor from the free list or the bump region. */
    long allocDescriptor() {
        long d = freeDescriptors;
        if (d != 0) {
            freeDescriptors = Mem.getLong(d + Span.NEXT);
        } else {
            if (descriptorsTop + Span.SIZE > descriptorsBase + descriptorsCommitted) {
                long want = Math.min(descriptorCommit, descriptorsLimit - (descriptorsBase + descriptorsCommitted));
                if (want <= 0) {
                    throw new HeapExhaustedException("span descriptor region exhausted (" + liveDescriptors
                            + " descriptors live)");
                }
                // The descriptors, their pending-free pairs and wide bitmaps, the same range of each region.
                boolean descriptorsDone = false, pairsDone = false;
                try {
                    os.commit(descriptorsBase + descriptorsCommitted, want);
                    descriptorsDone = true;
                    os.commit(freedBase + descriptorsCommitted, want);
                    pairsDone = true;
                    os.commit(wideBase + descriptorsCommitted, want);
                } catch (NativeException e) {
                    if (pairsDone) {
                        decommitQuietly(freedBase + descriptorsCommitted, want);
                    }
                    if (descriptorsDone) {
                        decommitQuietly(descriptorsBase + descriptorsCommitted, want);
                    }
                    throw new HeapExhaustedException("cannot commit span descriptors: " + e.getMessage(), e);
                }
                descriptorsCommitted += want;
            }
            d = descriptorsTop;
            descriptorsTop += Span.SIZE;
        }
        liveDescriptors++;
        NativeMemory.fill(d, Span.SIZE, (byte) 0);
        clearFreedBits(d);
        return d;
    }

    /**
     * The pending-free pair of descriptor {@code s} (localFreed at +{@link Span#LOCAL_FREED},
     * remoteFreed at +{@link Span#REMOTE_FREED}): the parallel region at the descriptor's offset.
     */
    long freedBits(long s) {
        return s + freedDelta;
    }

    /** Zeroes descriptor {@code s}'s pending-free pair if any explicit free has written one yet. */
    void clearFreedBits(long s) {
        if (freedBitsWritten) {
            NativeMemory.fill(freedBits(s), Span.FREED_BYTES, (byte) 0);
        }
    }

    /** Bytes of pending-free pairs committed (counted in MSpanSys with the descriptors). */
    long freedCommitted() {
        return descriptorsCommitted;
    }

    /**
     * Descriptor {@code s}'s wide bitmaps (allocBits at +{@link Span#WIDE_ALLOC}, gcmarkBits at
     * +{@link Span#WIDE_MARK}): the parallel region at the descriptor's offset.
     */
    long wideBits(long s) {
        return s + wideDelta;
    }

    /** Bytes of wide bitmaps committed (counted in MSpanSys with the descriptors). */
    long wideCommitted() {
        return descriptorsCommitted;
    }

    void freeDescriptor(long d) {
        Mem.putInt(d + Span.STATE, Span.DEAD);
        Mem.putLong(d + Span.NEXT, freeDescriptors);
        freeDescriptors = d;
        liveDescriptors--;
    }

    long liveDescriptors() {
        return liveDescriptors;
    }

    long descriptorsCommitted() {
        return descriptorsCommitted;
    }

    long metadataCommitted() {
        return spansCommitted + pageBitsBytes + indexBytes;
    }

    long bitmapCommitted() {
        return bitmapCommitted;
    }

    // --- released-page bits (one per arena page) ---

    boolean released(long pageIndex) {
        return (Mem.getLong(pageBitsBase + ((pageIndex >>> 6) << 3)) & (1L << pageIndex)) != 0;
    }

    /** Sets (or clears) the released bit of pages {@code [first, first + n)}; returns how many changed. */
    long setReleased(long first, long n, boolean value) {
        return setBits(pageBitsBase, first, n, value);
    }

    /** Sets (or clears) the free bit of pages {@code [first, first + n)} (a run became free, or was allocated). */
    void setFree(long first, long n, boolean value) {
        setBits(freeBitsBase, first, n, value);
    }

    boolean free(long pageIndex) {
        return (Mem.getLong(freeBitsBase + ((pageIndex >>> 6) << 3)) & (1L << pageIndex)) != 0;
    }

    /** Pages {@code [first, first + n)} may now be free and unreleased: marks their chunks in the index. */
    void markScavChunks(long first, long n) {
        long c0 = first / SCAV_CHUNK_PAGES;
        long c1 = (first + n - 1) / SCAV_CHUNK_PAGES;
        setBits(scavChunkBitsBase, c0, c1 - c0 + 1, true);
    }

    boolean scavChunkMarked(long chunk) {
        return (Mem.getLong(scavChunkBitsBase + ((chunk >>> 6) << 3)) & (1L << chunk)) != 0;
    }

    /**
     * The highest page below {@code below} that is free and not released, or -1. Skips unmarked
     * chunks a word of 64 chunks at a time, scans a marked chunk's words ({@code free & ~released})
     * from the top, and clears the mark of a chunk it scanned whole and found none in: the
     * caller holds the heap lock and the scavenge lock, so no carved piece (free, unreleased, in
     * flight) exists and no free sets a mark meanwhile.
     */
    long highestFreeUnreleased(long below) {
        long chunk = (below - 1) / SCAV_CHUNK_PAGES;
        while (below > 0) {
            long cw = Mem.getLong(scavChunkBitsBase + ((chunk >>> 6) << 3)) & (-1L >>> (63 - (chunk & 63)));
            if (cw == 0) {
                chunk = (chunk | 63) - 64;          // the next lower word of chunk bits
                if (chunk < 0) {
                    return -1;
                }
                below = Math.min(below, (chunk + 1) * SCAV_CHUNK_PAGES);
                continue;
            }
            long c = (chunk & ~63L) + 63 - Long.numberOfLeadingZeros(cw);
            long chunkStart = c * SCAV_CHUNK_PAGES;
            long chunkEnd = chunkStart + SCAV_CHUNK_PAGES;
            long top = Math.min(below, chunkEnd);
            long q = highestCandidateIn(chunkStart, top);
            if (q >= 0) {
                return q;
            }
            if (top == chunkEnd) {
                setBits(scavChunkBitsBase, c, 1, false);    // scanned whole: nothing free and unreleased in it
            }
            below = chunkStart;
            chunk = c - 1;
        }
        return -1;
    }

    /** The highest page in {@code [from, to)} whose free bit is set and released bit clear, or -1. */
    private long highestCandidateIn(long from, long to) {
        long p = to;
        while (p > from) {
            long w = (p - 1) >>> 6;
            long off = w << 3;
            long cand = Mem.getLong(freeBitsBase + off) & ~Mem.getLong(pageBitsBase + off);
            long lastBit = (p - 1) & 63;
            cand &= -1L >>> (63 - lastBit);                 // bits <= p - 1
            long wordStart = w << 6;
            if (wordStart < from) {
                cand &= -1L << (from - wordStart);          // bits >= from
            }
            if (cand != 0) {
                return wordStart + 63 - Long.numberOfLeadingZeros(cand);
            }
            p = wordStart;
        }
        return -1;
    }

    /**
     * The lowest page in {@code [from, to)} that is free and not released ({@code free & ~released}),
     * or -1: the age pass's walk up the arena. A free run whose pages are all released is no
     * candidate, so the walk passes it 64 pages a word pair instead of looking at its descriptor
     * (session 32: with most free memory released, the walk by free bits read every run's
     * descriptor, up to 2 x the cost of session 29's list walk).
     */
    long nextFreeUnreleased(long from, long to) {
        long p = from;
        while (p < to) {
            long w = p >>> 6;
            long wordStart = w << 6;
            long off = w << 3;
            long cand = Mem.getLong(freeBitsBase + off) & ~Mem.getLong(pageBitsBase + off) & (-1L << (p - wordStart));
            if (cand != 0) {
                long q = wordStart + Long.numberOfTrailingZeros(cand);
                return q < to ? q : -1;
            }
            p = wordStart + 64;
        }
        return -1;
    }

    /** The first page of the free stretch holding free page {@code q}: the page above the highest non-free page below it. */
    long freeStretchStart(long q) {
        long p = q + 1;
        while (p > 0) {
            long w = (p - 1) >>> 6;
            long notFree = ~Mem.getLong(freeBitsBase + (w << 3)) & (-1L >>> (63 - ((p - 1) & 63)));
            if (notFree != 0) {
                return (w << 6) + 64 - Long.numberOfLeadingZeros(notFree);
            }
            p = w << 6;
        }
        return 0;
    }

    /** Sets or clears bits {@code [first, first + n)} of the bitmap at {@code base}; returns how many changed. */
    private static long setBits(long base, long first, long n, boolean value) {
        long changed = 0;
        long p = first;
        long end = first + n;
        while (p < end) {
            long word = base + ((p >>> 6) << 3);
            int lo = (int) (p & 63);
            int span = (int) Math.min(64 - lo, end - p);
            long mask = (span == 64 ? -1L : ((1L << span) - 1)) << lo;
            long w = Mem.getLong(word);
            long nw = value ? (w | mask) : (w & ~mask);
            changed += Long.bitCount(w ^ nw);
            Mem.putLong(word, nw);
            p += span;
        }
        return changed;
    }

    long countFree(long first, long n) {
        return countBits(freeBitsBase, first, n);
    }

    long countReleased(long first, long n) {
        return countBits(pageBitsBase, first, n);
    }

    private static long countBits(long base, long first, long n) {
        long count = 0;
        long p = first;
        long end = first + n;
        while (p < end) {
            int lo = (int) (p & 63);
            int span = (int) Math.min(64 - lo, end - p);
            long mask = (span == 64 ? -1L : ((1L << span) - 1)) << lo;
            count += Long.bitCount(Mem.getLong(base + ((p >>> 6) << 3)) & mask);
            p += span;
        }
        return count;
    }

    OsMemory os() {
        return os;
    }

    long osPage() {
        return osPage;
    }

    /** Unmaps every region. Idempotent. */
    /** Whether {@link #close} ran; read under the mheap lock, as close runs under it. */
    boolean isClosed() {
        return closed;
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        long[][] regions = {{arenaMapBase, arenaMapBytes}, {spansBase, spansBytes}, {bitmapBase, bitmapBytes},
            {metaBase, metaBytes}};
        for (long[] r : regions) {
            try {
                os.unmap(r[0], r[1]);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
