/**
 * gort's allocator: Go's mheap / mcentral / mcache design over literal spans, bitmap and arena
 * regions reserved with mmap, with real physical release through madvise. Usable two ways: under
 * the collector (objects die by sweeping mark bits) and alone as an off-heap allocator with
 * explicit free ("manual mode"), the way a JVM service would use it instead of malloc or Netty's
 * pooled allocator.
 *
 * <h2>Structures</h2>
 * <pre>
 *   AddressSpace   four reservations (PROT_NONE | MAP_NORESERVE), committed as the heap grows:
 *                  arena (objects, 8 KiB pages, committed in heapArenaBytes = 64 MiB chunks),
 *                  spans (page -&gt; span descriptor, 8 B per page), bitmap (1 pointer bit per word),
 *                  meta (released bit per page; span descriptors, committed 64 KiB at a time;
 *                  beside them each descriptor's pending-free pair, written by explicit frees only,
 *                  and its wide bitmaps, written by 8 B spans only)
 *   Span           native descriptor (256 B, see its diagram): page run, size class, freeIndex,
 *                  allocCache, allocBits, gcmarkBits (inline for up to 512 slots), sweepgen, list
 *                  links; its pending-free bitmaps (manual mode) and the 8 B class's 1024-slot
 *                  bitmaps sit in parallel regions, so a heap without either never makes them
 *                  resident (session 10: 640 -> 384 B, 9 MB of binary-trees 21's peak; session 22:
 *                  384 -> 256 B)
 *   SizeClasses    Go's 67 size classes, 8 B to 32 KiB, pages per span exactly as Go's table
 *   MHeap          free page runs (coalesced on free), best fit (top run last), one lock; grows the arena
 *   MCentral       per span class: partial/full x swept/unswept lists (sweepgen), one lock
 *   MCache         per owner (P or thread): one span per span class; no locks, no Java allocation
 *   StackAllocator power-of-two shadow-stack segments, pooled per size
 *   GcSupport      the collector's surface: findObject, mark bits, pointer bitmap, sweeping, trigger
 *   HeapVerifier   verifyHeap(): the slow oracle
 * </pre>
 *
 * <h2>Allocation, step by step</h2>
 * <ol>
 * <li>{@code MCache.alloc(size, noscan)}: size class from one byte table indexed by
 *     {@code (size + 7) >>> 3}; spanClass = class &lt;&lt; 1 | noscan; the cached span's allocCache
 *     (complement of allocBits, bit 0 = freeIndex) gives the next free slot by
 *     count-trailing-zeros; bump freeIndex and allocCount (one packed store); zero the slot with
 *     straight-line stores if the span's needzero says it may hold old data. Five native loads,
 *     two stores plus the zeroing, no lock, no CAS, no Java object.</li>
 * <li>Span exhausted: reload allocCache 64 slots at a time from allocBits; if nothing is free and
 *     frees are pending (manual mode), fold them into allocBits in place ({@link SpanSweep});
 *     otherwise refill: give the span back to its mcentral and take another.</li>
 * <li>{@code MCentral.cacheSpan}: partial swept spans (folding pending frees), then unswept ones
 *     (GC sweep first), then a fresh span from the mheap. A span that arrives with every slot
 *     free but needzero set is zeroed whole in one bulk fill and marked clean, so its
 *     allocations skip their per-object zeroing (in a collected heap most refills are such
 *     spans; not in clobberFree mode, whose poison is checked at allocation).</li>
 * <li>{@code MCache.allocFast(table, spanClass)}: the collector's typed fast path, step 1 with the span
 *     class precomputed by the caller's Type, the cache's span table held by the caller
 *     ({@code MCache.spanTable()}, one dependent load fewer), and returning 0 instead of taking any slow step
 *     (a window with no free slot left, refill, debug modes); small enough compiled that C2
 *     inlines it. The slot that ends a 64-slot window reloads allocCache from the next allocBits
 *     word out of line (one call per 64 slots) rather than returning 0: the collector's general
 *     path that 0 sends the caller down costs far more than Go's nextFree.</li>
 * <li>{@code MHeap.allocSpan}: best-fit free run, split, set the spans entries. If none fits
 *     while the cycle's sweep is unfinished, the caller (a refill with nothing in its own class,
 *     a large object) first reclaims: {@code GcSupport.reclaim} frees the unswept spans of any
 *     class with no marked object, found by a walk of the arena ({@code Reclaimer}, once per
 *     sweep cycle at most), until a run fits, as Go's mheap.alloc calls reclaim, so dead spans
 *     are reused before the arena grows past them. If none fits,
 *     commit another 64 MiB chunk of the reservation (arena + its spans and bitmap slices); if the
 *     reservation is used up, {@link dev.gort.arena.HeapExhaustedException} with the figures.</li>
 * <li>Large objects (&gt; 32 KiB) get their own span straight from the mheap.</li>
 * </ol>
 *
 * <h2>Freeing</h2>
 * <ul>
 * <li><b>GC mode</b>: the collector marks (gcmarkBits, CAS), then {@code startSweepCycle} adds 2
 *     to sweepgen; each span is swept once (lazily at refill, or by {@code sweepOne}): allocBits
 *     become the mark bits, unmarked objects are free, empty spans go back to the mheap. The
 *     collector uses {@code startSweepCycleDetached}, which needs no flush first: each mcache's
 *     span table is swapped for an empty one (O(caches) with the world stopped) and the spans it
 *     held, one sweep cycle behind, are swept back into their mcentrals by {@code sweepOne} (Go
 *     defers the same flush to mcache.prepareForSweep). The mheap's two large-span lists swap
 *     roles by sweepgen parity, as mcentral's do, so no span moves when a cycle starts.</li>
 * <li><b>No lock is held across a sweep</b> (session 8, Go's sweepLocked): a sweeper claims an
 *     unswept span off its mcentral list under the lock (sweepgen becomes sg-1, "being swept",
 *     and {@code Heap.sweepsInFlight} counts it, Go's sweep.active), sweeps it with no lock held,
 *     and lists it (or takes it, in a refill) in a second short hold; the background sweeper and
 *     proportional sweep claim 8 spans per hold; the mheap's growth and frees run outside the
 *     mcentral lock. A set-aside cache table is drained slot by slot (an atomic exchange per
 *     slot), so the owner's refill and the sweeper share it without a monitor over the whole
 *     table. "The cycle's sweep is finished" is then "nothing left to claim and nothing in flight"
 *     ({@code GcSupport.awaitSweepsInFlight}). Why: on 2 loaded cores a thread descheduled while
 *     it held an mcentral lock across up to 100 span sweeps kept the other mutator, proportional
 *     sweep and the background sweeper waiting, and a thread that blocked on the monitor then
 *     waited again for a CPU once woken: 1.2-2.2 s of mutator monitor waits over 100 us per minute
 *     on the 1 GiB pause benchmark (JFR), up to 94 ms each, the slow "in the allocator" stops.
 *     MCentral asserts the rule (the tests run with -ea).</li>
 * <li><b>A sweeper may be a cycle late</b> (session 9): the background sweeper is a platform
 *     thread no stop-the-world waits for, so it can be descheduled anywhere and resume after
 *     mark termination's sweepgen += 2 (at SCHED_IDLE beside busy mutators it often does).
 *     Whatever it read before then must not be used after: {@code MCentral.sweepOne} reads
 *     sweepgen inside the hold that claims (read before it, a stale value made the claim take
 *     spans off the lists that had become the swept ones and free their live objects), and a
 *     drain of a set-aside table counts itself ({@code MCache.drainers}) so that a table retired
 *     while a descheduled drain still holds it is not reused as the live alloc table (the drain
 *     took the owner's freshly cached span). Go gets the same from its sweepLocker (a CAS
 *     against the sweepgen the sweeper began with) and from a background sweeper that is a
 *     goroutine, stopped like any other. {@code GcSupport.setStallHookForTest} stops a sweeping
 *     thread at these points (StarvedSweeperTest).</li>
 * <li><b>Manual mode</b>: {@code MCache.free(address)} from any thread. The owner of the span sets a
 *     bit in the span's localFreed bitmap with plain stores; any other thread ORs it atomically
 *     into remoteFreed after counting it in remotePending (first count moves a full span to
 *     partial). Either way the free is checked first: the address must start an allocated slot not
 *     already pending, else {@link dev.gort.arena.InvalidFreeException} naming address, span and
 *     size class, with nothing changed. Pending frees are folded (a sweep that uses the freed bits
 *     instead of mark bits) when the owner runs out of slots, when the mcentral hands the span
 *     out, and by {@code freeOSMemory}. freeIndex never moves backwards between sweeps, exactly as
 *     in Go, which is what keeps the fast path free of atomics. One exception to that rule, the
 *     LIFO case: a slot just below its span's cursor goes straight back under the cursor. The
 *     commonest LIFO free, the owner freeing what its last fast-path allocation returned
 *     ({@code MCache.lastAddr}), skips the spans lookup and slot arithmetic altogether: nothing
 *     has moved the cursor since that allocation, so only remoteFreed (another thread may have
 *     freed the object) needs checking. Every path that moves a cursor or uncaches a span forgets
 *     lastAddr; clobberFree mode never sets it.</li>
 * </ul>
 *
 * <h2>Making the fast paths fast on FFM (what the JMH work found)</h2>
 * <ul>
 * <li><b>Bounds checks.</b> Every access through the all-memory segment checks
 *     {@code address + 8 <= Long.MAX_VALUE} (lea, cmp, jae). Masking a base address with
 *     {@code Mem.ADDRESS_MASK} ((1 &lt;&lt; 56) - 1, a no-op for user-space addresses) tells C2 its
 *     range, so {@code base + constant} is proven in bounds and the check disappears: the JMH pair
 *     loop went from about 150 instructions with 15 checks to about 130 with none, 12.6 to 9.4 ns of
 *     thread CPU per pair.</li>
 * <li><b>Inlining budget.</b> Each native access expands to about 600 bytecodes of force-inlined
 *     FFM code (VarHandle guards, segment checks, scoped access), and C2 stops inlining ordinary
 *     methods once a compilation has inlined DesiredMethodLimit (8000) bytecodes or hit its node
 *     budget. A caller that inlined alloc and the whole general free lost inlining of later
 *     accesses: they became calls into separately compiled accessors, several times slower. So
 *     alloc's fast path is kept short and inlined, and free (last-allocation path and general free
 *     together) is one method above FreqInlineSize (325 bytecodes), called, compiled on its own
 *     budget. Free's last-allocation path used to be inlined too, but then an alloc+free pair was
 *     about 12,000 C2 parse nodes (about 650 per access), two thirds of NodeCountInliningCutoff
 *     (18,000): JMH's stub, whose do-while loop C2 parses twice (the first iteration as a copy of
 *     its own), ran out of nodes in the steady-state copy and called three of the four zeroing
 *     stores and free out of line, 22-27 ns per pair against 9 ns in a for loop. Called, free
 *     costs about 1 ns more than inlined, in every loop shape.</li>
 * <li><b>Rejected</b>: sun.misc.Unsafe (memory access is deprecated for removal and warns on JDK
 *     24+) and jdk.internal.misc.Unsafe (one more --add-exports every embedding JVM would need);
 *     both would remove the checks and the inlining cost entirely.</li>
 * </ul>
 *
 * <h2>Thread caches</h2>
 * {@code Heap.threadCache()} gives each thread its own mcache through a thread-local. A thread that
 * ends without releasing it leaves nothing behind: {@code releaseDeadThreadCaches()} (run when a
 * thread takes its first cache and by {@code freeOSMemory}) flushes the cache of every owner that
 * is no longer alive into the mcentrals and keeps its counters (TESTING A2). Manual mode only:
 * a heap a collector manages ({@code GcSupport.claimForCollector}, done by the collector's
 * constructor) refuses {@code threadCache()}, and the claim refuses a heap with live thread
 * caches. Such a release happens whenever some thread notices the owner is dead, so under a
 * collector it could uncache spans after mark termination reset heapLive to the marked bytes and
 * lower heapLive below what is allocated (the pacer's figures wrong for the cycle); the
 * collector's mutators get their caches from {@code newCache()} and release them themselves.
 *
 * <h2>Closing</h2>
 * {@code Heap.close()} unmaps; a thread allocating meanwhile would die of SIGSEGV, and the
 * allocation path takes no lock and reads no flag. So the close checks once, under the lock
 * {@code newCache()} and {@code threadCache()} take, and refuses (IllegalStateException naming
 * what is still open; nothing changed, the heap stays usable) while a collector's
 * {@code GcSupport.CloseGuard} names something (the collector not closed, a thread of it still
 * running), while a managed heap has a live mcache (a registered thread, a scheduler's P), or
 * while another live thread holds a manual-mode thread cache. Caches from {@code newCache()} in
 * manual mode are the caller's: they have no owner the heap could ask about.
 *
 * <h2>Debug mode</h2>
 * {@code HeapConfig.withClobberFree(true)} (Go's clobberfree, mimalloc's debug fill): a manual
 * free and a GC sweep fill dead small objects with 0xDF; a reused slot must still hold the poison
 * (or zeros, if never used) or the allocation raises {@link dev.gort.arena.UseAfterFreeException}
 * naming the object and the first word written after the free. Spans made from dirty pages are
 * poisoned whole, so the check never sees another object's leftovers.
 * {@code HeapConfig.withOverflowCheck(true)} (mimalloc's debug padding, TESTING F6): every small
 * object gets 8 more bytes, the slack is filled with 0xDE and the last word holds the requested
 * size keyed with the address ({@link dev.gort.arena.OverflowPadding}); every free checks both and
 * refuses a damaged object with {@link dev.gort.arena.ObjectOverflowException} ("overflow after N
 * bytes"), changing nothing. {@code HeapConfig.withEfence(true)} (Go's GODEBUG=efence=1, TESTING
 * A8): every object is a span of whole OS pages of its own, starting on an OS page boundary (one
 * 8 KiB page on x86 Linux, at least 16 or 64 KiB on kernels with larger pages); a free leaves the span FENCED (counted in
 * use, spans entries kept so a second free is named, never reused) and its pages PROT_NONE, so a
 * use after free faults at once (tested in a child JVM, which dies with SIGSEGV).
 * {@code HeapConfig.withHardDecommit(true)} (Go's GODEBUG=harddecommit=1, TESTING A8): every
 * release is followed by mprotect(PROT_NONE), and {@code MHeap.allocSpan} makes a run read-write
 * again (widened to whole OS pages) before handing out a span with released pages in it, with
 * nothing changed if that call fails. Released pages are only ever touched through a span, so the
 * trap catches exactly the stale pointers.
 *
 * <h2>Returning memory to the OS</h2>
 * Free runs carry the clock reading of their last free. The scavenger (policies on {@link
 * dev.gort.arena.Heap}; sysmon will call them) releases the never-released pages of chosen runs
 * with madvise (MADV_DONTNEED by default, MADV_FREE selectable; EINVAL on MADV_FREE falls back to
 * DONTNEED for good; EAGAIN is retried): runs idle at least scavengeIdle ({@code scavengeIdle}),
 * from the highest address down to a retained-bytes target in pieces of at most the excess
 * rounded up to 64 KiB ({@code scavengeToRetain}, Go's scavenger order and quantum), or everything
 * ({@code freeOSMemory}). A released bit per page makes HeapReleased exact; a page leaves it when
 * allocated again. Pages known to read zero (never used since commit, or every page released
 * with DONTNEED on Linux) are not zeroed again (Go's needzero). That DONTNEED zeroes is probed once
 * per heap at creation ({@link dev.gort.arena.ReleaseZeroProbe}, TESTING F13): if a released
 * page reads back anything but zero, released pages are always zeroed when reused.
 *
 * <h2>Alternatives rejected</h2>
 * <ul>
 * <li>Go 1.11+'s sparse heap of independent 64 MiB arenas: one contiguous reservation per region
 *     is what the design asks for (the blog's spans/bitmap/arena picture); with MAP_NORESERVE a
 *     64 GiB reservation costs nothing, and one base address makes spanOf a subtraction.</li>
 * <li>Go 1.14+'s radix-tree page allocator: more code than coalescing free runs with best fit
 *     needs at this scale; the run lists give exact coalescing (tested) and O(1) small fits.</li>
 * <li>Lock-free span sets in mcentral (Go 1.15+): a refill happens once per span (up to 1024
 *     objects), so a short lock per span class costs little with a handful of Ps.</li>
 * <li>A CAS per free (a single atomic freed bitmap): the owner's free would pay an atomic for every
 *     object; the local/remote split keeps the common same-thread free at plain stores.</li>
 * <li>Java-object free lists (TreeMap of runs): every structure the allocator walks is native, so
 *     the scheduler and collector can read it and nothing hides in the Java heap.</li>
 * </ul>
 *
 * <h2>Invariants (checked by verifyHeap)</h2>
 * Every committed page belongs to exactly one run; in-use spans map all their pages, free runs
 * their first and last; no two free runs are adjacent; released bits only on free pages; every
 * in-use small span is cached by exactly one mcache or on exactly one mcentral list; allocCount =
 * allocated slots by the bitmaps; pending bits are a subset of allocated slots; page counts and
 * MemStats equal the walk; every free slot (at or past the cursor) of a span its mcache holds
 * stamped ({@link GcSupport#stampFreeSlots}) has the stamp's pointer bits.
 */
package dev.gort.arena;
