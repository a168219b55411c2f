package dev.gort;

import dev.gort.sched.G;
import dev.gort.sched.Go;
import dev.gort.sched.P;
import dev.gort.sched.ProcResizeHook;
import dev.gort.sched.Scheduler;
import dev.gort.sched.WaitReason;
import dev.gort.sync.Parking;
import dev.gort.sync.Pool;
import dev.gort.sync.Procs;

/** The scheduler-backed parker and P source the bootstrap installs for dev.gort.sync. */
final class SyncPorts {
    private SyncPorts() {
    }

    static Parking.GoroutineParker parker() {
        return new Parking.GoroutineParker() {
            @Override
            public boolean onGoroutine() {
                // Inside Gort.syscall the goroutine holds no P and cannot park through the
                // scheduler: it waits as a thread, blocking its M as the call it is in does.
                return Go.canPark();
            }

            @Override
            public Object current() {
                return Go.current();
            }

            @Override
            public void park(Runnable afterParked, String reason) {
                Go.park((g, arg) -> {
                    afterParked.run();
                    return true;
                }, null, reason(reason));
            }

            @Override
            public void ready(Object goroutine) {
                Go.ready((G) goroutine);
            }
        };
    }

    static WaitReason reason(String text) {
        for (WaitReason r : WaitReason.values()) {
            if (r.text().equals(text)) {
                return r;
            }
        }
        return WaitReason.SEMACQUIRE;
    }

    /** sync.Pool's part of procresize: a destroyed P's private slots move where other Ps find them. */
    static ProcResizeHook poolResizeHook() {
        return new ProcResizeHook() {
            @Override
            public void destroyP(P dying, P heir) {
                Pool.procDestroyed(dying.id());
            }
        };
    }

    static Procs.Source procs(Scheduler s) {
        return new Procs.Source() {
            @Override
            public int currentP() {
                return Go.onGoroutine() ? Go.pid() : -1;
            }

            @Override
            public int count() {
                return s.gomaxprocs();
            }
        };
    }
}
