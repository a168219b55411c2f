package dev.gort;

import dev.gort.arena.Heap;
import dev.gort.arena.MemStats;
import dev.gort.sched.P;
import dev.gort.sched.Scheduler;
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

            /**
             * Local run queue or global queue non-empty. The runnext slot is not visible through
             * the scheduler's public API (P.runqsize excludes it), so a G waiting only there is
             * missed; sysmon then retakes after syscallRetake (10 ms) instead of after one round.
             */
            @Override
            public boolean hasLocalWork(int p) {
                P pp = s.p(p);
                return pp.runqsize() > 0 || s.globalRunqueueSize() > 0;
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
