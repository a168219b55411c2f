package dev.gort.gc.stress;

import java.util.function.Supplier;

/**
 * A reference model found the heap disagreeing with it (a lost payload, a wrong field, a pointer
 * handed out twice, a tree of the wrong shape). An Error, like JUnit's AssertionError, so that
 * code catching exceptions on the way cannot swallow it.
 */
public final class StressFailure extends AssertionError {
    public StressFailure(String message) {
        super(message);
    }

    /** Throws with the message {@code why} gives when {@code ok} is false. */
    static void expect(boolean ok, Supplier<String> why) {
        if (!ok) {
            throw new StressFailure(why.get());
        }
    }
}
