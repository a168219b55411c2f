package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.CpuClock;
import dev.gort.sys.PosixOsMemory;
import dev.gort.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code -Dgort.gc.pausetrace.cpu=true} (PauseTimer.STEP_CPU, a static final read at class load:
 * hence a child JVM) records each pause step's CPU as differences of one thread's CPU clock. A mark
 * termination handed to a mutator (StopHandOff) begins its timer on the coordinator and ends the
 * "stop" step on the mutator: before 312f737 that step recorded the mutator's clock minus the
 * coordinator's, a figure of neither thread (hundreds of milliseconds, or negative). It now records
 * none; a stop begun and ended on one thread still records that thread's CPU.
 */
class PauseTimerStepCpuTest {

    @Test
    void aStopEndedOnAnotherThreadRecordsNoCpuAndEveryStepsCpuFitsItsWallTime() throws Exception {
        ChildJvm.Result r = ChildJvm.run(Child.class, List.of("-Dgort.gc.pausetrace.cpu=true"), Map.of());
        String out = r.toString();
        assertEquals(0, r.exitCode(), out);
        assertTrue(r.stdout().contains("step cpu on: true"), out);
        // The timer alone: begun on a thread that burned 200 ms of CPU, stopped on a fresh one.
        assertTrue(r.stdout().contains("timer across threads: stop cpu 0 ns"), out);
        assertTrue(r.stdout().contains("timer on one thread: stop cpu within [10 ms, its wall]: true"), out);
        assertTrue(r.stdout().contains("timer across threads: steps within [0, wall]: true"), out);
        if (ForcedMode.concurrentMark()) {     // no mark termination of its own to hand off otherwise
            assertTrue(r.stdout().contains("handed-off mark terminations: 3 of 3"), out);
            assertFalse(r.stdout().contains("BAD "), out);
        }
    }

    /** What {@link #burn} computed, kept so the JIT cannot drop its loop. */
    static volatile long sink;

    /** Spins until this thread's CPU clock has moved by {@code nanos}. */
    static void burn(long nanos) {
        long until = CpuClock.threadCpuNanos() + nanos;
        long x = 0;
        while (CpuClock.threadCpuNanos() < until) {
            for (int i = 0; i < 10_000; i++) {
                x = x * 31 + i;
            }
        }
        sink = x;
    }

    /** Judged by the parent: "BAD " starts a line naming a step whose CPU does not fit. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            System.out.println("step cpu on: " + PauseTimer.STEP_CPU);
            timerAlone();
            if (ForcedMode.concurrentMark()) {
                handedOff();
            }
            System.out.flush();
            System.exit(0);
        }

        /** Begin on one thread, stop and step on another (the hand-off's order), end on the first. */
        private static void timerAlone() throws Exception {
            PauseTimer across = new PauseTimer();
            AtomicReference<StwPause> done = new AtomicReference<>();
            Thread stopper = Thread.ofPlatform().name("stopper").start(() -> {
                burn(200_000_000L);             // its clock well ahead of the claimant's
                across.begin();
                Thread claimant = Thread.ofPlatform().name("claimant").start(() -> {
                    across.stopped();
                    across.step("work");
                    across.restarted();
                });
                try {
                    claimant.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                done.set(across.end(1, StwPause.Kind.MARK_TERMINATION, System.nanoTime()));
            });
            stopper.join();
            StwPause p = done.get();
            System.out.println("timer across threads: stop cpu " + stepCpu(p, "stop") + " ns");
            System.out.println("timer across threads: steps within [0, wall]: " + stepsFit(p));

            PauseTimer one = new PauseTimer();
            one.begin();
            burn(20_000_000L);
            one.stopped();
            StwPause q = one.end(2, StwPause.Kind.SWEEP_TERMINATION);
            long cpu = stepCpu(q, "stop");
            System.out.println("timer on one thread: stop cpu within [10 ms, its wall]: "
                    + (cpu >= 10_000_000L && cpu <= q.stepNanos("stop") + 1_000_000L) + " (" + q + ")");
        }

        /**
         * Three mark terminations handed to a polling mutator: the coordinator is held in its stop
         * wait (as MarkDoneHandOffTest does) until the mutator has counted on, so the steps are the
         * mutator's whatever the machine's load. The mutator spins throughout: its CPU clock and
         * the coordinator's are far apart, as in binary-trees.
         */
        private static void handedOff() throws Exception {
            Coordinator.handOffForNewCollectors = true;
            Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
            Collector gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
            ThreadWorld world = gc.threadWorld();
            PollingMutator mutator = PollingMutator.start(world);
            List<StwPause> pauses = new ArrayList<>();
            gc.setPauseBreakdownListener(p -> {
                synchronized (pauses) {
                    pauses.add(p);
                }
            });
            gc.gc();
            int handed = 0;
            for (int i = 0; i < 3; i++) {
                holdTheCoordinatorInItsStop(gc, world, mutator);
                synchronized (pauses) {
                    pauses.clear();
                }
                gc.gc();
                boolean onMutator = gc.coordinator.markTerminationRanOn != gc.coordinator.thread;
                synchronized (pauses) {
                    for (StwPause p : pauses) {
                        if (!stepsFit(p)) {
                            System.out.println("BAD step outside [0, wall]: " + p);
                        }
                        if (onMutator && p.kind() == StwPause.Kind.MARK_TERMINATION) {
                            handed++;
                            if (stepCpu(p, "stop") != 0) {
                                System.out.println("BAD handed-off stop records cpu: " + p);
                            }
                        }
                    }
                }
            }
            world.stopWaitHookForTest = null;
            System.out.println("handed-off mark terminations: " + handed + " of 3");
            mutator.stopAndCheck();
            gc.close();
            heap.close();
        }

        private static void holdTheCoordinatorInItsStop(Collector gc, ThreadWorld world, PollingMutator mutator) {
            java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
            world.stopWaitHookForTest = () -> {
                if (gc.phase != Collector.MARK || !armed.getAndSet(false)) {
                    return;
                }
                long before = mutator.progress();
                long deadline = System.nanoTime() + 60_000_000_000L;   // a starved machine: the mutator needs a CPU
                while (mutator.progress() < before + 100 && System.nanoTime() - deadline < 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            };
        }

        private static long stepCpu(StwPause p, String name) {
            for (StwPause.Step s : p.steps()) {
                if (s.name().equals(name)) {
                    return s.cpuNanos();
                }
            }
            throw new IllegalStateException("no step " + name + " in " + p);
        }

        /** Every step's CPU is one thread's, inside the step: not negative, not above its wall time (1 ms of slack). */
        private static boolean stepsFit(StwPause p) {
            for (StwPause.Step s : p.steps()) {
                if (s.cpuNanos() < 0 || s.cpuNanos() > s.nanos() + 1_000_000L) {
                    return false;
                }
            }
            return true;
        }
    }
}
