package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An allocation that owes scan work while marking does not go ahead in debt because its assist
 * was cut short, as in Go's gcAssistAlloc: a wait refused (or ended) because work was published
 * retries the assist with that work (Go: gcParkAssist returns false, goto retry), and an assist
 * that broke off for a stop yields to it and retries after the restart (Go: gp.preempt, Gosched,
 * goto retry). Until session 33 both returned and the allocation went ahead with the debt left
 * (assist32's "left alone").
 *
 * <p>No timing: the coordinator is held at BEFORE_MARK_TERMINATION (no work left, the workers
 * idle), waits are allowed while it is held (so a fixed assist that finds no work waits for the
 * workers' credit instead of giving up), the background credit is emptied, and the mutator's own
 * gcWork holds 1000 grey nodes (already marked: rescanning them greys nothing new), 32000 bytes of
 * scan work, less than the allocation's debt (48000 bytes of scan work at the pacer's ratio). The event that cuts the assist short
 * comes from its own thread, in the hook run after its drain ({@link Assists#afterDrain}).
 *
 * <p>The idle mark workers are held off published work ({@link Collector#holdIdleWorkersForTest}),
 * so the assist is the only one that can scan it, and the scan work counted meanwhile is the
 * assist's own. Until session 34 they were not: a worker could take the published nodes, earn
 * their credit and pay the assist (stolen, or flushed to it while it waited), and a build with the
 * retry removed could pass (pace34's section: the lead's note on RaggedRoundAssistTest's race).
 */
class AssistRetryTest extends ThreadWorldFixture {
    static final Type NODE = RaggedRoundAssistTest.NODE;
    static final long NEXT = RaggedRoundAssistTest.NEXT;
    static final long TIMEOUT_MS = 60_000;
    static final int GREY = 1_000;
    static final int PUBLISHED = 2_000;

    /**
     * The debt the allocation starts with, in scan work: more than the 1000 grey nodes give
     * (32000 bytes), less than those and the published 2000 (96000 bytes).
     */
    static final long DEBT_WORK = 48_000;

    private Mutator main;

    /** {@code work} bytes of scan work as allocation debt at the pacer's ratio now (the coordinator is held: it does not move). */
    private long debtOf(long work) {
        return -(long) Math.ceil(work * gc.pacer().assistBytesPerWork());
    }
    private long[] nodes;

    /** A collector over threads with 20,000 live nodes, held in its mark phase with nothing left to mark. */
    private void holdInMark() {
        ForcedMode.assumeConcurrentMark("stops at the BEFORE_MARK_TERMINATION breakpoint");
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        main = world.register(4);
        long head = 0;
        nodes = new long[GREY + PUBLISHED];
        for (int i = 0; i < 20_000; i++) {
            long p = gc.alloc(NODE);
            Mem.storePtr(p, NEXT, head);
            head = p;
            main.roots().set(0, head);
            if (i < nodes.length) {
                nodes[i] = p;
            }
        }
        gc.gc();
        gc.setAssistWaitsWhilePausedForTest(true);
        gc.setBreakpoint(Collector.Breakpoint.BEFORE_MARK_TERMINATION);
        gc.runTo(Collector.Breakpoint.BEFORE_MARK_TERMINATION, TIMEOUT_MS);
        assertTrue(gc.marking(), "held in the mark phase");
        gc.holdIdleWorkersForTest(true);      // every worker is idle here: none takes the work published below
        gc.pacer().bgScanCredit.set(0);       // no credit to steal: the debt is paid by draining or waiting
        for (int i = 0; i < GREY; i++) {
            main.gcw.put(nodes[i]);
        }
    }

    /** The nodes past the first GREY as published grey work (the global full list), as a worker's flush leaves it. */
    private void publishTheRest() {
        GcWork w = new GcWork(gc.pool);
        for (int i = GREY; i < nodes.length; i++) {
            w.put(nodes[i]);
        }
        w.dispose();
    }

    private void release() {
        gc.holdIdleWorkersForTest(false);
        gc.setAssistWaitsWhilePausedForTest(false);
        gc.setBreakpoint(Collector.Breakpoint.NONE);
        gc.resume();
        gc.awaitIdle(TIMEOUT_MS);
    }

    /**
     * The assist drains the mutator's 1000 grey nodes, finds no more, and is about to wait; work
     * is published just then (the hook), so its wait is refused for published work. Go retries and
     * pays with that work before the allocation; lead33 returned with the debt left.
     */
    @Test
    void aWaitRefusedForPublishedWorkAssistsAgainBeforeTheAllocation() {
        holdInMark();
        Assists assists = gc.assistsForTest();
        Runnable usual = assists.afterDrain;
        AtomicBoolean once = new AtomicBoolean(true);
        assists.afterDrain = () -> {
            usual.run();
            if (once.getAndSet(false)) {
                publishTheRest();
            }
        };
        long work0 = gc.pacer().heapScanWork.get();
        long waits0 = gc.assistWaitStats().refusedWork();
        try {
            main.assistBytes = debtOf(DEBT_WORK);
            gc.alloc(NODE);
        } finally {
            assists.afterDrain = usual;
        }
        long assistWork = gc.pacer().heapScanWork.get() - work0;
        assertFalse(once.get(), "the hook published the work");
        assertTrue(main.assistBytes >= 0, "the allocation went ahead in debt (credit " + main.assistBytes
                + ") after its wait was refused for published work (refused " + (gc.assistWaitStats().refusedWork() - waits0)
                + " time(s)); the assist scanned " + assistWork + " bytes");
        assertTrue(assistWork >= DEBT_WORK, "the assist paid " + DEBT_WORK + " bytes of scan work by scanning itself"
                + " (idle workers held: no credit to steal); it scanned " + assistWork);
        release();
    }

    /**
     * The assist drains the mutator's 1000 grey nodes and, in the hook, a stop is requested (from
     * another thread; it waits for this mutator) and more work is published. Go's assist yields to
     * the stop and, the world restarted, assists again with that work before the allocation;
     * lead33 returned in debt and allocated.
     */
    @Test
    void anAssistCutShortByAStopYieldsAndAssistsAgainAfterTheRestart() throws Exception {
        holdInMark();
        Assists assists = gc.assistsForTest();
        Runnable usual = assists.afterDrain;
        AtomicBoolean once = new AtomicBoolean(true);
        AtomicReference<Thread> stopper = new AtomicReference<>();
        AtomicReference<Throwable> stopFailure = new AtomicReference<>();
        assists.afterDrain = () -> {
            usual.run();
            if (once.getAndSet(false)) {
                publishTheRest();
                Thread t = Thread.ofPlatform().name("stopper").start(() -> {
                    try {
                        world.stopTheWorld("AssistRetryTest");
                        world.startTheWorld();
                    } catch (Throwable e) {
                        stopFailure.set(e);
                    }
                });
                stopper.set(t);
                long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000;
                while (!world.stopRequested()) {  // the request seen by this mutator before its assist goes on
                    assertTrue(System.nanoTime() - deadline < 0, "the stop was never requested");
                    Thread.onSpinWait();
                }
            }
        };
        long work0 = gc.pacer().heapScanWork.get();
        try {
            main.assistBytes = debtOf(DEBT_WORK);
            gc.alloc(NODE);
        } finally {
            assists.afterDrain = usual;
        }
        long assistWork = gc.pacer().heapScanWork.get() - work0;
        long credit = main.assistBytes;
        assertFalse(once.get(), "the hook requested the stop");
        world.poll();                             // stops here if the assist did not yield to the stop
        stopper.get().join(TIMEOUT_MS);
        assertFalse(stopper.get().isAlive(), "the stop ended");
        assertNull(stopFailure.get(), "the stopper failed");
        assertTrue(credit >= 0, "the allocation went ahead in debt (credit " + credit
                + ") after a stop cut its assist short; the assist scanned " + assistWork + " bytes");
        assertTrue(assistWork >= DEBT_WORK, "the assist paid " + DEBT_WORK + " bytes of scan work by scanning itself"
                + " (idle workers held: no credit to steal); it scanned " + assistWork);
        release();
    }
}
