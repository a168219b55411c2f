package dev.gort.sys;

/**
 * A native call failed. The message names the call, its arguments, the errno symbol and the
 * C library's text for it, e.g.
 * {@code mmap(addr=0x0, len=4611686018427387904, prot=PROT_NONE, flags=MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, fd=-1, off=0) failed: ENOMEM (Cannot allocate memory)}.
 * Unchecked: callers that can recover (the allocator retries after a GC) catch it; the rest let it
 * travel. A failed call changes no gort state.
 */
public final class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final String arguments;
    private final int errno;
    /** Built at the first {@link #getMessage}, not here: see the constructor. */
    private volatile String message;

    /**
     * Builds no message: a failure caught inside a stop-the-world pause (a late M's boost refused
     * with ESRCH, say) must not link {@code strerror} there (linked at first use since session 25:
     * milliseconds and ~0.4 MiB of Java garbage) nor format strings. The message is built when
     * first read.
     */
    public NativeException(String call, String arguments, int errno) {
        super((String) null);
        this.call = call;
        this.arguments = arguments;
        this.errno = errno;
    }

    @Override
    public String getMessage() {
        String m = message;
        if (m == null) {        // a race builds the same text twice
            m = call + "(" + arguments + ") failed: " + Errno.name(errno) + " (" + LibC.strerror(errno) + ")";
            message = m;
        }
        return m;
    }

    /** The C function that failed, e.g. {@code "madvise"}. */
    public String call() {
        return call;
    }

    /** The errno value the call left. */
    public int errno() {
        return errno;
    }

    /** The errno symbol, e.g. {@code "ENOMEM"}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
