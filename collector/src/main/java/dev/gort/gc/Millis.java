package dev.gort.gc;

/**
 * Nanoseconds written as milliseconds with three decimals ("2.139"), as {@code %.3f} of
 * {@code ns / 1e6} prints them (half up), for the pause trace's lines.
 *
 * <p>Why not {@code String.format}: the trace formats ten to twenty figures after every pause,
 * and java.util.Formatter's code (its parser, the floating-point decimal conversion, ~100
 * methods) kept crossing the JIT's thresholds for the whole of a binary-trees run: 10-30 compile
 * requests a second, each waking a compiler thread that then took a CPU from the coordinator or
 * the mutator inside a later pause (docs/performance.md, session 15, jitpause). This is integer
 * arithmetic and StringBuilder appends only: a handful of small methods, compiled once.
 */
final class Millis {
    private Millis() {
    }

    /** Appends {@code nanos} as milliseconds with three decimals to {@code b}; returns {@code b}. */
    static StringBuilder append(StringBuilder b, long nanos) {
        if (nanos < 0) {
            b.append('-');
            nanos = nanos == Long.MIN_VALUE ? Long.MAX_VALUE : -nanos;
        }
        long micros = nanos / 1000 + (nanos % 1000 >= 500 ? 1 : 0);
        long frac = micros % 1000;
        b.append(micros / 1000).append('.');
        if (frac < 100) {
            b.append('0');
        }
        if (frac < 10) {
            b.append('0');
        }
        return b.append(frac);
    }

    /** {@code nanos} as milliseconds with three decimals. */
    static String of(long nanos) {
        return append(new StringBuilder(12), nanos).toString();
    }
}
