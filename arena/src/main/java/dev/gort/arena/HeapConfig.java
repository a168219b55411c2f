package dev.gort.arena;

import dev.gort.sys.Advice;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Configuration of a {@link Heap}. Start from {@link #defaults()} and change what you need with the
 * {@code with*} methods; every value is checked when the record is built, and a bad one raises
 * IllegalArgumentException naming the field, the value and what is accepted.
 *
 * @param arenaReservation  bytes of address space reserved for objects (PROT_NONE, MAP_NORESERVE:
 *                          costs no memory). A multiple of {@code heapArenaBytes}. Default 64 GiB.
 * @param heapArenaBytes    commit granularity: the arena (and its spans/bitmap metadata) is made
 *                          readable in chunks of this size as the heap grows (Go's heap arena,
 *                          64 MiB). A power of two from 1 MiB to 1 GiB.
 * @param scavengeIdleNanos free page runs idle at least this long are released by
 *                          {@link Heap#scavengeIdle()} (default 5 minutes, as Go's old scavenger)
 * @param advice            how pages go back to the OS: DONTNEED (default; RSS drops at once,
 *                          pages read back as zero) or FREE (lazy; shows as LazyFree until the
 *                          kernel takes them)
 * @param clock             monotonic nanoseconds; injectable so tests of the age policy never sleep
 * @param hugePages         apply MADV_HUGEPAGE to committed arena chunks (fewer first-touch faults
 *                          and TLB misses). Releases stay 64 KiB pieces: each one inside a huge page
 *                          splits that 2 MiB page (measured: AnonHugePages falls by 2 MiB per 64 KiB
 *                          release; docs/performance.md session 28, scav28)
 * @param maxStackBytes     largest stack segment {@link StackAllocator} hands out (a power of two)
 * @param clobberFree       debug mode (Go's GODEBUG=clobberfree=1): freed small objects are filled
 *                          with 0xDF bytes, and an allocation that reuses a slot checks the poison is
 *                          intact, throwing {@link UseAfterFreeException} naming the object and the
 *                          first modified word if something wrote to it after it was freed
 * @param overflowCheck     debug padding check (TESTING F6, mimalloc's debug padding): every small
 *                          object gets 8 more bytes; the slack after the requested size is filled
 *                          with 0xDE and the last word holds the size keyed with the address. A free
 *                          checks both and throws {@link ObjectOverflowException} ("overflow after N
 *                          bytes") if the object was written past its requested size; the object
 *                          then stays allocated. Objects over 32 KiB - 8 are not padded
 * @param efence            debug mode (Go's GODEBUG=efence=1): every object gets pages of its own
 *                          (whole OS pages from an OS page boundary: with 16 or 64 KiB OS pages an
 *                          object takes at least one of them) and a free makes them inaccessible
 *                          (madvise + mprotect PROT_NONE) and never reuses them, so a use after free
 *                          faults at once: the JVM dies with SIGSEGV (test it in a child JVM). A
 *                          second free of the object raises {@link InvalidFreeException}. Memory is
 *                          never recycled: debug only
 * @param hardDecommit      debug mode (Go's GODEBUG=harddecommit=1): pages the scavenger releases
 *                          are also made inaccessible (madvise + mprotect PROT_NONE) and made
 *                          read-write again only when a span that covers them is handed out, so a
 *                          stale pointer into released memory faults at once instead of reading
 *                          zeros. Costs two more system calls per released run: debug only
 */
public record HeapConfig(long arenaReservation, long heapArenaBytes, long scavengeIdleNanos, Advice advice,
                         LongSupplier clock, boolean hugePages, long maxStackBytes,
                         boolean clobberFree, boolean overflowCheck, boolean efence, boolean hardDecommit) {

    public static final long DEFAULT_ARENA_RESERVATION = 64L << 30;
    public static final long DEFAULT_HEAP_ARENA_BYTES = 64L << 20;
    public static final long DEFAULT_SCAVENGE_IDLE_NANOS = 5L * 60 * 1_000_000_000L;
    public static final long DEFAULT_MAX_STACK_BYTES = 1L << 30;

    public HeapConfig {
        Objects.requireNonNull(advice, "advice");
        Objects.requireNonNull(clock, "clock");
        if (heapArenaBytes < (1L << 20) || heapArenaBytes > (1L << 30) || Long.bitCount(heapArenaBytes) != 1) {
            throw new IllegalArgumentException("heapArenaBytes " + heapArenaBytes
                    + " must be a power of two from 1 MiB (1048576) to 1 GiB (1073741824)");
        }
        if (arenaReservation < heapArenaBytes || arenaReservation % heapArenaBytes != 0
                || arenaReservation > (1L << 46)) {
            throw new IllegalArgumentException("arenaReservation " + arenaReservation
                    + " must be a positive multiple of heapArenaBytes (" + heapArenaBytes + ") and at most 64 TiB");
        }
        if (scavengeIdleNanos < 0) {
            throw new IllegalArgumentException("scavengeIdleNanos " + scavengeIdleNanos + " must be >= 0");
        }
        if (maxStackBytes < StackAllocator.MIN_STACK || Long.bitCount(maxStackBytes) != 1
                || maxStackBytes > arenaReservation) {
            throw new IllegalArgumentException("maxStackBytes " + maxStackBytes + " must be a power of two from "
                    + StackAllocator.MIN_STACK + " to the arena reservation (" + arenaReservation + ")");
        }
    }

    /** 64 GiB reservation, 64 MiB chunks, 5 minute scavenge age, MADV_DONTNEED, System.nanoTime. */
    public static HeapConfig defaults() {
        return new HeapConfig(DEFAULT_ARENA_RESERVATION, DEFAULT_HEAP_ARENA_BYTES, DEFAULT_SCAVENGE_IDLE_NANOS,
                Advice.DONTNEED, System::nanoTime, false, DEFAULT_MAX_STACK_BYTES, false, false, false, false);
    }

    public HeapConfig withArenaReservation(long bytes) {
        return new HeapConfig(bytes, heapArenaBytes, scavengeIdleNanos, advice, clock, hugePages,
                Math.min(maxStackBytes, Long.highestOneBit(Math.max(bytes, StackAllocator.MIN_STACK))), clobberFree, overflowCheck, efence, hardDecommit);
    }

    public HeapConfig withHeapArenaBytes(long bytes) {
        return new HeapConfig(arenaReservation, bytes, scavengeIdleNanos, advice, clock, hugePages, maxStackBytes, clobberFree, overflowCheck, efence, hardDecommit);
    }

    public HeapConfig withScavengeIdleNanos(long nanos) {
        return new HeapConfig(arenaReservation, heapArenaBytes, nanos, advice, clock, hugePages, maxStackBytes, clobberFree, overflowCheck, efence, hardDecommit);
    }

    public HeapConfig withAdvice(Advice a) {
        return new HeapConfig(arenaReservation, heapArenaBytes, scavengeIdleNanos, a, clock, hugePages, maxStackBytes, clobberFree, overflowCheck, efence, hardDecommit);
    }

    public HeapConfig withClock(LongSupplier c) {
        return new HeapConfig(arenaReservation, heapArenaBytes, scavengeIdleNanos, advice, c, hugePages, maxStackBytes, clobberFree, overflowCheck, efence, hardDecommit);
    }

    public HeapConfig withHugePages(boolean on) {
        return new HeapConfig(arenaReservation, heapArenaBytes, scavengeIdleNanos, advice, clock, on, maxStackBytes, clobberFree, overflowCheck, efence, hardDecommit);
    }

    public HeapConfig withClobberFree(boolean on) {
        return new HeapConfig(arenaReservation, heapArenaBytes, scavengeIdleNanos, advice, clock, hugePages, maxStackBytes,
                on, overflowCheck, efence, hardDecommit);
    }

    /** Debug padding check (TESTING F6); see the {@code overflowCheck} component. */
    public HeapConfig withOverflowCheck(boolean on) {
        return new HeapConfig(arenaReservation, heapArenaBytes, scavengeIdleNanos, advice, clock, hugePages, maxStackBytes,
                clobberFree, on, efence, hardDecommit);
    }

    /** Go's GODEBUG=efence=1 (TESTING A8/F5); see the {@code efence} component. */
    public HeapConfig withEfence(boolean on) {
        return new HeapConfig(arenaReservation, heapArenaBytes, scavengeIdleNanos, advice, clock, hugePages, maxStackBytes,
                clobberFree, overflowCheck, on, hardDecommit);
    }

    /** Go's GODEBUG=harddecommit=1 (TESTING A8); see the {@code hardDecommit} component. */
    public HeapConfig withHardDecommit(boolean on) {
        return new HeapConfig(arenaReservation, heapArenaBytes, scavengeIdleNanos, advice, clock, hugePages, maxStackBytes,
                clobberFree, overflowCheck, efence, on);
    }

    public HeapConfig withMaxStackBytes(long bytes) {
        return new HeapConfig(arenaReservation, heapArenaBytes, scavengeIdleNanos, advice, clock, hugePages, bytes, clobberFree, overflowCheck, efence, hardDecommit);
    }
}
