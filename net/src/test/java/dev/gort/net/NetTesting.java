package dev.gort.net;

import dev.gort.sched.FatalHandler;
import dev.gort.sched.SchedConfig;
import dev.gort.sched.Scheduler;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a goroutine program in-process; fatal errors and a failing main are rethrown to JUnit. */
final class NetTesting {
    private NetTesting() {
    }

    static void run(int procs, Runnable main) {
        SchedConfig cfg = SchedConfig.defaults().gomaxprocs(procs).fatalHandler(FatalHandler.THROW);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Scheduler s = Scheduler.create(cfg)) {
            s.run(() -> {
                try {
                    main.run();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }
}
