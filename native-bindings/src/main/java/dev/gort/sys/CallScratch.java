package dev.gort.sys;

/**
 * Zeroed native memory for one call's out-parameters, owned by no thread, freed by {@link #close}.
 *
 * <p>Why not {@code Arena.ofConfined()}: its owner is {@code Thread.currentThread()}, which C2
 * treats as a constant within a compiled frame (only JDK methods marked
 * {@code @ChangesCurrentThread} are exempt). A goroutine whose compiled loop inlines such a call
 * and yields between two of them (a {@code Go.poll} that resumes it on another M) can make the
 * arena with one M as owner and check it against another: {@code WrongThreadException} (seen:
 * {@code RealtimeStopperTest}'s late goroutine reading {@link ThreadPriority#current} in a loop).
 * For the same reason {@link CarrierLocal} is out of line. Cold paths only: one malloc and free.
 */
final class CallScratch implements AutoCloseable {
    final long address;

    CallScratch(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("scratch of " + bytes + " bytes: accepted 1 or more");
        }
        long p = LibC.malloc(bytes);
        if (p == 0) {
            throw new OutOfMemoryError("malloc(" + bytes + ") for a native call's scratch returned NULL");
        }
        NativeMemory.fill(p, bytes, (byte) 0);
        address = p;
    }

    @Override
    public void close() {
        LibC.free(address);
    }
}
