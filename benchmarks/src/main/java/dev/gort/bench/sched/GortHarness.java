package dev.gort.bench.sched;

import dev.gort.sched.FatalHandler;
import dev.gort.sched.Go;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;

/**
 * A scheduler kept alive across benchmark invocations. Its main goroutine takes work from the JMH
 * thread through a Java queue inside {@code Go.syscall} (the embedding pattern: a blocking Java
 * call hands the P off) and runs each job on a goroutine; the JMH thread waits on a semaphore.
 * Jobs run many operations each (OperationsPerInvocation), so the cross-thread hand-over is noise.
 */
final class GortHarness implements AutoCloseable {
    private static final Runnable STOP = () -> {
    };

    private final LinkedBlockingQueue<Runnable> jobs = new LinkedBlockingQueue<>();
    private final Semaphore done = new Semaphore(0);
    private final Thread runner;
    private final Scheduler sched;
    private volatile Throwable died;

    GortHarness(int procs) {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(procs).fatalHandler(FatalHandler.THROW));
        sched = s;
        runner = Thread.ofPlatform().name("gort-bench-runner").start(() -> runScheduler(s));
    }

    private void runScheduler(Scheduler s) {
        try {
            s.run(() -> {
            for (;;) {
                Runnable job;
                try {
                    job = Go.syscall(jobs::take);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                if (job == STOP) {
                    return;
                }
                job.run();
                done.release();
            }
            });
        } catch (Throwable t) {
            died = t;
            System.err.println("gort scheduler died: " + (t instanceof dev.gort.sched.FatalError f ? f.report() : t));
            t.printStackTrace();
            done.release();
        }
    }

    /** Runs {@code job} on the scheduler's main goroutine and waits for it. */
    void run(Runnable job) {
        jobs.add(job);
        try {
            if (!done.tryAcquire(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("benchmark job did not finish in 60 s:\n" + sched.schedtrace(true));
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        if (died != null) {
            throw new IllegalStateException("gort scheduler died", died);
        }
    }

    @Override
    public void close() throws InterruptedException {
        jobs.add(STOP);
        runner.join(5000);
    }
}
