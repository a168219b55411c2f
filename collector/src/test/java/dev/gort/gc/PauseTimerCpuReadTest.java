package dev.gort.gc;

import dev.gort.sys.CpuClock;
import dev.gort.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Without {@code -Dgort.gc.pausetrace.cpu}, PauseTimer reads no thread CPU clock between the stop
 * and the restart when the thread running the steps read its clock before the stop request (the
 * stopper in {@code begin}, or the mutator that made the request, {@code requesterCpu}): such a read
 * lets Linux switch a thread whose slice is spent out at once, inside the pause (session 27,
 * gate27). Seen from outside, the pause's CPU then counts from the read before the request: CPU
 * burnt between {@code begin} and {@code stopped} (the stop's share) is in it. Before the change
 * {@code stopped} read the clock and that CPU was not.
 */
class PauseTimerCpuReadTest {

    /** 20 ms of this thread's CPU: well above a read's own cost, well under the hang guards. */
    static final long BURN = 20_000_000L;

    @Test
    void theStoppersPauseCpuCountsFromItsReadBeforeTheRequest() {
        assumeFalse(PauseTimer.STEP_CPU, "per-step CPU reads the clock in every step by design");
        PauseTimer t = new PauseTimer();
        t.begin();
        PauseTimerStepCpuTest.burn(BURN);       // the stop's share: CPU after begin, before the world stopped
        t.stopped();
        t.step("work");
        t.restarted();
        StwPause p = t.end(1, StwPause.Kind.SWEEP_TERMINATION);
        assertEquals(0, p.steps().getFirst().cpuNanos(), p.toString());
        assertTrue(p.workCpuNanos() >= BURN, "the CPU since begin's read, the stop's included: " + p);
    }

    @Test
    void theRequestersReadBeforeItsRequestIsTheBaseWhenItRunsTheSteps() throws Exception {
        assumeFalse(PauseTimer.STEP_CPU, "per-step CPU reads the clock in every step by design");
        PauseTimer t = new PauseTimer();
        PauseTimerStepCpuTest.burn(BURN);           // the stopper's clock far from the claimant's
        t.begin();
        StwPause p = onAnotherThread(t, () -> {
            long before = CpuClock.threadCpuNanos();    // what ThreadWorld's requester reads before its request
            PauseTimerStepCpuTest.burn(BURN);
            t.requesterCpu(Thread.currentThread(), before);
            t.stopped();
            t.step("work");
            t.restarted();
        });
        assertTrue(p.workCpuNanos() >= BURN && p.workCpuNanos() < 20 * BURN, "the requester's CPU since its read: " + p);
    }

    @Test
    void aClaimantThatReadNoClockBeforeCountsFromItsStop() throws Exception {
        PauseTimer t = new PauseTimer();
        PauseTimerStepCpuTest.burn(BURN);
        t.begin();
        StwPause p = onAnotherThread(t, () -> {
            PauseTimerStepCpuTest.burn(BURN);       // before its stop, not the pause's
            t.requesterCpu(null, 0);                // a requester that read nothing (it blocked): no base
            t.stopped();
            t.step("work");
            t.restarted();
        });
        assertTrue(p.workCpuNanos() >= 0 && p.workCpuNanos() < BURN / 2, "this thread's CPU from its stop only: " + p);
    }

    /** Runs {@code steps} (stopped .. restarted) on a new platform thread, then ends the pause here. */
    private static StwPause onAnotherThread(PauseTimer t, Runnable steps) throws Exception {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread claimant = Thread.ofPlatform().name("claimant").start(() -> {
            try {
                steps.run();
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        claimant.join(60_000);
        assertFalse(claimant.isAlive(), "the claimant hung");
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
        return t.end(2, StwPause.Kind.MARK_TERMINATION, System.nanoTime());
    }

    @Test
    void aStepWithSwitchesPrintsThem() {
        StwPause p = new StwPause(3, StwPause.Kind.SWEEP_TERMINATION, 3_000_000,
                List.of(new StwPause.Step("stop", 1_000_000, 0), new StwPause.Step("gate", 1_500_000, 20_000, 0, 1),
                        new StwPause.Step("start", 500_000, 30_000, 2, 0)));
        String s = p.toString();
        assertTrue(s.contains("stop 1.000, gate 1.500 sw 0v1i, start 0.500 sw 2v0i"), s);
    }

    @Test
    void switchesPerStepWithThePropertyOn() throws Exception {
        ChildJvm.Result r = ChildJvm.run(SwitchesChild.class, List.of("-Dgort.gc.pausetrace.switches=true"), Map.of());
        String out = r.toString();
        assertEquals(0, r.exitCode(), out);
        assertTrue(r.stdout().contains("switches on: true"), out);
        assertTrue(r.stdout().contains("sleep step voluntary >= 3: true"), out);
        assertTrue(r.stdout().contains("touch step faults >= 200: true"), out);
        assertTrue(r.stdout().contains("busy step faults < 200: true"), out);
    }

    /** Child: one pause whose "sleep" step blocks three times and whose "touch" step touches 256 fresh pages. */
    public static final class SwitchesChild {
        public static void main(String[] args) throws Exception {
            System.out.println("switches on: " + PauseTimer.STEP_SWITCHES);
            PauseTimer t = new PauseTimer();
            t.begin();
            t.stopped();
            for (int i = 0; i < 3; i++) {
                Thread.sleep(2);
            }
            t.step("sleep");
            PauseTimerStepCpuTest.burn(1_000_000L);
            t.step("busy");
            // 256 pages of a fresh private mapping, each written once: a minor fault apiece.
            long size = 256 * 4096L;
            long at = dev.gort.sys.LibC.mmap(0, size, dev.gort.sys.Platform.current().constants().PROT_READ()
                    | dev.gort.sys.Platform.current().constants().PROT_WRITE(), dev.gort.sys.Platform.current().constants().MAP_PRIVATE()
                    | dev.gort.sys.Platform.current().constants().MAP_ANONYMOUS(), -1, 0);
            for (long off = 0; off < size; off += 4096) {
                dev.gort.sys.NativeMemory.putByte(at + off, (byte) 1);
            }
            t.step("touch");
            t.restarted();
            StwPause p = t.end(1, StwPause.Kind.SWEEP_TERMINATION);
            StwPause.Step sleep = p.steps().get(1);
            System.out.println("sleep step voluntary >= 3: " + (sleep.voluntarySwitches() >= 3) + " (" + p + ")");
            System.out.println("touch step faults >= 200: " + (p.steps().get(3).minorFaults() >= 200));
            System.out.println("busy step faults < 200: " + (p.steps().get(2).minorFaults() < 200));
            System.out.flush();
            System.exit(0);
        }
    }
}
