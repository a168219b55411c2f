package dev.gort.net;

/** the process or system ran out of file descriptors (EMFILE/ENFILE). A server logs it, waits a moment and keeps serving the connections it has, as Go's http.Server does. */
public final class TooManyOpenFilesException extends NetException {
    private static final long serialVersionUID = 1L;

    public TooManyOpenFilesException(String message, int errno, Throwable cause) {
        super(message, errno, cause);
    }
}
