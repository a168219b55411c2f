package dev.gort.sched;

import dev.gort.sys.NativeMemory;

/**
 * A goroutine's shadow stack: a native segment of frames holding pointer slots (the collector's
 * stack roots) and scratch bytes. Allocated on the first {@link Frame#push}, grown by copying to a
 * segment twice as large (frames address each other by offset from the base, so a copy needs no
 * fix-up), kept with a dead G if it has the starting size and freed otherwise (as Go keeps
 * standard-size stacks with gFree).
 *
 * <pre>
 * stackLo                                                            stackLo + stackSize
 * | frame 0                          | frame 1 ...        | free ...                     |
 * | hdr | prev | slot 0 .. n-1 | scratch |                  ^ stackTop
 * hdr  = nslots (low 32 bits) | scratchBytes (high 32 bits)
 * prev = offset + 1 of the previous frame's hdr, 0 for the first frame
 * </pre>
 */
final class ShadowStack {
    private ShadowStack() {
    }

    static final long HEADER = 16;

    /** Makes room for {@code bytes} more at the top; may move the stack. */
    static void ensure(G g, long bytes) {
        long d = g.desc;
        long lo = NativeMemory.getLong(d + GDescriptor.STACK_LO);
        long size = NativeMemory.getInt(d + GDescriptor.STACK_SIZE);
        long top = NativeMemory.getLong(d + GDescriptor.STACK_TOP);
        long need = top + bytes;
        if (lo != 0 && need <= size) {
            return;
        }
        SchedConfig cfg = g.sched.cfg;
        long newSize = size == 0 ? cfg.startingStackBytes : size * 2;
        while (newSize < need) {
            newSize *= 2;
        }
        if (newSize > cfg.maxStackBytes) {
            throw new StackOverflowError("runtime: goroutine stack exceeds " + cfg.maxStackBytes
                    + "-byte limit (shadow stack of goroutine " + g.goid() + " needs " + need + " bytes)");
        }
        long nlo = cfg.stackSource.alloc(newSize);
        if (lo != 0) {
            NativeMemory.copy(lo, nlo, top);
            cfg.stackSource.free(lo, size);
        }
        // Publish the new bounds before anyone can read slots through them.
        NativeMemory.putInt(d + GDescriptor.STACK_SIZE, (int) newSize);
        NativeMemory.putLongRelease(d + GDescriptor.STACK_LO, nlo);
    }

    /** The G died: drop its frames, keep a starting-size stack for reuse, free a grown one. */
    static void reset(G g, SchedConfig cfg) {
        long d = g.desc;
        NativeMemory.putLong(d + GDescriptor.STACK_TOP, 0);
        NativeMemory.putLong(d + GDescriptor.TOP_FRAME, 0);
        g.frameDepth = 0;
        long size = NativeMemory.getInt(d + GDescriptor.STACK_SIZE);
        if (size != 0 && size != cfg.startingStackBytes) {
            free(g);
        }
    }

    static void free(G g) {
        long d = g.desc;
        long lo = NativeMemory.getLong(d + GDescriptor.STACK_LO);
        if (lo != 0) {
            g.sched.cfg.stackSource.free(lo, NativeMemory.getInt(d + GDescriptor.STACK_SIZE));
            NativeMemory.putLong(d + GDescriptor.STACK_LO, 0);
            NativeMemory.putInt(d + GDescriptor.STACK_SIZE, 0);
        }
    }

    static long size(G g) {
        return NativeMemory.getInt(g.desc + GDescriptor.STACK_SIZE);
    }
}
