package dev.gort;

import dev.gort.arena.Heap;
import dev.gort.arena.MemStats;
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
            public long procResizeGeneration() {
                return s.procresizeGeneration();
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
                return s.p(p).schedwhen(); // 0: the scheduler does not read the clock per switch; sysmon times slices from schedtick
            }

            @Override
            public long syscallTick(int p) {
                return s.p(p).syscalltick();
            }

            /**
             * Local ring or runnext non-empty (Go's {@code !runqempty(pp)}). The global queue does
             * not count, as in Go: whoever queued there woke an M for an idle P (wakep).
             */
            @Override
            public boolean hasLocalWork(int p) {
                return !s.p(p).runqempty();
            }

            @Override
            public String schedtrace(boolean detailed) {
                return s.schedtrace(detailed);
            }

            @Override
            public boolean wakeForGlobalWork() {
                return s.wakeForGlobalWork();
            }

            @Override
            public boolean armIdleWake(Runnable wake) {
                return s.armSysmonWake(wake);
            }

            @Override
            public void disarmIdleWake() {
                s.disarmSysmonWake();
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
            public boolean preempt(int p) {
                return s.preempt(p);
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
                    rt.stderr.println("GC forced"); // Go's forcegchelper line, before gcStart's re-test (which may drop it)
                }
                return true;
            }

            @Override
            public long forcedCyclesStarted() {
                Collector c = rt.gc;
                return c == null ? 0 : c.timeTriggeredCycles();
            }
        };
    }

    /**
     * sysmon's view of the network poller (Go's sched.lastpoll): the scheduler's poller's own
     * {@code lastPollNanos} — when any poll last returned (findrunnable's, an idle M's, sysmon's),
     * 0 while an M is blocked in the kernel wait or before the program touched the network, so
     * sysmon polls only when nobody did for the netpoll period — and {@code Scheduler.injectNetpoll()}
     * for the poll itself.
     */
    static dev.gort.sysmon.NetpollPort netpoll(Scheduler s) {
        return new dev.gort.sysmon.NetpollPort() {
            private volatile dev.gort.net.NetPoller poller; // cached once the program used the network

            @Override
            public long lastPollNanos() {
                dev.gort.net.NetPoller p = poller;
                if (p == null) {
                    p = dev.gort.net.NetPoller.installed(s);
                    if (p == null) {
                        return 0; // nobody waits on the network: nothing to poll
                    }
                    poller = p;
                }
                return p.lastPollNanos();
            }

            @Override
            public int pollAndInject() {
                return s.injectNetpoll();
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
            public long releaseDownTo(long targetBytes, long maxBytes) {
                // The paced retain work asks 64 KiB at a time: pending manual frees are folded by
                // the unbounded passes (memory limit) and the age pass, not on every quantum.
                return maxBytes == Long.MAX_VALUE ? heap.scavengeToRetain(targetBytes) : heap.scavengeToRetain(targetBytes, maxBytes);
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
