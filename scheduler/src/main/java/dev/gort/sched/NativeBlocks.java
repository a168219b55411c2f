package dev.gort.sched;

import dev.gort.sys.LibC;

import java.lang.ref.Cleaner;

/**
 * The malloc'd blocks of one scheduler that handles can reach after {@link Scheduler#run} returned:
 * P blocks (run queue, counters) and G descriptor chunks. They are freed when the scheduler
 * becomes unreachable (a {@link Cleaner}), not at shutdown: a {@link P} from {@code p(id)}, a
 * {@link G} from {@code Go.go}, the schedtrace/scheddetail printer or sysmon racing the shutdown
 * then read the final figures instead of freed memory (a G chunk is big enough for malloc to
 * mmap it, so a read after free was a SIGSEGV). Every such handle refers to its scheduler, so
 * the blocks outlive every reader. Shadow stacks and mcaches are not here: they belong to the
 * heap, which the embedder closes; {@link Frame} refuses access once they are gone.
 *
 * <p>This object must not refer to its scheduler (the Cleaner's rule), only to addresses.
 */
final class NativeBlocks implements Runnable {
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon().name("gort-native-cleaner").factory());

    private long[] blocks = new long[16];
    private int n;

    /** Frees the blocks once {@code owner} is unreachable. */
    static NativeBlocks of(Object owner) {
        NativeBlocks b = new NativeBlocks();
        CLEANER.register(owner, b);
        return b;
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

    /** The Cleaner's action: the owner is unreachable, so is every handle into these blocks. */
    @Override
    public synchronized void run() {
        for (int i = 0; i < n; i++) {
            LibC.free(blocks[i]);
        }
        n = 0;
    }
}
