package dev.gort.sched;

import java.time.Duration;

/**
 * Go's time functions on the per-P timer heaps: {@link #sleep}, {@link #after}, {@link #newTimer},
 * {@link #newTicker}, {@link #afterFunc}. Times are System.nanoTime() values; channel timers send
 * the nanoTime at which they fired.
 */
public final class Time {
    private Time() {
    }

    private static final TimerFunc GOREADY = (arg, now) -> {
        G g = (G) arg;
        g.sched.ready(g);
    };

    private static final ParkCommit ADD_TIMER = (g, arg) -> {
        Timer t = (Timer) arg;
        g.sched.addTimer(t, t.when, 0);
        return true;
    };

    @SuppressWarnings("unchecked")
    private static final TimerFunc SEND_TIME = (arg, now) -> ((Chan<Long>) arg).offer(now);

    private static final TimerFunc GO_FUNC = (arg, now) -> {
        M mp = (M) Scheduler.carrier();
        mp.sched.newproc(mp, (Runnable) arg);
    };

    /** Parks the current goroutine for at least {@code d} (Go's time.Sleep). */
    public static void sleep(Duration d) {
        sleepNanos(nanos(d));
    }

    /**
     * {@code d} in nanoseconds; a Duration beyond a long's nanoseconds (about 292 years) is
     * saturated to the longest or shortest one, as Go's time.Duration cannot be larger: "forever"
     * rather than Duration.toNanos's ArithmeticException.
     */
    static long nanos(Duration d) {
        java.util.Objects.requireNonNull(d, "a null Duration; accepted: any Duration (zero or less: at once; "
                + "beyond a long's nanoseconds: never)");
        try {
            return d.toNanos();
        } catch (ArithmeticException beyondNanos) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /**
     * When a timer set at {@code now} for {@code delay} fires (Go's when()): now for a delay of
     * zero or less; a sum past the clock's range saturates to {@link #NEVER}, so a timer for the
     * longest duration never fires instead of wrapping to the past and firing at once.
     */
    static long when(long now, long delay) {
        if (delay <= 0) {
            return now;
        }
        long when = now + delay;
        return when < now ? NEVER : when;
    }

    /** The latest when: later than any clock reading (Long.MAX_VALUE is the timer heap's "no timer"). */
    static final long NEVER = Long.MAX_VALUE - 1;

    public static void sleepNanos(long nanos) {
        M mp = Scheduler.currentM();
        G gp = mp.curg;
        mp = Go.safepoint(mp, gp); // may resume on another M
        if (nanos <= 0) {
            return;
        }
        Timer t = gp.sleepTimer;
        if (t == null) {
            t = new Timer(GOREADY, gp);
            gp.sleepTimer = t;
        }
        t.when = when(System.nanoTime(), nanos);
        mp.sched.gopark(mp, gp, ADD_TIMER, t, WaitReason.SLEEP);
    }

    /** A channel that receives the fire time once after {@code d} (Go's time.After). */
    public static Chan<Long> after(Duration d) {
        return newTimer(d).c();
    }

    /** A one-shot timer with a channel of capacity 1 (Go's time.NewTimer). */
    public static GoTimer newTimer(Duration d) {
        Chan<Long> c = new Chan<>(1);
        GoTimer t = new GoTimer(new Timer(SEND_TIME, c), c, 0);
        t.start(nanos(d));
        return t;
    }

    /** A periodic timer; a tick is dropped if the previous one was not received (Go's time.NewTicker). */
    public static GoTimer newTicker(Duration d) {
        long period = nanos(d);
        if (period <= 0) {
            throw new IllegalArgumentException("non-positive interval for newTicker: " + d);
        }
        Chan<Long> c = new Chan<>(1);
        GoTimer t = new GoTimer(new Timer(SEND_TIME, c), c, period);
        t.start(period);
        return t;
    }

    /**
     * Runs {@code f} in its own goroutine after {@code d} (Go's time.AfterFunc). A null {@code f}
     * is refused here: Go fails only when the timer fires ("go of nil func value"), on whichever
     * thread runs the timer heap, far from the mistake.
     */
    public static GoTimer afterFunc(Duration d, Runnable f) {
        java.util.Objects.requireNonNull(f, "afterFunc: a null function; accepted: a Runnable to run in its own goroutine");
        GoTimer t = new GoTimer(new Timer(GO_FUNC, f), null, 0);
        t.start(nanos(d));
        return t;
    }

    /**
     * A runtime timer (Go's timers whose {@code f} the timer code calls directly, as netpoll
     * deadlines do): {@code f.fire(arg, now)} runs after {@code d} on the M that runs the timer
     * heap, without starting a goroutine. {@code f} must be short and must not block or park (it
     * may ready goroutines). Call from a goroutine; {@link GoTimer#stop} cancels it.
     */
    public static GoTimer runtimeTimer(Duration d, TimerFunc f, Object arg) {
        java.util.Objects.requireNonNull(f, "runtimeTimer: a null TimerFunc; accepted: a TimerFunc that the timer heap calls");
        GoTimer t = new GoTimer(new Timer(f, arg), null, 0);
        t.start(nanos(d));
        return t;
    }

    /** Package-level timer with a custom function (tests, other runtime parts). */
    static Timer startTimer(TimerFunc f, Object arg, long delayNanos, long period) {
        Timer t = new Timer(f, arg);
        M mp = Scheduler.currentM();
        mp.sched.addTimer(t, when(System.nanoTime(), delayNanos), period);
        return t;
    }

    /** A timer handle (Go's *time.Timer / *time.Ticker). */
    public static final class GoTimer {
        private final Timer t;
        private final Chan<Long> c;
        /** The ticker's period, 0 for a one-shot timer; Ticker.Reset changes it. */
        private long period;
        private final Scheduler sched;

        GoTimer(Timer t, Chan<Long> c, long period) {
            this.t = t;
            this.c = c;
            this.period = period;
            this.sched = Scheduler.currentM().sched;
        }

        void start(long delay) {
            sched.addTimer(t, when(System.nanoTime(), delay), period);
        }

        /** The channel the timer sends on (null for afterFunc timers). */
        public Chan<Long> c() {
            return c;
        }

        /** Stops it; true if that prevented a firing (Go's Stop). */
        public boolean stop() {
            return sched.stopTimer(t);
        }

        /**
         * Restarts it to fire after {@code d}; true if it was active (Go's Timer.Reset). For a
         * ticker this is Go's Ticker.Reset: {@code d} becomes the period too, and a {@code d} of
         * zero or less is refused (Go panics "non-positive interval for Ticker.Reset"), the ticker
         * left running as it was.
         */
        public boolean reset(Duration d) {
            long delay = nanos(d);
            if (period > 0 && delay <= 0) {
                throw new IllegalArgumentException("non-positive interval for Ticker.Reset: " + d
                        + "; accepted: a positive Duration");
            }
            boolean active = sched.stopTimer(t);
            if (period > 0) {
                period = delay;
            }
            start(delay);
            return active;
        }
    }
}
