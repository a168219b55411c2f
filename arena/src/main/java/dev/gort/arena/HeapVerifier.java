package dev.gort.arena;

import dev.gort.sys.NativeMemory;

import java.util.HashSet;
import java.util.Set;

/**
 * verifyHeap: the slow oracle beside the fast structures. Walks every run of the committed arena
 * through the spans region and cross-checks runs, spans entries, free lists, mcentral lists,
 * cached spans, bitmaps, counts and MemStats. The first inconsistency throws with a message that
 * names the span and both sides of the comparison.
 */
final class HeapVerifier {
    private HeapVerifier() {
    }

    static void verify(Heap heap, MCentral[] centrals) {
        MemStats stats = heap.readMemStats();
        Set<Long> cached = new HashSet<>();
        for (MCache c : heap.cachesSnapshot()) {
            // A cache's own table, and the spans mark termination set aside for the sweeper
            // (MCache.detachForSweep): still cached by it until drained, and one sweep cycle behind.
            long[] stale = c.staleSpans();
            for (long[] table : stale == null ? new long[][] {c.alloc} : new long[][] {c.alloc, stale}) {
                for (int spc = 0; spc < table.length; spc++) {
                    long s = table[spc];
                    if (s == heap.emptySpan) {
                        continue;
                    }
                    if (Span.state(s) != Span.IN_USE || Span.spanClass(s) != spc
                            || Mem.getLong(s + Span.CACHED_BY) != c.id || Span.list(s) != Span.LIST_CACHED) {
                        fail(c + " slot " + spc + " holds " + Span.describe(s) + " cachedBy="
                                + Mem.getLong(s + Span.CACHED_BY) + " list=" + Span.list(s));
                    }
                    if (table == stale && Mem.getLong(s + Span.SWEEPGEN) != heap.sweepgen - 2) {
                        fail(c + " set aside " + Span.describe(s) + " with sweepgen " + Mem.getLong(s + Span.SWEEPGEN)
                                + ", expected the previous cycle's " + (heap.sweepgen - 2));
                    }
                    if (!cached.add(s)) {
                        fail(Span.describe(s) + " is cached twice");
                    }
                    String stamp = table == c.alloc ? heap.gc().stampViolation(c, spc) : null;
                    if (stamp != null) {
                        fail("pointer-bit stamp broken: " + stamp);
                    }
                }
            }
        }
        Set<Long> listed = new HashSet<>();
        for (int spc = 2; spc < centrals.length; spc++) {
            centrals[spc].countListed(s -> {
                if (!listed.add(s) || cached.contains(s)) {
                    fail(Span.describe(s) + " is on two lists (or cached and listed)");
                }
            });
        }
        long sweepgen = heap.sweepgen;
        MHeap h = heap.mheap;
        synchronized (h.growLock) {      // no growth half done (committed, not yet a free run): see MHeap.ensureFit
            h.lock.lock();
            try {
                Walk w = new Walk();
                AddressSpace space = heap.space;
                h.forEachRun(s -> w.visit(heap, space, s, cached, listed, sweepgen));
                long freeRuns = h.freeListRuns();
                if (freeRuns != w.freeRuns) {
                    fail("free lists hold " + freeRuns + " runs, the arena walk found " + w.freeRuns + " free runs");
                }
                check("pages in use (small+large)", w.inUsePages, h.pagesInUse);
                check("stack pages", w.stackPages, h.pagesStack);
                check("free pages", w.freePages, h.pagesFree);
                check("released pages", w.releasedPages, h.pagesReleased);
                checkReleasedFollowsOsPages(space);
                check("committed pages", w.inUsePages + w.stackPages + w.freePages, h.pagesCommitted);
                check("committed bytes", (w.inUsePages + w.stackPages + w.freePages) * SizeClasses.PAGE_SIZE,
                        space.arenaCommitted);
                check("small spans listed or cached", w.smallSpans, listed.size() + cached.size());
                long largeListed = 0;
                for (int which = 0; which < 2; which++) {
                    // which 0: the swept list (sweepgen == the heap's), 1: unswept (one cycle behind)
                    long expectSg = which == 0 ? sweepgen : sweepgen - 2;
                    for (long s = h.largeHead(which); s != 0; s = Span.next(s)) {
                        if (Span.state(s) != Span.LARGE) {
                            fail("large list holds " + Span.describe(s));
                        }
                        if (Mem.getLong(s + Span.SWEEPGEN) != expectSg) {
                            fail((which == 0 ? "swept" : "unswept") + " large list holds " + Span.describe(s) + " with sweepgen "
                                    + Mem.getLong(s + Span.SWEEPGEN) + ", expected " + expectSg);
                        }
                        largeListed++;
                    }
                }
                check("large spans listed", w.largeSpans, largeListed);
                check("MemStats.HeapInuse", w.inUsePages * SizeClasses.PAGE_SIZE, stats.heapInuse());
                check("MemStats.HeapIdle", w.freePages * SizeClasses.PAGE_SIZE, stats.heapIdle());
                check("MemStats.HeapReleased", w.releasedPages * SizeClasses.PAGE_SIZE, stats.heapReleased());
                check("MemStats.StackInuse", w.stackPages * SizeClasses.PAGE_SIZE, stats.stackInuse());
                check("MemStats.HeapAlloc (live bytes by the bitmaps)", w.liveBytes, stats.heapAlloc());
                check("MemStats.HeapObjects (live objects by the bitmaps)", w.liveObjects, stats.heapObjects());
            } finally {
                h.lock.unlock();
            }
        }
        long late = heap.lateInvalidFrees.get();
        if (late != 0) {
            fail(late + " invalid frees were detected late (frees of one object racing from two threads, or of "
                    + "a slot that was not allocated); they were ignored");
        }
    }

    /**
     * An OS page larger than gort's 8 KiB page is released or resident as a whole, so its pages are
     * all marked released or none is (MHeap.unmarkReleased): a mixed OS page means HeapReleased
     * counts resident memory, or a release counted only part of what it returned.
     */
    private static void checkReleasedFollowsOsPages(AddressSpace space) {
        long perOsPage = space.osPage() / SizeClasses.PAGE_SIZE;
        if (perOsPage <= 1) {
            return;
        }
        if ((space.arenaBase & (space.osPage() - 1)) != 0) {
            fail("the arena starts at 0x" + Long.toHexString(space.arenaBase) + ", not on a " + space.osPage() + " B OS page");
        }
        long pages = space.arenaCommitted / SizeClasses.PAGE_SIZE;
        for (long p = 0; p < pages; p += perOsPage) {
            long released = space.countReleased(p, perOsPage);
            if (released != 0 && released != perOsPage) {
                fail("the " + space.osPage() + " B OS page at 0x" + Long.toHexString(space.pageAddress(p)) + " has " + released
                        + " of its " + perOsPage + " pages marked released (all or none: an OS page is released or resident as a whole)");
            }
        }
    }

    private static final class Walk {
        long inUsePages, stackPages, freePages, releasedPages, freeRuns, smallSpans, largeSpans, liveBytes,
                liveObjects;
        int prevState = -1;

        void visit(Heap heap, AddressSpace space, long s, Set<Long> cached, Set<Long> listed, long sweepgen) {
            int st = Span.state(s);
            long n = Span.npages(s);
            long start = Span.start(s);
            long first = space.pageIndex(start);
            long released = space.countReleased(first, n);
            if (st != Span.FREE && st != Span.SCAVENGING && released != 0) {
                fail(Span.describe(s) + " has " + released + " pages marked released");
            }
            boolean isFree = st == Span.FREE || st == Span.SCAVENGING;
            long freeBits = space.countFree(first, n);
            if (freeBits != (isFree ? n : 0)) {
                fail(Span.describe(s) + " has " + freeBits + " of its " + n + " pages marked free in the scavenger index");
            }
            if (st == Span.FREE && released < n) {
                for (long p = first; p < first + n; p++) {
                    if (!space.released(p) && !space.scavChunkMarked(p / AddressSpace.SCAV_CHUNK_PAGES)) {
                        fail("free unreleased page " + (p - first) + " of " + Span.describe(s)
                                + " lies in a chunk the scavenger index does not mark");
                    }
                }
            }
            switch (st) {
                case Span.FREE, Span.SCAVENGING -> {
                    if (prevState == Span.FREE && st == Span.FREE) {
                        fail(Span.describe(s) + " follows a free run: free runs were not coalesced");
                    }
                    if (space.spanEntry(start + (n - 1) * SizeClasses.PAGE_SIZE) != s) {
                        fail("last page of free " + Span.describe(s) + " does not map to it");
                    }
                    for (long i = 1; i < n - 1; i++) {
                        long e = space.spanEntry(start + i * SizeClasses.PAGE_SIZE);
                        if (e != 0) {
                            fail("interior page " + i + " of free " + Span.describe(s) + " maps to " + Span.describe(e)
                                    + " (interior entries of free runs must be 0)");
                        }
                    }
                    if (st == Span.FREE) {
                        freeRuns++;
                    }
                    freePages += n;
                    releasedPages += released;
                }
                case Span.IN_USE -> {
                    allEntries(space, s);
                    smallSpans++;
                    inUsePages += n;
                    verifySmall(space, s, cached, listed);
                }
                case Span.LARGE -> {
                    allEntries(space, s);
                    largeSpans++;
                    inUsePages += n;
                    if (Mem.getInt(s + Span.ALLOC_COUNT) != 1) {
                        fail(Span.describe(s) + " allocCount " + Mem.getInt(s + Span.ALLOC_COUNT));
                    }
                    liveBytes += Span.bytes(s);
                    liveObjects++;
                }
                case Span.STACK -> {
                    allEntries(space, s);
                    stackPages += n;
                }
                case Span.FENCED -> {
                    allEntries(space, s); // efence: freed, inaccessible, counted in use, no object
                    inUsePages += n;
                }
                default -> fail("run at 0x" + Long.toHexString(start) + " has " + Span.describe(s));
            }
            prevState = st;
        }

        private void verifySmall(AddressSpace space, long s, Set<Long> cached, Set<Long> listed) {
            int spc = Span.spanClass(s);
            int cls = spc >>> 1;
            if (cls < 1 || cls >= SizeClasses.NUM_SIZE_CLASSES) {
                fail(Span.describe(s) + " has span class " + spc);
            }
            if (Span.nelems(s) != SizeClasses.classToObjects(cls) || Span.elemSize(s) != SizeClasses.classToSize(cls)
                    || Span.npages(s) != SizeClasses.classToPages(cls)) {
                fail(Span.describe(s) + " nelems/elemSize/npages " + Span.nelems(s) + "/" + Span.elemSize(s) + "/"
                        + Span.npages(s) + " disagree with size class " + cls);
            }
            if (!cached.contains(s) && !listed.contains(s)) {
                fail(Span.describe(s) + " is in use but neither cached nor on an mcentral list (leaked)");
            }
            if (cached.contains(s) != (Mem.getLong(s + Span.CACHED_BY) != 0)) {
                fail(Span.describe(s) + " cachedBy=" + Mem.getLong(s + Span.CACHED_BY) + " disagrees with the caches");
            }
            int nelems = Span.nelems(s);
            long freed = space.freedBits(s);
            int allocated = 0, local = 0, remote = 0, live = 0;
            for (int i = 0; i < nelems; i++) {
                boolean a = Span.allocated(s, i);
                boolean l = Span.bit(freed + Span.LOCAL_FREED, i);
                boolean r = Span.bit(freed + Span.REMOTE_FREED, i);
                if ((l || r) && !a) {
                    fail(Span.describe(s) + " slot " + i + " is pending free but not allocated");
                }
                allocated += a ? 1 : 0;
                local += l ? 1 : 0;
                remote += r ? 1 : 0;
                live += a && !l && !r ? 1 : 0;
            }
            for (int i = nelems; i < Span.MAX_ELEMS; i++) {
                if (Span.bit(freed + Span.LOCAL_FREED, i) || Span.bit(freed + Span.REMOTE_FREED, i)) {
                    fail(Span.describe(s) + " has a freed bit beyond nelems at " + i);
                }
            }
            int count = Mem.getInt(s + Span.ALLOC_COUNT);
            if (count != allocated) {
                fail(Span.describe(s) + " allocCount " + count + " but the bitmaps show " + allocated + " allocated");
            }
            if (Mem.getInt(s + Span.LOCAL_PENDING) != local) {
                fail(Span.describe(s) + " localPending " + Mem.getInt(s + Span.LOCAL_PENDING) + " but "
                        + local + " local freed bits");
            }
            if (Mem.getLong(s + Span.REMOTE_PENDING) != remote) {
                fail(Span.describe(s) + " remotePending " + Mem.getLong(s + Span.REMOTE_PENDING) + " but "
                        + remote + " remote freed bits");
            }
            int fi = Mem.getInt(s + Span.FREE_INDEX);
            if (fi < 0 || fi > nelems) {
                fail(Span.describe(s) + " freeIndex " + fi + " outside [0, " + nelems + "]");
            }
            liveObjects += live;
            liveBytes += (long) live * Span.elemSize(s);
        }

        private static void allEntries(AddressSpace space, long s) {
            long start = Span.start(s);
            for (long i = 0; i < Span.npages(s); i++) {
                long e = space.spanEntry(start + i * SizeClasses.PAGE_SIZE);
                if (e != s) {
                    fail("page " + i + " of " + Span.describe(s) + " maps to " + Span.describe(e));
                }
            }
        }
    }

    private static void check(String what, long walked, long recorded) {
        if (walked != recorded) {
            fail(what + ": the walk counts " + walked + " but the heap records " + recorded);
        }
    }

    static void fail(String message) {
        throw new IllegalStateException("verifyHeap: " + message);
    }
}
