package dev.gort.sched;

import java.util.concurrent.atomic.AtomicReference;

/** Helpers: run a goroutine program in-process with fatal errors thrown, not exiting the JVM. */
final class SchedTesting {
    private SchedTesting() {
    }

    static Scheduler run(int procs, Runnable main) {
        return run(SchedConfig.defaults().gomaxprocs(procs), main);
    }

    static Scheduler run(SchedConfig cfg, Runnable main) {
        cfg.fatalHandler(FatalHandler.THROW);
        Scheduler s = Scheduler.create(cfg);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        s.run(() -> {
            try {
                main.run();
            } catch (G.GoexitSignal g) {
                throw g;
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return s;
    }
}
