package dev.gort.gc;

import dev.gort.sched.Go;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Under the scheduler, sweep termination's and mark termination's stops hand their stopped steps
 * to the M that stops the last P ({@code Scheduler.stopTheWorldAndRun};
 * {@code -Dgort.gc.sweepterm.handoff}, {@code -Dgort.gc.markdone.handoff}): with a goroutine
 * running at the request, that goroutine's M runs them, not the coordinator; the cycles and the
 * goroutine go on.
 */
@Timeout(180)
class SchedStopHandOffTest {
    private final boolean defaultHandOff = Coordinator.handOffForNewCollectors;
    private final boolean defaultSweepTermHandOff = Coordinator.sweepTermHandOffForNewCollectors;

    @AfterEach
    void restore() {
        Coordinator.handOffForNewCollectors = defaultHandOff;
        Coordinator.sweepTermHandOffForNewCollectors = defaultSweepTermHandOff;
    }

    /**
     * Forced cycles before a test gives up on seeing a handed-off step. A stop hands its steps to
     * the M that stops the last P only when that P was running; when it was idle, in a syscall or
     * handed to an M not yet on a CPU (taken by the stop's timed pass since session 21) the
     * stopper runs them. 20 cycles saw none in one CI run under checkmark (each cycle ~3 ms here).
     */
    private static final int MAX_CYCLES = 100;

    /** What cyclesBesideAPoller saw: the thread other than the coordinator that ran the steps (null: none), and how the cycles went. */
    record Outcome(Thread other, String seen) {
    }

    private static Outcome cyclesBesideAPoller(Collector gc) {
        return cyclesBesideAPoller(gc, () -> gc.coordinator.markTerminationRanOn);
    }

    /**
     * Runs cycles with a goroutine that polls and allocates beside the main one (which waits in
     * gc(), a syscall: its P is taken at the request), until the steps {@code ranOn} names ran on a
     * thread other than the coordinator or MAX_CYCLES cycles passed. The outcome's description
     * (printed, and in failure messages) counts the gc() calls the poller allocated during, how the
     * scheduler's last stop after each gc() ended (usually that cycle's mark termination; a cycle
     * the poller's allocations started may come after it) and the poller's assist parks: a poller
     * parked in an assist (woken at the mark's end: 2-3 parks a run at load 40), idle, in a syscall
     * or on a P handed to an M not yet on a CPU at the request leaves the steps to the coordinator.
     */
    private static Outcome cyclesBesideAPoller(Collector gc, java.util.function.Supplier<Thread> ranOn) {
        AllocatingPoller poller = AllocatingPoller.start(gc);
        AtomicLong progress = poller.progress;
        Thread other = null;
        // For a failure's message: how each cycle's last stop ended, and in how many the poller ran.
        java.util.Map<String, Integer> stops = new java.util.TreeMap<>();
        int cycles = 0;
        int pollerRan = 0;
        long cyclesBefore = gc.cycles();
        AssistWaitStats assistsBefore = gc.assistWaitStats();
        try {
            for (int i = 0; i < MAX_CYCLES && other == null; i++) {
                long p0 = progress.get();
                gc.gc();
                cycles++;
                if (progress.get() != p0) {
                    pollerRan++;
                }
                Thread ran = ranOn.get();
                if (ran != gc.coordinator.thread) {
                    other = ran;
                }
                stops.merge(lastStopKind(Go.scheduler().describeLastStop()), 1, Integer::sum);
            }
            gc.gc();
            poller.awaitProgress(1000);     // the poller runs on after the handed-off cycles
        } finally {
            poller.stop();
        }
        GcStats.Snapshot st = gc.gcStats();
        String seen = cycles + " gc() calls, the poller allocated during " + pollerRan + " of them; " + (gc.cycles() - cyclesBefore)
                + " cycles ended (" + st.numForcedGC() + " of " + st.numGC() + " forced since the start); last stops: " + stops
                + "; stops handed off: " + Go.scheduler().stopsHandedOff() + "; assist parks " + (gc.assistWaitStats().parks()
                - assistsBefore.parks()) + ", woken at a mark's end " + (gc.assistWaitStats().wokenAtMarkEnd() - assistsBefore.wokenAtMarkEnd());
        System.out.println("SchedStopHandOffTest: " + (other == null ? "no thread but the coordinator" : other.getName())
                + " ran the steps; " + seen);
        return new Outcome(other, seen);
    }

    /** describeLastStop's first two clauses with the times left out ("no P had to stop; stopper saw it ... at once", ...). */
    private static String lastStopKind(String described) {
        String[] parts = described.split("; ", 3);
        String kind = parts[0].startsWith("last P stopped") ? "a P had to stop" : parts[0];
        String by = parts.length < 2 ? "" : parts[1].contains("(hand-off)") ? "an M ran the steps" : "the stopper ran them";
        return kind + ", " + by;
    }

    @Test
    void theMThatStopsTheLastPRunsMarkTerminationsSteps() {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Outcome ran = cyclesBesideAPoller(gc);
            assertNotNull(ran.other(), "a mark termination's steps ran on another thread than the coordinator in " + MAX_CYCLES
                    + " cycles: " + ran.seen());
            assertTrue(ran.other().getName().startsWith("gort-M"), "on an M of the scheduler: " + ran.other().getName());
            // The poller's allocations may have started a cycle of the heap trigger (GOGC=100) that
            // still runs (seen: "3 cycles ended, 2 forced", phase MARK); the poller has returned and
            // nothing else allocates, so once idle no cycle starts again.
            gc.awaitIdle(60_000);
            assertEquals(Collector.OFF, gc.phase, "phase after the cycles: " + ran.seen());
            assertFalse(WriteBarrier.enabled);
        });
    }

    /**
     * The hand-off made deterministic (the "no hand-off in 100 cycles" failure of sessions 24 and
     * 25 came from cycles where no P was running at the request): the coordinator is held at
     * BEFORE_MARK_TERMINATION (marking drained, world running) until a goroutine that only polls
     * (no allocation: no assist park, no cycle of its own) has been seen running; main then waits
     * in a blocking call and, before it resumes the coordinator, waits there until the poller has
     * run on with main off its P and main's P has been retaken from the call (idle). At mark
     * termination's stop request the poller's P is then the one P running, whichever CPU its M
     * waits for, so that M stops the last P and must run the steps, in this cycle and on a loaded
     * machine alike.
     *
     * <p>Seeing the poller run beside main is not enough (session 27, handoff27): in 14 of 20 runs
     * the poller made no poll from main's block to the resume and its first came 0.2-7.5 ms after
     * the resume, the two goroutines having shared one P (each yield to the global queue at a stop's
     * or a forEachP round's preemption, the other P idle: nothing wakes an M for a yield) until the
     * scheduler's retaker handed main's P off from its syscall (1 ms with work queued). The test
     * passed only when the coordinator's way from the resume to its stop took longer than that; in
     * 4 of 79 class runs it did not, every P was idle or in the call at the request and the
     * coordinator ran the steps. Main's P still in the call could likewise be handed to a second
     * M while the poller yields at the ragged flush's round, and that M take the poller off its P.
     *
     * <p>Main's P idle at the resume is not idle at the request either (session 34): the ragged
     * flush's round after the resume preempts the poller, whose yield to the global queue wakes an
     * M for the idle P (Go's goschedImpl). On a loaded machine that M had often not run by the
     * request; the poller's M then stopped its own P, not the last, and the stopper's timed pass
     * stopped the handed P and ran the steps (32 of 2400 repeats on lead34 under checkmark, load 6-17:
     * "last P stopped at 0.267 ms; stopper saw it at 0.268 ms, woken; held at the last of 1 timed
     * passes by P0: no M, P status 0"). The scheduler now has the poller's M stop such a handed P
     * at its safepoint and claim the steps ({@code WorldStop.gcstopm}; StopAndRunTest).
     */
    @Test
    void aGoroutineRunningAtTheRequestRunsMarkTerminationsSteps() {
        ForcedMode.assumeConcurrentMark("the breakpoint before mark termination needs a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            AtomicBoolean quit = new AtomicBoolean();
            AtomicBoolean ended = new AtomicBoolean();
            AtomicLong polls = new AtomicLong();
            Go.go(() -> {
                try {
                    while (!quit.get()) {
                        polls.incrementAndGet();
                        Go.poll();
                    }
                } finally {
                    ended.set(true);
                }
            });
            try {
                awaitPolls(polls, 1000, "before the cycle");
                gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, 60_000);
                awaitPolls(polls, 1000, "with the coordinator at the breakpoint");
                long cycles = gc.cycles();
                // Each pause from the resume on, described by the coordinator right after its restart
                // (the stop's own figures: the scheduler's last stop, read after the cycle, is
                // usually a stop-path warm-up's that came after it; session 33).
                java.util.List<String> pauses = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
                gc.setPauseBreakdownListener(p -> pauses.add(p.kind().label() + " " + p.stopDetail()));
                long guard = System.nanoTime() + 60_000_000_000L;      // a hang guard only
                long[] blocked = new long[3];       // the wait below (us), the polls in it, 1 if it ended with one P busy
                gc.world.runBlocking(gc.world.current(), () -> {
                    long t0 = System.nanoTime();
                    long p0 = polls.get();
                    // Main holds no P from here on: the poller must now run on a P of its own, and main's
                    // P leave its call and reach the idle list, so that at the request the poller's P is
                    // the one P to stop (see onlyOnePIsBusy).
                    while ((polls.get() < p0 + 1000 || !onlyOnePIsBusy()) && System.nanoTime() < guard) {
                        java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                    }
                    blocked[0] = (System.nanoTime() - t0) / 1000;
                    blocked[1] = polls.get() - p0;
                    blocked[2] = onlyOnePIsBusy() ? 1 : 0;
                    System.out.println("SchedStopHandOffTest: with main blocked, the poller ran " + blocked[1] + " polls and main's P reached"
                            + " the idle list in " + blocked[0] + " us; resuming the coordinator");
                    gc.resume();
                    while (gc.cycles() == cycles && System.nanoTime() < guard) {
                        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    }
                });
                assertTrue(blocked[1] >= 1000 && blocked[2] == 1, "the poller did not run on alone with main blocked, or main's P "
                        + "did not reach the idle list, in 60 s: " + blocked[1] + " polls in " + blocked[0] + " us");
                assertTrue(gc.cycles() > cycles, "the cycle did not end within 60 s of the resume");
                Thread ran = gc.coordinator.markTerminationRanOn;
                assertNotSame(gc.coordinator.thread, ran, "mark termination's steps ran on the coordinator with a goroutine running at "
                        + "the request (" + blocked[1] + " polls in the " + blocked[0] + " us main waited blocked before the resume); "
                        + "the cycle's pauses from the resume on, each as its stop ended: " + pauses);
                assertTrue(ran.getName().startsWith("gort-M"), "on an M of the scheduler: " + ran.getName());
                awaitPolls(polls, 1000, "after the handed-off mark termination");
            } finally {
                gc.setPauseBreakdownListener(null);
                quit.set(true);
            }
            while (!ended.get()) {
                Go.poll();
                Thread.onSpinWait();
            }
        });
    }

    /**
     * Whether every P of the current scheduler but one is on the idle list (the one: the poller's,
     * with main blocked). Main's P out of its call is not enough (session 33, flake33): the retaker
     * hands a P in a syscall to a new spinning M at once when no P is idle and no M spins, and that
     * M, late for a CPU on a loaded machine, may not have run when the request comes. The request
     * then counts that P as running; the poller's M stops its own P first (not the last, so no claim),
     * the stopper's timed pass takes the handed P from the late M, and the stopper runs the steps
     * ("last P stopped at 1.137 ms; stopper saw it at 1.164 ms, woken", CI under checkmark). An idle
     * P stays idle until something is readied, and only the poller runs (it only polls).
     */
    static boolean onlyOnePIsBusy() {
        dev.gort.sched.Scheduler s = Go.scheduler();
        return !aPIsInASyscall() && s.idleProcs() == s.gomaxprocs() - 1;
    }

    /** Whether a P of the current scheduler is in a syscall (PStatus.SYSCALL: its M in a blocking call, the P not yet retaken). */
    static boolean aPIsInASyscall() {
        dev.gort.sched.Scheduler s = Go.scheduler();
        for (int i = 0; i < s.gomaxprocs(); i++) {
            if (s.p(i).status() == dev.gort.sched.PStatus.SYSCALL) {
                return true;
            }
        }
        return false;
    }

    /** Main polls until {@code polls} grew by {@code by} (the poller ran), with a 60 s hang guard. */
    static void awaitPolls(AtomicLong polls, long by, String when) {
        long p0 = polls.get();
        long guard = System.nanoTime() + 60_000_000_000L;
        while (polls.get() < p0 + by && System.nanoTime() < guard) {
            Go.poll();
            Thread.onSpinWait();
        }
        assertTrue(polls.get() >= p0 + by, "the poller did not run " + when + " (" + (polls.get() - p0) + " polls in 60 s)");
    }

    @Test
    void withTheHandOffOffTheCoordinatorRunsThem() {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = false;
        Coordinator.sweepTermHandOffForNewCollectors = false;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Outcome ran = cyclesBesideAPoller(gc);
            assertNull(ran.other(), "every mark termination ran on the coordinator: " + ran.seen());
        });
    }

    @Test
    void theMThatStopsTheLastPRunsSweepTerminationsStepsAndRestart() {
        ForcedMode.assumeConcurrentMark("sweep termination's steps stay on the coordinator when the world stays stopped for the mark");
        Coordinator.sweepTermHandOffForNewCollectors = true;
        Coordinator.handOffForNewCollectors = false;      // this hand-off alone
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Outcome ran = cyclesBesideAPoller(gc, () -> gc.coordinator.sweepTerminationRanOn);
            assertNotNull(ran.other(), "a sweep termination's steps ran on another thread than the coordinator in " + MAX_CYCLES
                    + " cycles: " + ran.seen());
            assertTrue(ran.other().getName().startsWith("gort-M"), "on an M of the scheduler: " + ran.other().getName());
            assertSame(gc.coordinator.thread, gc.coordinator.markTerminationRanOn, "mark termination's stay on the coordinator");
        });
    }

    @Test
    void withTheSweepTerminationHandOffOffTheCoordinatorRunsThem() {
        ForcedMode.assumeConcurrentMark("as above");
        Coordinator.sweepTermHandOffForNewCollectors = false;
        Coordinator.handOffForNewCollectors = false;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            Outcome ran = cyclesBesideAPoller(gc, () -> gc.coordinator.sweepTerminationRanOn);
            assertNull(ran.other(), "every sweep termination ran on the coordinator: " + ran.seen());
        });
    }

    @Test
    void aBadSweepTerminationPropertyValueIsRefusedWithAWarningAndTheDefaultKept() {
        String old = System.getProperty("gort.gc.sweepterm.handoff");
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try {
            System.setProperty("gort.gc.sweepterm.handoff", "sometimes");
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            assertTrue(Coordinator.sweepTermHandOffProperty(), "the default (on) is kept");
            System.setProperty("gort.gc.sweepterm.handoff", "false");
            assertFalse(Coordinator.sweepTermHandOffProperty());
        } finally {
            System.setErr(oldErr);
            if (old == null) {
                System.clearProperty("gort.gc.sweepterm.handoff");
            } else {
                System.setProperty("gort.gc.sweepterm.handoff", old);
            }
        }
        String warning = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(warning.contains("-Dgort.gc.sweepterm.handoff=sometimes is not valid; accepted: true or false"), warning);
    }

    /** gccheckmark's re-mark and its wait for the workers run inside the handed-off steps too. */
    @Test
    void checkmarkRunsInTheHandedOffSteps() {
        ForcedMode.assumeConcurrentMark("mark termination's own stop comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT.withDebug(false, true, false, 0, 0), gc -> {
            long before = gc.coordinator.completion.checkmarkCycles;
            Outcome ran = cyclesBesideAPoller(gc);
            assertNotNull(ran.other(), "a mark termination's steps ran on another thread than the coordinator in " + MAX_CYCLES
                    + " cycles: " + ran.seen());
            assertTrue(gc.coordinator.completion.checkmarkCycles > before, "checkmark ran");
        });
    }
}
