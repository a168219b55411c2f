package dev.gort.sched;

/**
 * Decides whether a panic escaping a goroutine is recovered (the goroutine just ends) or fatal (the
 * default: Go's "panic: ..." report and exit 2 through the {@link FatalHandler}).
 */
@FunctionalInterface
public interface PanicHandler {
    /** Returns true to recover. Runs on the panicking goroutine. */
    boolean recover(G g, Throwable panic);
}
