package dev.gort.net;

/** the peer reset the connection (ECONNRESET), or a write met a closed peer (EPIPE). */
public final class ConnectionResetException extends NetException {
    private static final long serialVersionUID = 1L;

    public ConnectionResetException(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
