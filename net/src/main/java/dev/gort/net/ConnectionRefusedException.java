package dev.gort.net;

/** nothing listens at the dialled address (ECONNREFUSED). */
public final class ConnectionRefusedException extends NetException {
    private static final long serialVersionUID = 1L;

    public ConnectionRefusedException(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
