package dev.gort.net;

/** a read or write deadline passed (Go's os.ErrDeadlineExceeded, "i/o timeout"). The connection stays usable: set a later deadline and retry. */
public final class DeadlineExceededException extends NetException {
    private static final long serialVersionUID = 1L;

    public DeadlineExceededException(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
