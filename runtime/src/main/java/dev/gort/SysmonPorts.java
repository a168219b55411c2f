package dev.gort;

import dev.gort.arena.Heap;
import dev.gort.arena.MemStats;
import dev.gort.sched.P;
import dev.gort.sched.Scheduler;
import dev.gort.gc.Collector;
import dev.gort.sysmon.GcPort;
import dev.gort.sysmon.ScavengerPort;
import dev.gort.sysmon.SchedulerPort;

/** The adapters the bootstrap installs so sysmon sees the real scheduler and heap. */
final class SysmonPorts {
    private SysmonPorts() {
    }

    /** sysmon's view of the scheduler: P status and ticks, retake and preempt through the scheduler's own methods. */
    static SchedulerPort scheduler(Scheduler s) {
        return new SchedulerPort() {
            @Override
            public int procCount() {
                return s.gomaxprocs();
            }

            @Override
            public int procStatus(int p) {
                return s.p(p).status();
            }

            @Override
            public long schedTick(int p) {
                return s.p(p).schedtick();
            }

            @Override
            public long schedWhen(int p) {
                return s.p(p).schedwhen(); // System.nanoTime() at execute, the clock sysmon uses in production
            }

            @Override
            public long syscallTick(int p) {
                return s.p(p).syscalltick();
            }

            /** Local ring or runnext (Go's runqempty) or the global queue non-empty. */
            @Override
            public boolean hasLocalWork(int p) {
                P pp = s.p(p);
                return !pp.runqempty() || s.globalRunqueueSize() > 0;
            }

            @Override
            public String schedtrace(boolean detailed) {
                return s.schedtrace(detailed);
            }

            @Override
            public boolean spinningOrIdleProcs() {
                return s.spinningThreads() + s.idleProcs() > 0;
            }

            @Override
            public boolean retakeFromSyscall(int p) {
                return s.retake(p, true); // sysmon has applied Go's conditions already
            }

            @Override
            public void preempt(int p) {
                s.preempt(p);
            }
        };
    }

    /**
     * sysmon's view of the collector (absent until gcenable: then nothing is forced). The last
     * cycle's end is the collector's monotonic {@code lastCycleEndNanos} (System.nanoTime, sysmon's
     * production clock), so a wall-clock step does not force or delay a GC.
     */
    static GcPort collector(GortRuntime rt) {
        return new GcPort() {
            @Override
            public long lastGcNanos() {
                Collector c = rt.gc;
                return c == null ? 0 : c.lastCycleEndNanos();
            }

            @Override
            public long numGc() {
                Collector c = rt.gc;
                return c == null ? 0 : c.cycles();
            }

            @Override
            public boolean enabled() {
                Collector c = rt.gc;
                return c != null && c.options().gcPercent() >= 0;
            }

            @Override
            public long heapGoal() {
                Collector c = rt.gc;
                return c == null ? 0 : c.pacer().heapGoal();
            }

            @Override
            public boolean requestForcedGc() {
                Collector c = rt.gc;
                if (c == null) {
                    return false;
                }
                if (!c.requestCycle(true)) {
                    return false; // a cycle is already requested or running: nothing forced
                }
                if (rt.config.debug().gctrace() > 0) {
                    rt.stderr.println("GC forced"); // Go's forcegchelper line
                }
                return true;
            }
        };
    }

    /**
     * sysmon's view of the network poller, through {@code Scheduler.injectNetpoll()} (a
     * non-blocking poll that injects the ready goroutines; free when no poller exists, nobody
     * waits on the network, or an M is already blocked in epoll_wait). The poller is created
     * lazily by the first network call and has no public handle per scheduler, so this adapter
     * times sysmon's own polls: sysmon polls at most every netpoll period (10 ms), where Go also
     * skips the poll when another M polled recently.
     */
    static dev.gort.sysmon.NetpollPort netpoll(Scheduler s) {
        return new dev.gort.sysmon.NetpollPort() {
            private volatile long last = System.nanoTime();

            @Override
            public long lastPollNanos() {
                return last;
            }

            @Override
            public int pollAndInject() {
                int n = s.injectNetpoll();
                last = System.nanoTime();
                return n;
            }
        };
    }

    /** sysmon's view of the arena's scavenger. */
    static ScavengerPort scavenger(Heap heap) {
        return new ScavengerPort() {
            @Override
            public long releaseIdle(long nowNanos, long idleNanos) {
                return heap.scavengeIdle(); // the heap was configured with the same idle age and clock
            }

            @Override
            public long releaseDownTo(long targetBytes) {
                return heap.scavengeToRetain(targetBytes);
            }

            @Override
            public long heapInUse() {
                return heap.readMemStats().heapInuse();
            }

            @Override
            public long heapRetained() {
                MemStats m = heap.readMemStats();
                return m.heapRetained();
            }

            @Override
            public long heapReleased() {
                return heap.readMemStats().heapReleased();
            }
        };
    }
}
