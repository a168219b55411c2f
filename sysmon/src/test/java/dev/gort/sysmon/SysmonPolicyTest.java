package dev.gort.sysmon;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gort.sysmon.SysmonConfig.MICROS;
import static dev.gort.sysmon.SysmonConfig.MILLIS;
import static org.junit.jupiter.api.Assertions.*;

/** sysmon's decisions, round by round, with an injected clock and a model P table. */
class SysmonPolicyTest {
    long now = 1_000_000_000L;
    final ByteArrayOutputStream traceBytes = new ByteArrayOutputStream();
    final PrintStream trace = new PrintStream(traceBytes, true, StandardCharsets.UTF_8);

    Sysmon sysmon(SysmonConfig c, SchedulerPort s, GcPort gc, ScavengerPort sc, NetpollPort np) {
        return new Sysmon(c, () -> now, s, gc, sc, np, () -> Long.MAX_VALUE, trace);
    }

    @Test
    void sleepStartsAt20usAndDoublesAfter50IdleRoundsUpTo10ms() {
        ModelScheduler m = new ModelScheduler(1);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        for (int i = 0; i <= 50; i++) {
            assertEquals(20 * MICROS, s.nextDelayNanos(), "round " + i);
            s.round(now += 20 * MICROS);
        }
        long expected = 20 * MICROS;
        for (int i = 0; i < 12; i++) {
            expected = Math.min(expected * 2, 10 * MILLIS);
            assertEquals(expected, s.nextDelayNanos(), "doubling step " + i);
            s.round(now += expected);
        }
        assertEquals(10 * MILLIS, s.nextDelayNanos(), "capped at 10 ms");
        s.wake();
        assertEquals(20 * MICROS, s.nextDelayNanos(), "wake() resets the sleep");
    }

    @Test
    void retakeResetsTheSleep() {
        ModelScheduler m = new ModelScheduler(1);
        m.status[0] = SchedulerPort.P_RUNNING;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        for (int i = 0; i < 60; i++) {
            s.nextDelayNanos();
            s.round(now += 20 * MICROS);
            m.schedTick[0]++;
        }
        assertTrue(s.nextDelayNanos() > 20 * MICROS);
        m.enterSyscall(0);
        m.localWork[0] = true;
        s.round(now += 20 * MICROS);
        assertEquals(1, s.round(now += 20 * MICROS));
        assertEquals(20 * MICROS, s.nextDelayNanos());
    }

    @Test
    void preemptsAGRunningLongerThanTheSlice() {
        ModelScheduler m = new ModelScheduler(2);
        m.status[0] = SchedulerPort.P_RUNNING;
        m.status[1] = SchedulerPort.P_RUNNING;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        s.round(now += 9 * MILLIS);
        assertEquals(List.of(), m.preempted, "9 ms: within the 10 ms slice");
        m.schedTick[1]++; // P1 rescheduled: its slice starts again
        s.round(now += 2 * MILLIS);
        assertEquals(List.of(0), m.preempted, "P0 ran 11 ms on one schedtick");
        s.round(now += 5 * MILLIS);
        assertEquals(List.of(0), m.preempted, "not asked again before another full slice");
        s.round(now += 6 * MILLIS);
        assertEquals(List.of(0, 0, 1), m.preempted);
        assertEquals(3, s.stats().preemptRequests());
    }

    /**
     * A request that found no G (the M between two goroutines of a runnext chain, which keeps one
     * schedtick) is asked again at the next round, not a whole slice later: restarting the slice
     * let such a chain starve the global queue for hundreds of ms (RunnextStarvationTest).
     */
    @Test
    void aPreemptThatFoundNoGIsAskedAgainNextRound() {
        ModelScheduler m = new ModelScheduler(1);
        m.status[0] = SchedulerPort.P_RUNNING;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        m.preemptFindsG = false;
        s.round(now += 11 * MILLIS);
        assertEquals(List.of(0), m.preempted, "asked once the slice was over");
        assertEquals(0, s.stats().preemptRequests(), "nothing was flagged");
        m.preemptFindsG = true;
        s.round(now += 20 * MICROS);
        assertEquals(List.of(0, 0), m.preempted, "asked again at the next round");
        assertEquals(1, s.stats().preemptRequests());
        s.round(now += 20 * MICROS);
        assertEquals(List.of(0, 0), m.preempted, "flagged: the slice restarts");
    }

    @Test
    void sliceTimedFromTheSchedulersRecordWhenKnown() {
        ModelScheduler m = new ModelScheduler(1);
        m.status[0] = SchedulerPort.P_RUNNING;
        m.schedTick[0] = 5;
        m.schedWhen[0] = now - 10 * MILLIS; // started 10 ms before sysmon first looks
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        assertEquals(List.of(0), m.preempted, "10 ms since the recorded start: preempted on first sight");
        m.schedTick[0]++;
        m.schedWhen[0] = now + 1 * MILLIS;
        s.round(now += 5 * MILLIS);
        s.round(now += 5 * MILLIS);
        assertEquals(List.of(0), m.preempted, "9 ms into the new slice");
        s.round(now += 1 * MILLIS);
        assertEquals(List.of(0, 0), m.preempted);
    }

    @Test
    void idlePsAreNeverPreempted() {
        ModelScheduler m = new ModelScheduler(1);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        for (int i = 0; i < 10; i++) {
            s.round(now += 50 * MILLIS);
        }
        assertTrue(m.preempted.isEmpty());
    }

    @Test
    void syscallWithWaitingWorkLosesItsPAfterOneTick() {
        ModelScheduler m = new ModelScheduler(1);
        m.enterSyscall(0);
        m.localWork[0] = true;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        assertEquals(0, s.round(now), "first sight: the syscall gets one sysmon tick");
        assertEquals(1, s.round(now += 20 * MICROS));
        assertEquals(List.of(0), m.retaken);
        assertEquals(1, s.stats().retakes());
    }

    @Test
    void shortSyscallKeepsItsPWhenNobodyNeedsIt() {
        ModelScheduler m = new ModelScheduler(2);
        m.enterSyscall(0);
        m.spinningOrIdle = true; // someone else could pick up new work; P0's queue is empty
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        s.round(now += 5 * MILLIS);
        assertTrue(m.retaken.isEmpty(), "5 ms, no local work, idle Ps exist: keep");
        s.round(now += 6 * MILLIS);
        assertEquals(List.of(0), m.retaken, "after 10 ms it is retaken anyway");
    }

    @Test
    void syscallWithNoIdleProcsIsRetakenAtOnce() {
        ModelScheduler m = new ModelScheduler(1);
        m.enterSyscall(0);
        m.spinningOrIdle = false;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        s.round(now += 20 * MICROS);
        assertEquals(List.of(0), m.retaken);
    }

    @Test
    void aSyscallThatReturnsIsNotRetakenAndANewOneWaitsAgain() {
        ModelScheduler m = new ModelScheduler(1);
        m.enterSyscall(0);
        m.localWork[0] = true;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        m.exitSyscall(0);
        m.enterSyscall(0); // a different syscall: syscalltick moved
        assertEquals(0, s.round(now += 20 * MICROS), "new syscall seen for the first time");
        m.syscallReturnsFirst = true;
        assertEquals(0, s.round(now += 20 * MICROS), "CAS lost to exitsyscall: nothing counted");
        assertEquals(0, s.stats().retakes());
    }

    /** A model with P0 in a syscall and someone spinning or idle (so "nobody idles" does not retake it). */
    static ModelScheduler inSyscallWithIdlePs(int procs) {
        ModelScheduler m = new ModelScheduler(procs);
        m.enterSyscall(0);
        m.spinningOrIdle = true;
        return m;
    }

    /**
     * Go's retake checks the slice of a P in a syscall too: a G looping on short syscalls keeps
     * one schedtick while its syscalltick moves between any two rounds, so "the same syscall
     * across a round" never holds. Once the slice is over, its G is flagged and the P goes to the
     * hand-off rules at once (Go's sysretake): with work waiting it is retaken.
     */
    @Test
    void aShortSyscallLoopsSliceEndsAndItsPIsHandedOffToWaitingWork() {
        ModelScheduler m = new ModelScheduler(1);
        m.enterSyscall(0);
        m.localWork[0] = true;
        m.spinningOrIdle = true;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        for (int i = 0; i < 9; i++) {
            assertEquals(0, s.round(now += MILLIS), "a new syscall at every round, " + (i + 1) + " ms into the slice");
            m.nextSyscall(0);
        }
        assertEquals(List.of(), m.preempted, "9 ms: within the slice");
        assertEquals(1, s.round(now += 2 * MILLIS), "11 ms on one schedtick, in a syscall with work waiting: retaken");
        assertEquals(List.of(0), m.preemptedInSyscall, "its G flagged in the call");
        assertEquals(List.of(0), m.retaken);
        assertEquals(1, s.stats().syscallPreempts());
        assertEquals(1, s.stats().preemptRequests(), "counted among the preemption requests too");
        assertEquals(1, s.stats().retakes());
    }

    /**
     * The slice over in a syscall, but nobody needs the P (no work, an idle P) and the syscall
     * sysmon last saw begin is younger than 10 ms: the G is flagged (it yields when the call
     * returns) and keeps its P, as Go's hand-off rules say; the slice restarts.
     */
    @Test
    void aSyscallLoopsSliceEndsWithNobodyWaitingFlagsTheGAndKeepsTheP() {
        ModelScheduler m = inSyscallWithIdlePs(2);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        for (int i = 0; i < 5; i++) {
            s.round(now += 2 * MILLIS);
            m.nextSyscall(0);
        }
        s.round(now += 2 * MILLIS);
        assertEquals(List.of(0), m.preemptedInSyscall, "10 ms on one schedtick");
        assertEquals(List.of(), m.retaken, "no work, an idle P, the last syscall seen 2 ms ago: kept");
        m.nextSyscall(0);
        s.round(now += 2 * MILLIS);
        assertEquals(List.of(0), m.preempted, "flagged: the slice restarts, not asked again every round");
        assertEquals(1, s.stats().syscallPreempts());
    }

    /** A syscall first seen after its G's slice is over is not given the one-round wait. */
    @Test
    void aSliceOverOnTheFirstSightOfASyscallGoesToTheHandOffRulesAtOnce() {
        ModelScheduler m = new ModelScheduler(1);
        m.status[0] = SchedulerPort.P_RUNNING;
        m.localWork[0] = true;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        m.enterSyscall(0);
        assertEquals(1, s.round(now += 11 * MILLIS), "first sight of this syscall, slice over: retaken at once");
        assertEquals(List.of(0), m.preemptedInSyscall);
    }

    /**
     * The slice over on the first sight of a syscall with nobody waiting (no local work, a P idle):
     * no syscall was recorded since the P last ran idle, so its age is old, as Go's pd.syscallwhen
     * is then (left from an earlier call): retaken. The old rounds aged it from that first sight
     * (0 ms) and kept the P.
     */
    @Test
    void aSliceOverOnTheFirstSightOfASyscallIsOldWhenNoCallWasRecorded() {
        ModelScheduler m = new ModelScheduler(2);
        m.status[0] = SchedulerPort.P_RUNNING;
        m.spinningOrIdle = true;
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        m.enterSyscall(0);
        m.preemptFindsG = true;
        assertEquals(1, s.round(now += 11 * MILLIS), "first sight of this syscall, slice over, no call recorded before: retaken");
        assertEquals(List.of(0), m.preemptedInSyscall);
    }

    /**
     * Every round asks the scheduler to wake an M for goroutines a failed startm left in the
     * global queue; a wake-up that throws (startm failing again) is reported like a failed duty and
     * the next round tries again.
     */
    @Test
    void everyRoundTriesTheWakeUpForGlobalWorkAndSurvivesItsFailure() {
        ModelScheduler m = new ModelScheduler(1);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now += 20 * MICROS);
        assertEquals(1, m.wakeChecks, "asked in the round");
        assertEquals(0, m.wakeups, "nothing stranded: no wake-up");
        m.globalWorkStranded = true;
        m.wakeFailure = new IllegalStateException("injected: startm failed again");
        s.round(now += 20 * MICROS);
        assertEquals(0, m.wakeups);
        assertEquals(1, s.stats().failures(), "the failed wake-up reported");
        assertTrue(traceBytes.toString(StandardCharsets.UTF_8).contains("wake-up failed"), traceBytes.toString(StandardCharsets.UTF_8));
        s.round(now += 20 * MICROS);
        assertEquals(1, m.wakeups, "the next round woke an M");
        assertEquals(3, m.wakeChecks);
    }

    /**
     * A wake-up whose startm ran out of Java heap making its M (an OutOfMemoryError) is a failed
     * attempt, not the end of sysmon: sysmon is the thread that retries it. Counted and reported as
     * any failed duty; the next round wakes the M. On lead30 the round rethrew the Error (every
     * Error but an AssertionError ended the thread).
     */
    @Test
    void anOutOfMemoryErrorFromTheWakeUpIsAFailedAttemptAndTheNextRoundRetries() {
        ModelScheduler m = new ModelScheduler(1);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        m.globalWorkStranded = true;
        m.wakeFailure = new OutOfMemoryError("injected: Java heap space (new M)");
        try {
            s.round(now += 20 * MICROS);
        } catch (OutOfMemoryError e) {
            fail("the round ended on the wake-up's OutOfMemoryError, which ends the sysmon thread: " + e);   // JUnit rethrows an OOME as is
        }
        assertEquals(0, m.wakeups);
        assertEquals(1, s.stats().failures(), "the failed wake-up counted");
        assertTrue(traceBytes.toString(StandardCharsets.UTF_8).contains("gort: sysmon: wake-up failed: java.lang.OutOfMemoryError"),
                traceBytes.toString(StandardCharsets.UTF_8));
        s.round(now += 20 * MICROS);
        assertEquals(1, m.wakeups, "the next round woke an M");
    }

    /** Any other Error from a duty is a bug: it still leaves the round (and ends the thread), counted and reported first. */
    @Test
    void anErrorThatIsNoResourceExhaustionStillEndsTheRound() {
        ModelScheduler m = new ModelScheduler(1);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        m.globalWorkStranded = true;
        m.wakeFailure = new InternalError("injected: a bug");
        InternalError e = assertThrows(InternalError.class, () -> s.round(now += 20 * MICROS));
        assertEquals("injected: a bug", e.getMessage());
        assertEquals(1, s.stats().failures());
        assertTrue(traceBytes.toString(StandardCharsets.UTF_8).contains("wake-up failed: java.lang.InternalError"),
                traceBytes.toString(StandardCharsets.UTF_8));
    }

    /** A flag that found no G in the syscall (the call just returned) is asked again next round, as for a running P. */
    @Test
    void aSyscallPreemptThatFoundNoGIsAskedAgainNextRound() {
        ModelScheduler m = inSyscallWithIdlePs(2);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        m.preemptFindsG = false;
        m.nextSyscall(0);
        s.round(now += 11 * MILLIS);
        assertEquals(0, s.stats().syscallPreempts(), "nothing flagged");
        m.preemptFindsG = true;
        m.nextSyscall(0);
        s.round(now += 20 * MICROS);
        assertEquals(List.of(0), m.preemptedInSyscall, "asked again at the next round");
        assertEquals(1, s.stats().syscallPreempts());
    }

    /** sysmon wakes at the end of the earliest slice, a G's in a syscall included. */
    @Test
    void theWakeUpAtTheSliceEndCountsAPInASyscall() {
        ModelScheduler m = inSyscallWithIdlePs(2);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        long t0 = now;
        s.round(now);
        assertEquals(t0 + 10 * MILLIS, s.preemptDeadline(), "P0's slice, begun in a syscall, ends 10 ms after sysmon first saw it");
        m.status[0] = SchedulerPort.P_IDLE;
        s.round(now += MILLIS);
        assertEquals(Long.MAX_VALUE, s.preemptDeadline(), "an idle P has no slice");
    }

    /** A P that leaves its syscall and runs on is still timed on its slice; the syscall's bookkeeping is kept for its next call. */
    @Test
    void aRunningPAfterSyscallsIsPreemptedAsBefore() {
        ModelScheduler m = inSyscallWithIdlePs(1);
        Sysmon s = sysmon(SysmonConfig.defaults(), m, null, null, null);
        s.round(now);
        m.exitSyscall(0);
        s.round(now += 5 * MILLIS);
        assertEquals(List.of(), m.preempted);
        s.round(now += 6 * MILLIS);
        assertEquals(List.of(0), m.preempted, "11 ms on one schedtick, running now");
        assertEquals(0, s.stats().syscallPreempts(), "caught running, not in a syscall");
    }

    @Test
    void forcedGcAfterThePeriodUnlessOff() {
        ModelScheduler m = new ModelScheduler(1);
        ModelGc gc = new ModelGc();
        SysmonConfig c = SysmonConfig.defaults().withForceGcPeriod(100 * MILLIS);
        Sysmon s = sysmon(c, m, gc, null, null);
        s.round(now += 50 * MILLIS);
        assertEquals(0, gc.requests);
        s.round(now += 51 * MILLIS);
        assertEquals(1, gc.requests, "no GC for 101 ms > 100 ms period");
        s.round(now += 10 * MILLIS);
        assertEquals(1, gc.requests, "not again right away even though the cycle has not finished");
        gc.finish(now);
        s.round(now += 99 * MILLIS);
        assertEquals(1, gc.requests);
        s.round(now += 2 * MILLIS);
        assertEquals(2, gc.requests);
        assertEquals(2, s.stats().forcedGcs());
        gc.enabled = false;
        s.round(now += 1000 * MILLIS);
        assertEquals(2, gc.requests, "GOGC=off: never forced");
    }

    /**
     * review29's finding 2: a forced request that the collector accepted and then dropped before
     * its start (GOGC turned off meanwhile, or a cycle ended after it) is no forced GC. On lead30
     * sysmon counted (and sent the JFR event for) every accepted request.
     */
    @Test
    void aForcedRequestDroppedBeforeItsStartIsNotCounted() {
        ModelScheduler m = new ModelScheduler(1);
        ModelGc gc = new ModelGc();
        Sysmon s = sysmon(SysmonConfig.defaults().withForceGcPeriod(100 * MILLIS), m, gc, null, null);
        gc.dropNext = true;
        s.round(now += 101 * MILLIS);
        assertEquals(1, gc.requests, "asked after the period");
        s.round(now += 20 * MICROS);
        assertEquals(0, s.stats().forcedGcs(), "the request was dropped before a cycle started: no forced GC");
        s.round(now += 101 * MILLIS);
        assertEquals(2, gc.requests, "asked again a period after the dropped request");
        assertEquals(1, s.stats().forcedGcs(), "this one started");
    }

    @Test
    void forcedGcPeriodOff() {
        ModelGc gc = new ModelGc();
        Sysmon s = sysmon(SysmonConfig.defaults().withForceGcPeriod(SysmonConfig.OFF), new ModelScheduler(1), gc, null, null);
        s.round(now += 1_000_000 * MILLIS);
        assertEquals(0, gc.requests);
    }

    @Test
    void netpollWhenNobodyPolledFor10ms() {
        ModelNetpoll np = new ModelNetpoll();
        np.lastPoll = now;
        Sysmon s = sysmon(SysmonConfig.defaults(), new ModelScheduler(1), null, null, np);
        s.round(now += 9 * MILLIS);
        assertEquals(0, np.polls);
        s.round(now += 2 * MILLIS);
        assertEquals(1, np.polls);
        assertEquals(3, s.stats().netpollInjected());
        np.lastPoll = 0;
        s.round(now += 100 * MILLIS);
        assertEquals(1, np.polls, "a poller never initialised is not polled");
    }

    @Test
    void scavengerAgePassEveryPeriodWithTrace() {
        ModelScavenger sc = new ModelScavenger();
        SysmonConfig c = SysmonConfig.defaults().withScavenge(100 * MILLIS, 300 * MILLIS, 10).withScavtrace(true);
        Sysmon s = sysmon(c, new ModelScheduler(1), null, sc, null);
        s.round(now += 99 * MILLIS);
        assertEquals(0, sc.idlePasses);
        s.round(now += 1 * MILLIS);
        assertEquals(1, sc.idlePasses);
        assertEquals(300 * MILLIS, sc.lastIdleAsked);
        assertEquals(1, s.stats().scavengePasses());
        assertEquals(8L << 20, s.stats().scavengedBytes());
        assertEquals("scav 8192 KiB work (bg), 0 KiB work (eager), 8192 KiB now, 50% util\n", traceBytes.toString(StandardCharsets.UTF_8));
    }

    /** A sysmon with only the retain policy on (no age pass, no forced GC), one P. */
    Sysmon retainOnly(ModelScavenger sc, ModelGc gc) {
        SysmonConfig c = SysmonConfig.defaults().withScavenge(SysmonConfig.OFF, 300 * MILLIS, 10).withForceGcPeriod(SysmonConfig.OFF);
        return sysmon(c, new ModelScheduler(1), gc, sc, null);
    }

    @Test
    void retainTargetAfterEachGcCycle() {
        ModelScavenger sc = new ModelScavenger();
        ModelGc gc = new ModelGc();
        Sysmon s = retainOnly(sc, gc);
        sc.retained = 100L << 20;
        gc.goal = 50L << 20;
        s.round(now += MILLIS);
        assertEquals(-1, sc.downToAsked, "no new cycle: no retain pass");
        gc.finish(now);
        s.round(now += MILLIS);
        assertEquals(55L << 20, sc.downToAsked, "heap goal + 10 %");
        assertEquals(55L << 20, sc.retained);
    }

    /**
     * rss26's (1): the retain pass looked once, right after mark termination, when the cycle's dead
     * spans were still unswept. Now the paced work keeps looking while the retained heap is above
     * the target, so what the sweep frees later is released without another cycle.
     */
    @Test
    void retainWorkReleasesWhatTheSweepFreesAfterTheCycle() {
        ModelScavenger sc = new ModelScavenger();
        ModelGc gc = new ModelGc();
        Sysmon s = retainOnly(sc, gc);
        sc.retained = 100L << 20;
        sc.freeable = 0;            // mark termination: nothing swept yet
        gc.goal = 50L << 20;
        gc.finish(now);
        s.round(now += MILLIS);
        assertEquals(55L << 20, sc.downToAsked, "the cycle's target is looked at at once");
        assertEquals(100L << 20, sc.retained, "nothing was free yet");
        sc.freeable = 60L << 20;    // the sweep frees the dead spans
        for (int i = 0; i < 200; i++) {
            s.round(now += MILLIS);
        }
        assertEquals(55L << 20, sc.retained, "released down to heap goal + 10 % without a new cycle");
        assertEquals(45L << 20, s.stats().scavengedBytes());
    }

    /**
     * Go's bgscavenge pacing: a batch is 64 KiB requests for at least 1 ms, then a wait that keeps
     * the work at 1 % of GOMAXPROCS CPUs (worked x 99 with one P).
     */
    @Test
    void retainWorkIsPacedAtOnePercentOfTheCpus() {
        ModelScavenger sc = new ModelScavenger();
        ModelGc gc = new ModelGc();
        Sysmon s = retainOnly(sc, gc);
        sc.retained = 100L << 20;
        sc.freeable = 0;            // the cycle's end: nothing swept yet
        sc.callNanos = 100 * MICROS;
        gc.goal = 50L << 20;
        gc.finish(now);
        s.round(now += MILLIS);
        assertEquals(2, sc.downToCalls, "the unpaced pass at the cycle's end and one paced request, both empty");
        sc.freeable = 60L << 20;    // the sweep frees
        roundsFor98ms(s);
        assertEquals(2, sc.downToCalls, "an empty batch counts as 1 ms of work: no work during the 99 ms wait");
        s.round(now += 2 * MILLIS);
        assertEquals(12, sc.downToCalls, "1 ms of work in 100 us requests");
        assertEquals(10L * (64 << 10), s.stats().scavengedBytes(), "64 KiB per request");
        roundsFor98ms(s);
        assertEquals(12, sc.downToCalls, "no work during the 99 ms wait");
        s.round(now += 2 * MILLIS);
        assertEquals(22, sc.downToCalls, "the next batch after it");
        assertEquals(2, s.stats().scavengePasses());
    }

    /** Rounds every millisecond for 98 ms: inside the 99 ms wait after a 1 ms batch with one P. */
    void roundsFor98ms(Sysmon s) {
        long from = now;
        while (now < from + 98 * MILLIS) {
            s.round(now += MILLIS);
        }
    }

    @Test
    void noRetainTargetWhenTheGoalIsInfinite() {
        ModelScavenger sc = new ModelScavenger();
        ModelGc gc = new ModelGc();
        Sysmon s = retainOnly(sc, gc);
        gc.goal = Long.MAX_VALUE - 5; // GOGC=off
        gc.finish(now);
        s.round(now += MILLIS);
        assertEquals(-1, sc.downToAsked, "no overflowing target, nothing released");
        assertEquals(0, s.stats().failures());
    }

    @Test
    void memoryLimitKeepsRetainedUnder95Percent() {
        ModelScavenger sc = new ModelScavenger();
        sc.retained = 200L << 20;
        long[] limit = {Long.MAX_VALUE};
        Sysmon s = new Sysmon(SysmonConfig.defaults(), () -> now, new ModelScheduler(1), null, sc, null, () -> limit[0], trace);
        s.round(now += MILLIS);
        assertEquals(-1, sc.downToAsked);
        limit[0] = 100L << 20;
        s.round(now += MILLIS);
        assertEquals((100L << 20) / 100 * 95, sc.downToAsked);
    }

    @Test
    void aThrowingDutyIsReportedAndTheOthersStillRun() {
        ModelScheduler m = new ModelScheduler(1) {
            @Override
            public int procCount() {
                throw new IllegalStateException("boom");
            }
        };
        ModelGc gc = new ModelGc();
        Sysmon s = sysmon(SysmonConfig.defaults().withForceGcPeriod(MILLIS), m, gc, null, null);
        s.round(now += 2 * MILLIS);
        assertEquals(1, gc.requests);
        assertEquals(1, s.stats().failures());
        assertTrue(traceBytes.toString(StandardCharsets.UTF_8).contains("gort: sysmon: retake failed: java.lang.IllegalStateException: boom"));
    }

    @Test
    void scavTraceFormat() {
        assertEquals("scav 1024 KiB work (bg), 2 KiB work (eager), 4096 KiB now, 25% util (forced)",
                ScavTrace.line(1 << 20, 2048, 4 << 20, 1 << 20, 4 << 20, true));
        assertEquals("scav 0 KiB work (bg), 0 KiB work (eager), 0 KiB now, 0% util", ScavTrace.line(0, 0, 0, 0, 0, false));
    }

    @Test
    void configValidation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SysmonConfig.defaults().withSleep(20 * MILLIS, 10 * MILLIS));
        assertEquals("sysmon min sleep (20000000 ns) is above its max sleep (10000000 ns); accepted: min sleep <= max sleep", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SysmonConfig.defaults().withForcePreempt(0));
    }

    static final class ModelGc implements GcPort {
        long last;
        long num;
        boolean running;
        boolean enabled = true;
        long goal;
        int requests;

        void finish(long at) {
            running = false;
            last = at;
            num++;
        }

        @Override
        public long lastGcNanos() {
            return last;
        }

        @Override
        public long numGc() {
            return num;
        }

        @Override
        public boolean enabled() {
            return enabled;
        }

        @Override
        public long heapGoal() {
            return goal;
        }

        /** Forced cycles the model started; with {@link #dropNext} the next accepted request is dropped before its start. */
        long started;
        boolean dropNext;

        @Override
        public boolean requestForcedGc() {
            if (running) {
                return false;
            }
            requests++;
            if (dropNext) {
                dropNext = false;       // accepted, then GOGC turned off before the start: the collector drops it
                return true;
            }
            running = true;
            started++;
            return true;
        }

        // No @Override: GcPort has this method only since session 30 (the test compiles against lead30's port too).
        public long forcedCyclesStarted() {
            return started;
        }
    }

    static final class ModelNetpoll implements NetpollPort {
        long lastPoll;
        int polls;

        @Override
        public long lastPollNanos() {
            return lastPoll;
        }

        @Override
        public int pollAndInject() {
            polls++;
            return 3;
        }
    }

    final class ModelScavenger implements ScavengerPort {
        int idlePasses;
        long lastIdleAsked;
        long downToAsked = -1;
        long retained = 16L << 20;
        long released;
        long inUse = 4L << 20;

        @Override
        public long releaseIdle(long nowNanos, long idleNanos) {
            idlePasses++;
            lastIdleAsked = idleNanos;
            retained -= 8L << 20;
            released += 8L << 20;
            return 8L << 20;
        }

        /** Bytes free and unreleased (what the sweep has freed so far); the rest of retained is in use. */
        long freeable = Long.MAX_VALUE;
        int downToCalls;
        /** Nanoseconds each releaseDownTo call advances the test's clock (the madvise's cost). */
        long callNanos;

        @Override
        public long releaseDownTo(long targetBytes, long maxBytes) {
            downToAsked = targetBytes;
            downToCalls++;
            now += callNanos;
            long quantum = 64L << 10;
            long max = maxBytes > Long.MAX_VALUE - quantum ? maxBytes : (maxBytes + quantum - 1) / quantum * quantum;
            long r = Math.min(Math.min(Math.max(0, retained - targetBytes), max), freeable);
            retained -= r;
            released += r;
            freeable -= r;
            return r;
        }

        @Override
        public long heapInUse() {
            return inUse;
        }

        @Override
        public long heapRetained() {
            return retained;
        }

        @Override
        public long heapReleased() {
            return released;
        }
    }

    /** Go's sysmon prints schedtrace: at the first round, then once the period has passed since the last line. */
    @Test
    void schedtraceLinesEveryPeriodFromTheRounds() {
        ModelScheduler m = new ModelScheduler(1);
        Sysmon s = sysmon(SysmonConfig.defaults().withSchedtrace(100 * MILLIS, false), m, null, null, null);
        s.round(now);
        assertEquals("SCHED 1\n", traceBytes.toString(StandardCharsets.UTF_8), "first round prints at once");
        s.round(now += 60 * MILLIS);
        s.round(now += 39 * MILLIS);
        assertEquals(1, m.schedtraces, "99 ms: not yet");
        s.round(now += 1 * MILLIS);
        assertEquals(2, m.schedtraces, "100 ms after the first line");
        s.round(now += 250 * MILLIS);
        s.round(now += 10 * MILLIS);
        assertEquals(3, m.schedtraces, "one line after a long sleep, not a burst to catch up");
        assertEquals("SCHED 1\nSCHED 2\nSCHED 3\n", traceBytes.toString(StandardCharsets.UTF_8));

        ModelScheduler d = new ModelScheduler(1);
        traceBytes.reset();
        sysmon(SysmonConfig.defaults().withSchedtrace(100 * MILLIS, true), d, null, null, null).round(now);
        assertEquals("SCHED 1 detailed\n", traceBytes.toString(StandardCharsets.UTF_8), "scheddetail reaches the scheduler");

        ModelScheduler off = new ModelScheduler(1);
        Sysmon quiet = sysmon(SysmonConfig.defaults(), off, null, null, null);
        for (int i = 0; i < 10; i++) {
            quiet.round(now += 1_000 * MILLIS);
        }
        assertEquals(0, off.schedtraces, "schedtrace off by default");
        assertThrows(IllegalArgumentException.class, () -> SysmonConfig.defaults().withSchedtrace(0, false));
    }
}
