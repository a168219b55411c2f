package dev.gort.net;

/** the Conn or Listener was closed (Go's net.ErrClosed, "use of closed network connection"). Thrown to every goroutine parked on it when close runs, and to later calls. */
public final class ClosedException extends NetException {
    private static final long serialVersionUID = 1L;

    public ClosedException(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
