package dev.gort;

/** Thrown through the calling goroutine by {@link Gort#exit(int)}; never seen by user code that does not catch Error. */
final class ExitSignal extends Error {
    private static final long serialVersionUID = 1L;
    final int code;

    ExitSignal(int code) {
        super("gort exit " + code, null, false, false);
        this.code = code;
    }
}
