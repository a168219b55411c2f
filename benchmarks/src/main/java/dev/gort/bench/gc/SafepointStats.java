package dev.gort.bench.gc;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A child JVM's own safepoints, read from its {@code -Xlog:safepoint} lines ({@link #LOG_FLAG}): every
 * Java thread, gort's mutator included, is stopped for each one's total. For a JVM-heap contender the
 * long ones are its collector's pauses (in the pause columns already); for a gort contender they are
 * what stops the mutator besides gort's own pauses: the host JVM collecting the runtime's Java objects,
 * deoptimizations, class redefinition. Counted over the child's whole life, start-up included (the
 * log has no mark for the timed run's start). Not thread-safe: one reader per child.
 */
final class SafepointStats {
    /** Unified logging of each safepoint, undecorated, on the child's stdout (which the harness reads). */
    static final String LOG_FLAG = "-Xlog:safepoint=info:stdout:none";

    /** JDK 17-25's line: {@code Safepoint "NAME", Time since last: N ns, ..., Total: N ns, Threads: ...}. */
    private static final Pattern LINE = Pattern.compile("^Safepoint \"([^\"]*)\".*\\bTotal: (\\d+) ns");

    private long count;
    private long overOneMs;
    private long maxNanos = -1;
    private String maxName = "";

    /** Takes {@code line} if it is a safepoint line (then true: the caller need not echo it). */
    boolean accept(String line) {
        if (!line.startsWith("Safepoint \"")) {
            return false;
        }
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
            return true;        // a safepoint line of another shape: not echoed, not counted
        }
        long total = Long.parseLong(m.group(2));
        count++;
        if (total > 1_000_000) {
            overOneMs++;
        }
        if (total > maxNanos) {
            maxNanos = total;
            maxName = m.group(1);
        }
        return true;
    }

    long count() {
        return count;
    }

    long overOneMs() {
        return overOneMs;
    }

    /** Microseconds of the longest, -1 before any. */
    long maxMicros() {
        return maxNanos < 0 ? -1 : maxNanos / 1000;
    }

    /** One line for under the table. */
    String note() {
        if (count == 0) {
            return "no JVM safepoint logged";
        }
        return "its JVM's own safepoints (every Java thread stopped; start-up included): " + count + ", " + overOneMs
                + " over 1 ms, the longest " + maxMicros() + " us (\"" + maxName + "\")";
    }
}
