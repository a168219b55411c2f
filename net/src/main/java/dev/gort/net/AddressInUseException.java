package dev.gort.net;

/** bind found the address taken (EADDRINUSE). */
public final class AddressInUseException extends NetException {
    private static final long serialVersionUID = 1L;

    public AddressInUseException(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
