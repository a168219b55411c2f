package dev.gort.sched;

import dev.gort.sys.LibC;

/** Shadow-stack segments from LibC malloc: the stand-in used when no arena is configured. */
final class MallocStackSource implements StackSource {
    static final MallocStackSource INSTANCE = new MallocStackSource();

    @Override
    public long alloc(long bytes) {
        long a = LibC.malloc(bytes);
        if (a == 0) {
            throw new OutOfMemoryError("malloc(" + bytes + ") for a goroutine shadow stack failed");
        }
        return a;
    }

    @Override
    public void free(long address, long bytes) {
        LibC.free(address);
    }
}
