package dev.gort.cli;

/** A command-line mistake: the message says what was wrong and the accepted usage; exit code 2. */
public final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
