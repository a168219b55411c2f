package dev.gort.sched;

import dev.gort.sys.LibC;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The malloc'd blocks of one scheduler that handles can reach: P blocks (run queue, counters) and
 * G descriptor chunks. A clean shutdown frees them when {@link Scheduler#run} returns
 * ({@link #freeNow}, by {@link Shutdown} once every M was joined and {@link NativeReaders} was
 * closed and drained: every handle then answers from its final figures). When that is not safe
 * (an M could not be joined, a reader did not leave) they stay until the scheduler is unreachable:
 * a phantom reference per scheduler, and the blocks of schedulers the JVM found unreachable are
 * freed when the next one is made, or at process exit. Shadow stacks and mcaches are not here:
 * they belong to the heap; {@link Frame} refuses access once they are gone.
 *
 * <p>No thread of its own (a clean shutdown leaves no gort thread). {@link #heldBytes()} counts
 * the bytes of every scheduler's blocks not yet freed (gort's own accounting, for tests and
 * embedders checking that a run leaves nothing behind).
 */
final class NativeBlocks {
    private static final ReferenceQueue<Object> UNREACHABLE = new ReferenceQueue<>();
    /** Keeps the references themselves reachable until their owners are gone. */
    private static final Set<OwnerRef> PENDING = ConcurrentHashMap.newKeySet();

    private static final class OwnerRef extends PhantomReference<Object> {
        final NativeBlocks blocks;

        OwnerRef(Object owner, NativeBlocks blocks) {
            super(owner, UNREACHABLE);
            this.blocks = blocks;
        }
    }

    /** Bytes malloc'd for the blocks of every scheduler and not yet freed. */
    private static final java.util.concurrent.atomic.AtomicLong HELD_BYTES = new java.util.concurrent.atomic.AtomicLong();

    private long[] blocks = new long[16];
    private long[] sizes = new long[16];
    private int n;

    /** Blocks freed once {@code owner} is unreachable; first frees those of owners already gone. */
    static NativeBlocks of(Object owner) {
        freeUnreachable();
        NativeBlocks b = new NativeBlocks();
        PENDING.add(new OwnerRef(owner, b));
        return b;
    }

    /** Frees the blocks of every owner the JVM found unreachable so far; returns how many owners. */
    static int freeUnreachable() {
        int owners = 0;
        for (java.lang.ref.Reference<?> r; (r = UNREACHABLE.poll()) != null; ) {
            OwnerRef o = (OwnerRef) r;
            PENDING.remove(o);
            o.blocks.freeAll();
            owners++;
        }
        return owners;
    }

    /** Records a block of {@code bytes} from LibC.malloc, freed with the others. */
    synchronized void add(long raw, long bytes) {
        if (n == blocks.length) {
            blocks = java.util.Arrays.copyOf(blocks, n * 2);
            sizes = java.util.Arrays.copyOf(sizes, n * 2);
        }
        sizes[n] = bytes;
        blocks[n++] = raw;
        HELD_BYTES.addAndGet(bytes);
    }

    /** Bytes of P blocks and G descriptor chunks of every scheduler in this JVM not freed yet. */
    static long heldBytes() {
        return HELD_BYTES.get();
    }

    /**
     * Frees the blocks now (shutdown, every M joined and no reader left: see {@link Shutdown}).
     * Blocks added later (none should be) are freed with the owner as before.
     */
    void freeNow() {
        freeAll();
    }

    synchronized int count() {
        return n;
    }

    /** Bytes of the blocks not freed yet. */
    synchronized long bytes() {
        long b = 0;
        for (int i = 0; i < n; i++) {
            b += sizes[i];
        }
        return b;
    }

    /** The owner is unreachable (so is every handle into these blocks), or no reader is left (freeNow). */
    private synchronized void freeAll() {
        for (int i = 0; i < n; i++) {
            LibC.free(blocks[i]);
            HELD_BYTES.addAndGet(-sizes[i]);
        }
        n = 0;
    }
}
