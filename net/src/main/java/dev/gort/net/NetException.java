package dev.gort.net;

import dev.gort.sys.Errno;
import dev.gort.sys.NativeException;

/**
 * A network operation failed. Unchecked, like every gort runtime error, so goroutine bodies
 * ({@code Runnable}s) can let it travel; the message names the operation, the endpoint and the
 * cause, e.g. {@code read tcp 127.0.0.1:8080->127.0.0.1:51234: connection reset by peer (ECONNRESET)}.
 * The failed operation changes nothing else: the runtime and every other connection keep working.
 *
 * <p>Subclasses name the cases callers handle differently: {@link ClosedException},
 * {@link DeadlineExceededException}, {@link ConnectionResetException},
 * {@link ConnectionRefusedException}, {@link AddressInUseException},
 * {@link TooManyOpenFilesException}.
 */
public class NetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public NetException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /** The errno behind the failure, or 0 when it did not come from the OS (closed, deadline). */
    public int errno() {
        return errno;
    }

    /** The errno symbol ({@code "ECONNRESET"}), or null. */
    public String errnoName() {
        return errno == 0 ? null : Errno.name(errno);
    }

    /** The exception for {@code op} on {@code endpoint} failing with {@code errno}. */
    static NetException of(String op, String endpoint, int errno) {
        NativeException cause = new NativeException(op, endpoint, errno);
        String what = op + " " + endpoint + ": ";
        String name = Errno.name(errno);
        return switch (name) {
            case "ECONNRESET", "EPIPE" -> new ConnectionResetException(what + "connection reset by peer (" + name + ")", errno, cause);
            case "ECONNREFUSED" -> new ConnectionRefusedException(what + "connection refused (" + name + ")", errno, cause);
            case "EADDRINUSE" -> new AddressInUseException(what + "address already in use (" + name + ")", errno, cause);
            case "EMFILE", "ENFILE" -> new TooManyOpenFilesException(what + "too many open files (" + name
                    + "; raise RLIMIT_NOFILE with ulimit -n, or close connections)", errno, cause);
            case "ETIMEDOUT" -> new NetException(what + "connection timed out (" + name + ")", errno, cause);
            default -> new NetException(what + cause.getMessage(), errno, cause);
        };
    }
}
