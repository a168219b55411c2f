package dev.gort.gc;

import dev.gort.sched.Go;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A collector pause starts at the world's stop request, not where the coordinator began its
 * timer: what the stopper does in between stops nothing and is not pause time (Go's
 * stopTheWorldWithSema starts its clock after worldsema is taken). Under the scheduler that
 * is the stopper's reads of the running Ms' CPU clocks (WorldStop.readRunningMsCpu, session 28,
 * pausecpu28), which came after PauseTimer.begin and were timed as the pause's "stop" step
 * (session 28, review28's finding 3). Each read is made slow here (1 ms, a hook after it) and
 * the instant it ended recorded; at every pause's "stop" mark the pause must have started after
 * the last read's end: an ordering of recorded instants, no bound on a duration.
 */
@Timeout(180)
class PauseStartsAtTheRequestTest extends ThreadWorldFixture {
    static final long SLOW_READ_NANOS = 1_000_000L;
    private final boolean defaultHandOff = Coordinator.handOffForNewCollectors;
    private final long defaultDefer = Coordinator.markDoneRequestDeferForNewCollectors;

    @AfterEach
    void restore() {
        Coordinator.handOffForNewCollectors = defaultHandOff;
        Coordinator.markDoneRequestDeferForNewCollectors = defaultDefer;
    }

    @Test
    void theStoppersCpuReadsBeforeTheRequestAreNotInThePause() {
        ForcedMode.assumeConcurrentMark("the gcstoptheworld modes stop without the hand-off, hence without the reads");
        assumeTrue(dev.gort.sys.Platform.current().isLinux(), "another thread's CPU clock is read on Linux only");
        assumeFalse("false".equals(System.getProperty("gort.sched.stop.cpubefore")), "no reads before the request");
        assumeTrue(Coordinator.handOffForNewCollectors, "the reads come with the scheduler's hand-off (stopAndRun)");
        SchedCollectorTest.withRuntime(2, GcOptions.DEFAULT, gc -> {
            AtomicLong lastReadEnd = new AtomicLong();
            AtomicLong readsMade = new AtomicLong();
            AtomicLong readsSeenAtStops = new AtomicLong();
            AtomicLong pausesChecked = new AtomicLong();
            List<String> startedBeforeARead = new CopyOnWriteArrayList<>();
            AtomicBoolean slow = new AtomicBoolean();
            Go.scheduler().setCpuReadBeforeStopHookForTest(() -> {
                if (slow.get()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(SLOW_READ_NANOS);   // the read made slow
                }
                lastReadEnd.set(System.nanoTime());
                readsMade.incrementAndGet();
            });
            PauseTimer pt = gc.pauseTimerForTest();
            pt.faultForTest = step -> {
                if (!step.equals("stop")) {
                    return;
                }
                // World stopped: every read for this stop ended before its request.
                long readEnd = lastReadEnd.get();
                long start = pt.startNanos();
                long reads = readsMade.getAndSet(0);
                if (reads > 0) {
                    readsSeenAtStops.incrementAndGet();
                }
                pausesChecked.incrementAndGet();
                if (start - readEnd < 0) {
                    startedBeforeARead.add("pause started " + (readEnd - start) / 1000 + " us before the end of a CPU clock read ("
                            + reads + " reads since the last stop)");
                }
            };
            AtomicBoolean quit = new AtomicBoolean();
            AtomicBoolean ended = new AtomicBoolean();
            AtomicLong polls = new AtomicLong();
            // A goroutine that keeps its P running: at each request its M is a running P's, whose clock the stopper reads.
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
                SchedStopHandOffTest.awaitPolls(polls, 1000, "before the cycles");
                slow.set(true);
                long guard = System.nanoTime() + 60_000_000_000L;      // a hang guard only
                // Cycles until some pause's stop was preceded by a read (the poller's P running at the request).
                while (readsSeenAtStops.get() < 3 && System.nanoTime() < guard) {
                    gc.gc();
                }
                slow.set(false);
                assertTrue(readsSeenAtStops.get() >= 3, "no pause's stop came after a read of a running M's clock within 60 s ("
                        + pausesChecked.get() + " pauses)");
                assertEquals(List.of(), startedBeforeARead, "a pause starts at the stop request, after the stopper's reads"
                        + " (" + pausesChecked.get() + " pauses, " + readsSeenAtStops.get() + " after reads)");
            } finally {
                pt.faultForTest = null;
                Go.scheduler().setCpuReadBeforeStopHookForTest(null);
                quit.set(true);
            }
            while (!ended.get()) {
                Go.poll();
                Thread.onSpinWait();
            }
        });
    }

    /**
     * Over threads, mark termination's stop is posted as wanted and the coordinator requests it
     * itself only once no running mutator has within the bound ({@code gort.gc.markdone.request.us}):
     * that wait stopped nothing either. Here the one mutator reaches a safepoint only for a stop
     * or a ragged round already requested (never for a stop only wanted), so a mark termination's
     * coordinator usually waits the whole bound (20 ms) before its request. Every pause must start
     * exactly at the world's request (the recorded instant, whoever made the request), so neither
     * that wait nor anything after the request's instant is moved in or out of it; and at least
     * two mark terminations must have been requested by the coordinator after its wait (a ragged
     * round ending as the stop is posted can let the mutator's poll make a request instead: such a
     * stop is checked too, but does not count, and cycles run until two did).
     */
    @Test
    void overThreadsTheWaitForAMutatorsRequestIsNotInThePause() throws Exception {
        ForcedMode.assumeConcurrentMark("mark termination's own stop (the deferred one) comes after a concurrent mark");
        Coordinator.handOffForNewCollectors = true;
        Coordinator.markDoneRequestDeferForNewCollectors = 20_000_000L;
        heap = dev.gort.arena.Heap.create(dev.gort.arena.HeapConfig.defaults().withArenaReservation(1L << 30),
                dev.gort.sys.PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        world = gc.threadWorld();
        AtomicBoolean quit = new AtomicBoolean();
        java.util.concurrent.CountDownLatch registered = new java.util.concurrent.CountDownLatch(1);
        Thread mutator = Thread.ofPlatform().name("stops-only-when-asked").start(() -> {
            world.register(1);
            registered.countDown();
            try {
                while (!quit.get()) {
                    if (world.preemptRequested()) {
                        world.poll();          // a requested stop or a ragged round; a wanted stop is never answered
                    }
                    Thread.onSpinWait();
                }
            } finally {
                world.unregister();
            }
        });
        try {
            registered.await();
            PauseTimer pt = gc.pauseTimerForTest();
            List<String> notStartedAtTheRequest = new CopyOnWriteArrayList<>();
            AtomicLong markTerminations = new AtomicLong();
            AtomicLong requestedByTheCoordinator = new AtomicLong();
            AtomicLong mutatorRequestsSeen = new AtomicLong(world.stopsRequestedByMutatorsForTest());
            pt.faultForTest = step -> {
                if (!step.equals("stop")) {
                    return;
                }
                // World stopped: the request of this stop was the last one, and who made it is counted.
                long request = world.lastStopRequestNanos();
                long byMutators = world.stopsRequestedByMutatorsForTest();
                boolean byTheCoordinator = byMutators == mutatorRequestsSeen.getAndSet(byMutators);
                if (gc.phase == Collector.MARK) {
                    markTerminations.incrementAndGet();
                    if (byTheCoordinator) {
                        requestedByTheCoordinator.incrementAndGet();
                    }
                }
                if (pt.startNanos() != request) {
                    notStartedAtTheRequest.add("phase " + gc.phase + (byTheCoordinator ? ", the coordinator's request" : ", a mutator's request")
                            + ": pause started " + (pt.startNanos() - request) / 1000 + " us after the world's stop request (negative: before)");
                }
            };
            long guard = System.nanoTime() + 60_000_000_000L;      // a hang guard only
            try {
                while (requestedByTheCoordinator.get() < 2 && System.nanoTime() - guard < 0) {
                    gc.gc();
                }
            } finally {
                pt.faultForTest = null;
            }
            assertTrue(requestedByTheCoordinator.get() >= 2, "mark termination's stops requested by the coordinator after its wait: "
                    + requestedByTheCoordinator.get() + " of " + markTerminations.get() + " within 60 s");
            assertEquals(List.of(), notStartedAtTheRequest, "a pause starts at the world's stop request");
        } finally {
            quit.set(true);
            mutator.join(60_000);
        }
        assertFalse(mutator.isAlive());
    }
}
