package dev.gort.sched;

import dev.gort.sys.LibC;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The malloc'd blocks of one scheduler that handles can reach after {@link Scheduler#run} returned:
 * P blocks (run queue, counters) and G descriptor chunks. They are freed once the scheduler is
 * unreachable, not at shutdown: a {@link P} from {@code p(id)}, a {@link G} from {@code Go.go},
 * the schedtrace/scheddetail printer or sysmon racing the shutdown then read the final figures
 * instead of freed memory (scheddetail after run printed {@code status=37 runqsize=-2}). Every
 * such handle refers to its scheduler, so the blocks outlive every reader. Shadow stacks and
 * mcaches are not here: they belong to the heap, which the embedder closes; {@link Frame}
 * refuses access once they are gone.
 *
 * <p>No thread of its own (a clean shutdown leaves no gort thread): a phantom reference per
 * scheduler, and the blocks of schedulers the JVM found unreachable are freed when the next one
 * is made. A process that makes one scheduler frees them at exit, with everything else.
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

    private long[] blocks = new long[16];
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

    /** Records a block from LibC.malloc, freed with the others. */
    synchronized void add(long raw) {
        if (n == blocks.length) {
            blocks = java.util.Arrays.copyOf(blocks, n * 2);
        }
        blocks[n++] = raw;
    }

    synchronized int count() {
        return n;
    }

    /** The owner is unreachable, so is every handle into these blocks. */
    private synchronized void freeAll() {
        for (int i = 0; i < n; i++) {
            LibC.free(blocks[i]);
        }
        n = 0;
    }
}
