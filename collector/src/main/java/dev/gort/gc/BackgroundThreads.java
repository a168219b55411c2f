package dev.gort.gc;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.ThreadPriority;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;

/**
 * What the collector's background platform threads share: standing aside for a stop-the-world,
 * lowering their own OS priority, and the diagnostics of both. Indexed by thread: the platform
 * mark workers by id (ThreadWorld only), then the background sweeper thread at {@link #sweeperIndex}.
 * Each slot is written by its own thread only; readers (pausetrace, tests) read them unlocked.
 */
final class BackgroundThreads {
    private final World world;
    /** Platform mark worker threads (0 under the scheduler, whose mark workers are goroutines). */
    private final int workers;
    /** Whether the sweeper is a platform thread (ThreadWorld, or the scheduler with the sweeper goroutine off). */
    private final boolean sweeperThread;
    /** This collector's choice, read once at construction so its threads agree. */
    private final ThreadPriority.Background priority;

    /**
     * Diagnostics for pausetrace: when each collector platform thread (the mark worker threads by
     * id, then the background sweeper) last began standing aside for a stop (System.nanoTime(),
     * written by that thread). A pause's line names those that stood aside during it and after how
     * long; one not named was parked (idle) or never saw the stop.
     */
    private final AtomicLongArray asideAt;
    /** Each background platform thread's id (set once it has lowered itself) and the setting read back (tests). */
    private final AtomicIntegerArray tids;
    private final AtomicReferenceArray<ThreadPriority.Setting> settings;

    BackgroundThreads(World world, int workers, boolean sweeperThread, ThreadPriority.Background priority) {
        this.world = world;
        this.workers = workers;
        this.sweeperThread = sweeperThread;
        this.priority = priority;
        this.asideAt = new AtomicLongArray(workers + 1);
        this.tids = new AtomicIntegerArray(workers + 1);
        this.settings = new AtomicReferenceArray<>(workers + 1);
    }

    static String workerName(int id) {
        return "gort-gc-worker-" + id;
    }

    int sweeperIndex() {
        return workers;
    }

    private String name(int index) {
        return index < workers ? workerName(index) : Collector.SWEEPER_THREAD;
    }

    /**
     * A collector thread that is not a mutator (a platform mark worker, the background sweeper)
     * stands aside while a stop-the-world is requested: on a machine with as many runnable threads
     * as CPUs it would hold a CPU that a mutator needs to reach its safepoint, and the stop would
     * wait for the kernel to preempt it (measured: stops of several ms with a mutator runnable and
     * waiting). The coordinator's startWorld unparks it; the 1 ms bound covers stops by others (a
     * scheduler's GOMAXPROCS change). {@code stillWanted}: false once the thread must leave (the
     * collector closed; for a worker, the mark phase ended too, since checkmark waits for the
     * workers with the world stopped).
     */
    void standAside(int index, BooleanSupplier stillWanted) {
        asideAt.lazySet(index, System.nanoTime());
        while (world.stopRequested() && stillWanted.getAsBoolean()) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /**
     * A collector platform thread lowers its own OS priority to the configured background
     * priority ({@link Collector#BACKGROUND_PRIORITY}) before its first work, if asked. With
     * SCHED_IDLE on Linux the kernel preempts it at once for any waking normal thread, so it never
     * holds a CPU a mutator needs to reach its safepoint or the woken stopper needs; it still gets
     * the CPUs the machine leaves unused, which is all Go's idle mark worker and background sweeper
     * are for. The cost shows on a shared machine: with autogroups (or cgroups) a lowered thread
     * also yields to other processes, since its process's share on its CPU is weighted by its own
     * weight. These threads never run user code, so the change is never undone (an unprivileged
     * thread could not raise itself back). A refusal leaves the thread as it was. Records the
     * thread's id and the setting read back.
     */
    void lowerCurrent(int index) {
        settings.set(index, ThreadPriority.lowerCurrent(priority));
        int tid = (int) CpuAffinity.threadId();
        if (world instanceof ThreadWorld tw) {
            tw.knowLockHolder(Thread.currentThread(), tid);     // a real-time stopper waiting for the world's lock may boost it
        }
        tids.set(index, tid);     // last: a tid says the lowering is done
    }

    /** The collector threads that stood aside during the pause whose stop was requested at {@code start} ("" if none). */
    String describeAside(long start) {
        StringBuilder sb = null;
        for (int i = 0; i < asideAt.length(); i++) {
            long at = asideAt.get(i);
            if (at != 0 && at - start >= 0) {
                sb = sb == null ? new StringBuilder("; stood aside:") : sb.append(',');
                Millis.append(sb.append(' ').append(name(i)).append(" at "), at - start).append(" ms");
            }
        }
        return sb == null ? "" : sb.toString();
    }

    /** Tests: "name tid setting" of each background platform thread that has started (setting null: unknown or refused). */
    List<String> describeForTest() {
        List<String> out = new ArrayList<>();
        int n = sweeperThread ? tids.length() : workers;     // under the scheduler: none
        for (int i = 0; i < n; i++) {
            out.add(name(i) + " " + tids.get(i) + " " + settings.get(i));
        }
        return out;
    }
}
