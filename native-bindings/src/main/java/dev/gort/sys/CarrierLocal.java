package dev.gort.sys;

import java.util.function.Supplier;

/**
 * A per-carrier-thread value that stays correct in code that runs inside a goroutine.
 *
 * <p>Why not a plain {@link ThreadLocal}: C2 treats an inlined {@code Thread.currentThread()} as
 * constant within one compiled frame (only JDK methods marked {@code @ChangesCurrentThread} are
 * exempt). A goroutine is a continuation that can yield on one platform thread (M) and resume on
 * another; a ThreadLocal lookup inlined into a compiled frame that spans such a yield can return
 * the previous M's value. For errno capture buffers and scratch structs that means two Ms writing
 * the same native bytes at once. {@link #get()} is an out-of-line call, so the thread is read
 * afresh in its own frame each time. What keeps C2 from inlining it is its size: a never-taken
 * branch puts the bytecode above FreqInlineSize (325 bytes). The cost is one static call.
 *
 * <p>Invariant for callers: use the value only until the next point where the goroutine can
 * yield (park, channel op, allocation safepoint); take it again after.
 */
public final class CarrierLocal<T> {
    private final ThreadLocal<T> local;

    public CarrierLocal(Supplier<? extends T> initial) {
        this.local = ThreadLocal.withInitial(initial);
    }

    /** Always false; guards the padding in {@link #read}. */
    private static volatile boolean never;

    /** The calling carrier thread's value (never a stale one: see the class comment). */
    @SuppressWarnings("unchecked")
    public T get() {
        return (T) read(local);
    }

    /** The platform thread running the caller, read afresh (never CSE'd across a yield). */
    public static Thread currentThread() {
        return (Thread) read(null);
    }

    /**
     * The one out-of-line read: {@code local}'s value, or the current thread when null. The two
     * public methods are small and inline into callers; this one must not, so the thread is read
     * in its own frame. The never-taken branch is bytecode bulk only.
     */
    private static Object read(ThreadLocal<?> local) {
        Object v = local == null ? Thread.currentThread() : local.get();
        if (never) {
            long x = System.identityHashCode(v);
            x = x * 31 + 7919;
            x = x * 31 + 15838;
            x = x * 31 + 23757;
            x = x * 31 + 31676;
            x = x * 31 + 39595;
            x = x * 31 + 47514;
            x = x * 31 + 55433;
            x = x * 31 + 63352;
            x = x * 31 + 71271;
            x = x * 31 + 79190;
            x = x * 31 + 87109;
            x = x * 31 + 95028;
            x = x * 31 + 102947;
            x = x * 31 + 110866;
            x = x * 31 + 118785;
            x = x * 31 + 126704;
            x = x * 31 + 134623;
            x = x * 31 + 142542;
            x = x * 31 + 150461;
            x = x * 31 + 158380;
            x = x * 31 + 166299;
            x = x * 31 + 174218;
            x = x * 31 + 182137;
            x = x * 31 + 190056;
            x = x * 31 + 197975;
            x = x * 31 + 205894;
            x = x * 31 + 213813;
            x = x * 31 + 221732;
            x = x * 31 + 229651;
            x = x * 31 + 237570;
            x = x * 31 + 245489;
            x = x * 31 + 253408;
            x = x * 31 + 261327;
            x = x * 31 + 269246;
            x = x * 31 + 277165;
            x = x * 31 + 285084;
            x = x * 31 + 293003;
            x = x * 31 + 300922;
            x = x * 31 + 308841;
            x = x * 31 + 316760;
            x = x * 31 + 324679;
            x = x * 31 + 332598;
            x = x * 31 + 340517;
            x = x * 31 + 348436;
            throw new IllegalStateException(Long.toString(x));
        }
        return v;
    }
}
