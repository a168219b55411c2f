package dev.gort.net;

import dev.gort.sched.G;
import dev.gort.sched.Go;
import dev.gort.sched.ParkCommit;
import dev.gort.sched.Time;
import dev.gort.sched.WaitReason;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How a caller blocked on I/O waits and is woken, for the two kinds of caller:
 * <ul>
 * <li>a goroutine parks with {@link Go#park} (wait reason "IO wait"); the commit publishes its G
 *     in the pollDesc slot once it is off its M; readiness hands the G back to the scheduler,
 *     through the netpoll hook's ready list or {@link Go#ready}. Its M runs other goroutines.
 *     Deadline timers are runtime timers on the scheduler's timer heap ({@link Time#runtimeTimer}):
 *     the M that fires one flags the deadline and readies the waiter, no goroutine per firing.</li>
 * <li>a plain platform thread (an embedder's thread, a test, the JDK's own threads), or a goroutine
 *     inside {@code Gort.syscall}, publishes itself and waits in {@link LockSupport#park}. On the
 *     platform-thread poller its helper thread, started on the first such wait, polls for it; on
 *     a scheduler's poller the scheduler's own pollers do (the idle M, findrunnable, sysmon):
 *     the waiter counts in {@code hasWaiters} while it waits, and no helper thread competes with
 *     the idle M for the kernel queue's wake-ups. Its deadlines use one shared daemon timer thread, which ends
 *     after a second without pending deadlines.</li>
 * </ul>
 */
final class Parking {
    private Parking() {
    }

    private static final ParkCommit READ_COMMIT = (g, arg) -> ((PollDesc) arg).commitGoroutine(PollDesc.READ, g);
    private static final ParkCommit WRITE_COMMIT = (g, arg) -> ((PollDesc) arg).commitGoroutine(PollDesc.WRITE, g);

    /** Parks the caller until {@code pd}'s {@code mode} slot is unblocked (see PollDesc.block). */
    static void park(PollDesc pd, int mode) {
        if (Go.canPark()) {     // not inside Gort.syscall: there it waits as a thread
            pd.poller.checkOwner(pd);
            Go.park(mode == PollDesc.READ ? READ_COMMIT : WRITE_COMMIT, pd, WaitReason.IO_WAIT);
            pd.poller.goroutineWoke();
            return;
        }
        Thread self = Thread.currentThread();
        NetPoller poller = pd.poller;
        poller.threadParking();     // before the commit: whoever polls from now on sees this waiter
        try {
            if (!pd.commit(mode, self)) {
                return;
            }
            while (pd.holds(mode, self)) {
                LockSupport.park(pd);
            }
        } finally {
            poller.threadWoke();
        }
    }

    /**
     * Makes a waiter taken out of a slot runnable again; null does nothing. A goroutine of a
     * scheduler that has shut down ({@code poller} closed) is dropped: it will never run again
     * and its descriptor memory is freed (a Conn closed by an embedder after Gort.run returned,
     * with a goroutine still parked on it).
     */
    static void wake(Object waiter, NetPoller poller) {
        if (waiter == null) {
            return;
        }
        if (waiter instanceof Thread t) {
            LockSupport.unpark(t);
        } else if (!poller.isClosed()) {
            Go.ready((G) waiter);
        }
    }

    /** A cancellable deadline timer. */
    interface TimerHandle {
        void cancel();
    }

    private static final class ThreadTimers {
        static final ScheduledThreadPoolExecutor EXEC;

        static {
            EXEC = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().daemon().name("gort-net-deadlines").unstarted(r));
            EXEC.setRemoveOnCancelPolicy(true);
            // The thread ends after a second with no deadline pending (a new one starts it again),
            // so it does not outlive the platform-thread I/O that needed it.
            EXEC.setKeepAliveTime(1, TimeUnit.SECONDS);
            EXEC.allowCoreThreadTimeOut(true);
        }
    }

    /** Runs the deadline's Runnable on the M that fires the timer (it only flags and readies). */
    private static final dev.gort.sched.TimerFunc RUN_ON_M = (arg, now) -> ((Runnable) arg).run();

    /**
     * Runs {@code fire} after {@code delayNanos}: from a goroutine, as a runtime timer on the
     * scheduler's timer heap, called by the M that runs the heap without a goroutine per firing
     * (Go's netpoll deadline timers); from a platform thread, on the shared deadline thread.
     */
    static TimerHandle startTimer(long delayNanos, Runnable fire) {
        if (Go.onGoroutine()) {
            Time.GoTimer t = Time.runtimeTimer(Duration.ofNanos(delayNanos), RUN_ON_M, fire);
            return t::stop;
        }
        ScheduledFuture<?> f = ThreadTimers.EXEC.schedule(fire, delayNanos, TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }
}
