package dev.gort.gc.stress;

import dev.gort.gc.RootSlots;
import dev.gort.sched.Frame;

/**
 * The root slots a stress load keeps its pointers in across safepoints: a goroutine's shadow-stack
 * {@link Frame} or a registered thread's {@link RootSlots}, one view for both worlds.
 */
public interface Slots {
    void set(int i, long pointer);

    long get(int i);

    /** A goroutine's frame (scanned as a stack root). */
    static Slots of(Frame f) {
        return new Slots() {
            @Override
            public void set(int i, long pointer) {
                f.set(i, pointer);
            }

            @Override
            public long get(int i) {
                return f.get(i);
            }
        };
    }

    /** A registered thread mutator's root slots. */
    static Slots of(RootSlots r) {
        return new Slots() {
            @Override
            public void set(int i, long pointer) {
                r.set(i, pointer);
            }

            @Override
            public long get(int i) {
                return r.get(i);
            }
        };
    }
}
