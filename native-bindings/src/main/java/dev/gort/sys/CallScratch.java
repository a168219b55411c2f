package dev.gort.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Zeroed native memory for one call's small out-parameters (a sched_attr, a cpu_set_t), owned by
 * no thread. Use with try-with-resources; the memory lives while this object is reachable.
 *
 * <p>Why not {@code Arena.ofConfined()}: its owner is {@code Thread.currentThread()}, which C2
 * treats as a constant within a compiled frame (only JDK methods marked
 * {@code @ChangesCurrentThread} are exempt). A goroutine whose compiled loop inlines such a call
 * and yields between two of them (a {@code Go.poll} that resumes it on another M) can make the
 * arena with one M as owner and check it against another: {@code WrongThreadException} (seen:
 * {@code RealtimeStopperTest}'s late goroutine reading {@link ThreadPriority#current} in a loop).
 * For the same reason {@link CarrierLocal} is out of line. An automatic arena has no owner and no
 * close (a shared arena's close is a handshake with every thread, unwelcome inside a stop), and
 * links no downcall (malloc/free would: start-up garbage, see LibCLinkingTest); its memory goes
 * back when the host collector finds it unreachable. Cold paths only: a few Java objects a call.
 */
final class CallScratch implements AutoCloseable {
    /** Largest scratch accepted: the out-parameters of a few syscalls, not buffers. */
    static final long MAX_BYTES = 4096;

    private final MemorySegment segment;
    final long address;

    CallScratch(long bytes) {
        if (bytes <= 0 || bytes > MAX_BYTES) {
            throw new IllegalArgumentException("scratch of " + bytes + " bytes: accepted 1.." + MAX_BYTES);
        }
        segment = Arena.ofAuto().allocate(bytes, Long.BYTES);
        address = segment.address();
    }

    /** Keeps the memory reachable until here (the caller's last native access is before it). */
    @Override
    public void close() {
        java.lang.ref.Reference.reachabilityFence(segment);
    }
}
