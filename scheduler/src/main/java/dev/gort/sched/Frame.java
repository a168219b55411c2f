package dev.gort.sched;

import dev.gort.sys.NativeMemory;

/**
 * A frame of pointer slots on the current goroutine's shadow stack, pushed and popped with
 * try-with-resources:
 * <pre>
 * try (Frame f = Frame.push(2)) {
 *     f.set(0, obj);              // a managed pointer, now a GC root until the frame is popped
 *     long tmp = f.scratch(64);   // 64 bytes of frame-local native scratch, freed at pop
 *     ...
 * }
 * </pre>
 * Slots start at 0 (a null pointer). Scratch memory is not scanned; it is gort's counterpart of
 * Go keeping a non-escaping value on the stack. Because the stack grows by copying, a scratch
 * address is valid until the next push or scratch call on this goroutine; re-derive it with
 * {@link #scratchAddress()} after those. Frame objects are reused per depth: no allocation after
 * warm-up. A frame must be closed on the goroutine that pushed it, innermost first.
 */
public final class Frame implements AutoCloseable {
    private final G g;
    private final int depth;
    /** Offset of this frame's header from stackLo. */
    private long fp;
    private int nslots;
    private int scratchBytes;

    private Frame(G g, int depth) {
        this.g = g;
        this.depth = depth;
    }

    /** Pushes a frame of {@code slots} pointer slots on the current goroutine's shadow stack. */
    public static Frame push(int slots) {
        M mp = Scheduler.currentM();
        G g = mp.curg;
        if (g == null) {
            throw new IllegalStateException("Frame.push outside a goroutine");
        }
        if (mp.p == null) {
            // Syscall code runs while the world may be stopped and the collector reads frames.
            throw new IllegalStateException("Frame.push inside Go.syscall (goroutine " + g.goid()
                    + "): push frames before the call and pass their values in; syscall code may run during a stop-the-world");
        }
        return push(g, slots);
    }

    static Frame push(G g, int slots) {
        if (slots < 0) {
            throw new IllegalArgumentException("frame slot count " + slots + " is negative; accepted: 0 or more");
        }
        long bytes = ShadowStack.HEADER + 8L * slots;
        ShadowStack.ensure(g, bytes);
        long d = g.desc;
        long lo = NativeMemory.getLong(d + GDescriptor.STACK_LO);
        long top = NativeMemory.getLong(d + GDescriptor.STACK_TOP);
        long a = lo + top;
        NativeMemory.fill(a + ShadowStack.HEADER, 8L * slots, (byte) 0);
        NativeMemory.putLong(a + 8, NativeMemory.getLong(d + GDescriptor.TOP_FRAME));
        NativeMemory.putLong(a, slots & 0xFFFFFFFFL);
        NativeMemory.putLong(d + GDescriptor.STACK_TOP, top + bytes);
        NativeMemory.putLongRelease(d + GDescriptor.TOP_FRAME, top + 1);
        int depth = g.frameDepth;
        Frame[] fs = g.frames;
        if (depth == fs.length) {
            fs = java.util.Arrays.copyOf(fs, depth * 2);
            g.frames = fs;
        }
        Frame f = fs[depth];
        if (f == null) {
            f = new Frame(g, depth);
            fs[depth] = f;
        }
        f.fp = top;
        f.nslots = slots;
        f.scratchBytes = 0;
        g.frameDepth = depth + 1;
        return f;
    }

    public int slots() {
        return nslots;
    }

    /** Stores a pointer in slot i. */
    public void set(int i, long pointer) {
        NativeMemory.putLong(slotAddress(i, "set"), pointer);
    }

    public long get(int i) {
        return NativeMemory.getLong(slotAddress(i, "get"));
    }

    private long slotAddress(int i, String op) {
        checkLive(op);
        if (i < 0 || i >= nslots) {
            throw new IndexOutOfBoundsException("frame slot " + i + " out of range; this frame has " + nslots + " slots (0.."
                    + (nslots - 1) + ")");
        }
        return NativeMemory.getLong(g.desc + GDescriptor.STACK_LO) + fp + ShadowStack.HEADER + 8L * i;
    }

    /**
     * Hands out {@code bytes} (rounded up to 8) zeroed scratch bytes in this frame, released when
     * it is popped. The frame must be the innermost one. Returns the address of the new bytes.
     */
    public long scratch(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("scratch size " + bytes + " is negative");
        }
        checkLive("scratch");
        checkTop("scratch");
        long rounded = (bytes + 7L) & ~7L;
        ShadowStack.ensure(g, rounded);
        long d = g.desc;
        long lo = NativeMemory.getLong(d + GDescriptor.STACK_LO);
        long top = NativeMemory.getLong(d + GDescriptor.STACK_TOP);
        NativeMemory.fill(lo + top, rounded, (byte) 0);
        NativeMemory.putLong(d + GDescriptor.STACK_TOP, top + rounded);
        scratchBytes += (int) rounded;
        NativeMemory.putLong(lo + fp, (nslots & 0xFFFFFFFFL) | ((long) scratchBytes << 32));
        return lo + top;
    }

    /** Current address of this frame's scratch area (start of the first scratch bytes). */
    public long scratchAddress() {
        checkLive("scratchAddress");
        return NativeMemory.getLong(g.desc + GDescriptor.STACK_LO) + fp + ShadowStack.HEADER + 8L * nslots;
    }

    /**
     * A frame is live from its push until its close, while its goroutine runs (or is parked: a
     * channel hands a value into a parked receiver's frame). After its close, its goroutine's end
     * or the scheduler's shutdown (which frees the shadow stacks) it throws instead of reading a
     * stack that is gone or is another frame's. A handle whose G was reused and pushed a frame at
     * the same depth is that frame (Frame objects are reused per depth): not detectable.
     */
    private void checkLive(String op) {
        if (g.frameDepth <= depth || g.sched.stacksFreed) {
            throw new IllegalStateException("Frame." + op + ": the frame (depth " + depth + ") is no longer on its goroutine's "
                    + "shadow stack (" + (g.sched.stacksFreed ? "the scheduler ended and freed the stacks"
                            : "it was closed, or its goroutine ended") + "); accepted: a frame between its push and its close");
        }
    }

    private void checkTop(String op) {
        if (g.frameDepth != depth + 1) {
            throw new IllegalStateException("Frame." + op + ": frame at depth " + depth + " is not the innermost (depth "
                    + (g.frameDepth - 1) + "); frames are popped innermost first");
        }
    }

    /** Pops this frame (and its scratch bytes). */
    @Override
    public void close() {
        checkLive("close");
        checkTop("close");
        long d = g.desc;
        long lo = NativeMemory.getLong(d + GDescriptor.STACK_LO);
        long prev = NativeMemory.getLong(lo + fp + 8);
        NativeMemory.putLong(d + GDescriptor.STACK_TOP, fp);
        NativeMemory.putLongRelease(d + GDescriptor.TOP_FRAME, prev);
        g.frameDepth = depth;
    }

    /** Bytes in use on the current goroutine's shadow stack. */
    public static long stackInUse() {
        G g = Scheduler.currentM().curg;
        return NativeMemory.getLong(g.desc + GDescriptor.STACK_TOP);
    }

    /** Size of the current goroutine's shadow stack segment (0 if none yet). */
    public static long stackSize() {
        G g = Scheduler.currentM().curg;
        return ShadowStack.size(g);
    }
}
