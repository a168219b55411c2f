package dev.gort.sys;

import dev.gort.testing.FreshThread;
import dev.gort.testing.RealtimeTesting;
import dev.gort.testing.ThreadCapabilities;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * RealtimeBoost on the build machines' Linux: the property's accepted forms, a boost read back as
 * SCHED_FIFO and the thread's own attributes read back after it, the kernel's refusal of a thread
 * without CAP_SYS_NICE (dropped from that one thread's effective set: capabilities are per thread
 * on Linux), and the owner rule. Every switch runs on a fresh thread, never the test's own.
 */
class RealtimeBoostTest {

    @Test
    void thePropertyAcceptsZeroOrAPriorityAndRefusesTheRestNamingWhatIsAccepted() {
        assertEquals(0, RealtimeBoost.parsePriority("p", null));
        assertEquals(0, RealtimeBoost.parsePriority("p", "0"));
        assertEquals(10, RealtimeBoost.parsePriority("p", " 10 "));
        assertEquals(99, RealtimeBoost.parsePriority("p", "99"));
        for (String bad : new String[] {"-1", "100", "fifo", "", "1.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RealtimeBoost.parsePriority("gort.x", bad));
            assertTrue(e.getMessage().contains("-Dgort.x=" + bad) && e.getMessage().contains("0 (off, the default) or a SCHED_FIFO priority 1..99"),
                    e.getMessage());
        }
        String old = System.getProperty("gort.test.rtprio");
        System.setProperty("gort.test.rtprio", "high");
        try {
            assertEquals(0, RealtimeBoost.priorityFromProperty("gort.test.rtprio"), "a malformed value warns and means off");
        } finally {
            if (old == null) {
                System.clearProperty("gort.test.rtprio");
            } else {
                System.setProperty("gort.test.rtprio", old);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> RealtimeBoost.forCurrentThread(0));
        assertThrows(IllegalArgumentException.class, () -> RealtimeBoost.forCurrentThread(100));
    }

    /**
     * {@link RealtimeBoost#yieldOrPark} for a raised thread whose interrupt flag is set (a goroutine
     * may interrupt its carrier M, which the real-time stop can boost late into a stop): each turn
     * still parks, so a normal lock holder on its CPU runs, and the flag is kept. Against a plain
     * park every turn returned at once (a spin at SCHED_FIFO). Asserted on the wall time as a lower
     * bound only (load lengthens parks, never shortens them): 8 turns at the longest park are 4 ms.
     */
    @Test
    void aRaisedThreadWithAPendingInterruptStillParksInYieldOrParkAndKeepsTheInterrupt() throws InterruptedException {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        FreshThread.run(() -> {
            RealtimeBoost b = RealtimeTesting.boostOrSkip(3);      // skips where SCHED_FIFO is refused
            b.raise();
            long took;
            boolean keptInterrupt;
            try {
                Thread.currentThread().interrupt();
                long t0 = System.nanoTime();
                for (int i = 0; i < 8; i++) {
                    RealtimeBoost.yieldOrPark(RealtimeBoost.PARK_MAX_NANOS);
                }
                took = System.nanoTime() - t0;
                keptInterrupt = Thread.interrupted();
            } finally {
                b.lower();
            }
            assertTrue(keptInterrupt, "the interrupt is set again after the parks");
            assertTrue(took >= 2_000_000L, "8 parks of 0.5 ms took " + took / 1e6 + " ms: a pending interrupt ended them at once");
        });
    }

    @Test
    void aBoostedThreadReadsBackSchedFifoAndItsOwnAttributesAfterwards() throws InterruptedException {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        FreshThread.run(() -> {
            ThreadPriority.Setting before = ThreadPriority.current();
            long sliceBefore = ThreadSlice.current();
            RealtimeBoost b = RealtimeTesting.boostOrSkip(3);      // skips where SCHED_FIFO is refused
            assertEquals(before, ThreadPriority.current(), "the trial switch at creation leaves the thread as it was");
            int tid = (int) CpuAffinity.threadId();
            assertFalse(RealtimeBoost.currentThreadRaised(), "not raised before the first raise");
            for (int round = 0; round < 3; round++) {
                b.raise();
                assertTrue(b.raised());
                assertEquals(RealtimeBoost.SCHED_FIFO, ThreadPriority.of(tid).policy(), "raised: SCHED_FIFO");
                assertTrue(RealtimeBoost.currentThreadRaised(), "raised: the thread's waits know it (RtLock)");
                java.util.concurrent.atomic.AtomicBoolean otherSeesItself = new java.util.concurrent.atomic.AtomicBoolean(true);
                Thread other = Thread.ofPlatform().start(() -> otherSeesItself.set(RealtimeBoost.currentThreadRaised()));
                other.join();
                assertFalse(otherSeesItself.get(), "another thread is not raised by this one's boost");
                b.lower();
                assertFalse(b.raised());
                assertFalse(RealtimeBoost.currentThreadRaised(), "lowered: a normal waiter again");
                assertEquals(before, ThreadPriority.current(), "lowered: the thread's own policy and nice value");
                assertEquals(sliceBefore, ThreadSlice.current(), "lowered: the thread's own slice");
            }
            assertEquals(3, b.priority());
        });
    }

    /** A thread started by a boosted one does not inherit SCHED_FIFO (SCHED_FLAG_RESET_ON_FORK). */
    @Test
    void aThreadStartedWhileBoostedIsNotRealTime() throws InterruptedException {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        AtomicReference<ThreadPriority.Setting> child = new AtomicReference<>();
        FreshThread.run(() -> {
            RealtimeBoost b = RealtimeTesting.boostOrSkip(2);      // skips where SCHED_FIFO is refused
            b.raise();
            try {
                Thread t = Thread.ofPlatform().start(() -> child.set(ThreadPriority.current()));
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                b.lower();
            }
        });
        assertEquals(ThreadPriority.SCHED_OTHER, child.get().policy(), "a thread started by a boosted thread: " + child.get());
    }

    @Test
    void aBoostIsSwitchedOnlyByItsOwnThread() throws InterruptedException {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        AtomicReference<RealtimeBoost> made = new AtomicReference<>();
        FreshThread.run(() -> {
            try {
                made.set(RealtimeBoost.forCurrentThread(2));
            } catch (NativeException e) {
                Assumptions.abort("this process may not use SCHED_FIFO here: " + e.getMessage());
            }
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> made.get().raise());
        assertTrue(e.getMessage().contains("switches only its own thread"), e.getMessage());
    }

    @Test
    void aThreadWithoutTheRightIsRefusedWithTheErrnoAndKeepsItsAttributes() throws InterruptedException {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        FreshThread.run(() -> {
            try {
                ThreadCapabilities.dropSysNiceFromThisThread();
            } catch (Throwable e) {
                Assumptions.abort("cannot drop CAP_SYS_NICE here: " + e);
            }
            ThreadPriority.Setting before = ThreadPriority.current();
            NativeException e;
            try {
                RealtimeBoost.forCurrentThread(5);
                Assumptions.abort("SCHED_FIFO 5 allowed without CAP_SYS_NICE (RLIMIT_RTPRIO allows it here)");
                return;
            } catch (NativeException refused) {
                e = refused;
            }
            assertTrue(e.getMessage().contains("sched_setattr") && e.getMessage().contains("EPERM"), e.getMessage());
            assertEquals(before, ThreadPriority.current(), "a refused boost leaves the thread as it was");
        });
    }

    /** RealtimeBoost's raised-thread registry refuses what it never handed out. */
    @Test
    void theRaisedRegistryRefusesANullThreadAndASlotItDidNotHandOut() {
        Thread me = Thread.currentThread();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RealtimeBoost.markRaised(null));
        assertTrue(e.getMessage().contains("markRaised(null)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RealtimeBoost.unmarkRaised(99, me));
        assertTrue(e.getMessage().contains("accepted: -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RealtimeBoost.unmarkRaised(0, null));
        assertTrue(e.getMessage().contains("accepted: -1"), e.getMessage());
        int slot = RealtimeBoost.markRaised(me);
        assertTrue(slot >= 0);
        assertTrue(RealtimeBoost.currentThreadRaised());
        RealtimeBoost.unmarkRaised(slot, me);
        assertFalse(RealtimeBoost.currentThreadRaised());
        int ended = slot;
        e = assertThrows(IllegalArgumentException.class, () -> RealtimeBoost.unmarkRaised(ended, me), "a slot ended twice");
        assertTrue(e.getMessage().contains("does not hold this live thread"), e.getMessage());
        RealtimeBoost.unmarkRaised(-1, me);     // nothing
    }

    /**
     * A thread that ends while marked raised (nobody lowers a dead thread) must not keep its slot:
     * with every slot held by such threads, session 24's registry answered -1 to every later mark
     * for the rest of the JVM (a boost then ran unregistered, its waits yielding at SCHED_FIFO)
     * and {@link RealtimeBoost#currentThreadRaised} scanned 16 slots on every call instead of one
     * read. Now a mark takes over an ended thread's slot, the next unmark frees the rest, and the
     * dead threads' own unmarks are no-ops (their slots may be another's by then).
     */
    @Test
    void slotsOfThreadsThatEndedRaisedAreReusedAndFreedAgain() throws InterruptedException {
        Thread me = Thread.currentThread();
        assertEquals(0, RealtimeBoost.raisedCount(), "nothing raised in this JVM before the test");
        Thread[] dead = new Thread[RealtimeBoost.RAISED_SLOTS];
        int[] slots = new int[dead.length];
        for (int i = 0; i < dead.length; i++) {
            java.util.concurrent.atomic.AtomicInteger slot = new java.util.concurrent.atomic.AtomicInteger(-2);
            dead[i] = Thread.ofPlatform().name("raised-then-ended-" + i).start(() -> slot.set(RealtimeBoost.markRaised(Thread.currentThread())));
            dead[i].join();
            slots[i] = slot.get();
            assertTrue(slots[i] >= 0, "slot " + i + " was free");
        }
        assertEquals(RealtimeBoost.RAISED_SLOTS, RealtimeBoost.raisedCount(), "every slot held by an ended thread");
        int mine = RealtimeBoost.markRaised(me);
        assertTrue(mine >= 0, "a live thread gets an ended thread's slot (session 24: -1, for good)");
        assertTrue(RealtimeBoost.currentThreadRaised());
        RealtimeBoost.unmarkRaised(mine, me);
        assertFalse(RealtimeBoost.currentThreadRaised());
        assertEquals(0, RealtimeBoost.raisedCount(), "the unmark freed the ended threads' slots: the one-read answer is back");
        for (int i = 0; i < dead.length; i++) {
            RealtimeBoost.unmarkRaised(slots[i], dead[i]);      // late unmarks of ended threads: nothing to end, no error
        }
        assertEquals(0, RealtimeBoost.raisedCount());
    }

    /**
     * With every slot held by a live thread the registry refuses a mark (-1) and warns once, and a
     * boost whose thread it cannot register is not made (the thread stays normal: a SCHED_FIFO
     * thread its waits did not know about would yield in them and keep a normal holder on its CPU
     * from running); once a slot is free the same boost raises again.
     */
    @Test
    void aFullRegistryRefusesTheMarkWarnsOnceAndTheBoostIsNotMade() throws InterruptedException {
        Assumptions.assumeTrue(Platform.current().isLinux(), "SCHED_FIFO is Linux's");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.List<Thread> holders = new java.util.ArrayList<>();
        java.util.List<Integer> held = new java.util.ArrayList<>();
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        long refusalsBefore = RealtimeBoost.registryFullRefusals();
        try {
            for (int i = 0; i <= RealtimeBoost.RAISED_SLOTS; i++) {
                Thread t = Thread.ofPlatform().daemon().name("raised-holder-" + i).start(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException ignored) {
                        // ends
                    }
                });
                holders.add(t);
                int slot = i < RealtimeBoost.RAISED_SLOTS ? RealtimeBoost.markRaised(t) : -1;
                if (slot < 0) {
                    break;
                }
                held.add(slot);
            }
            System.setErr(new java.io.PrintStream(captured, true));
            assertEquals(-1, RealtimeBoost.markRaised(holders.get(holders.size() - 1)), "every slot is a live thread's");
            assertEquals(-1, RealtimeBoost.markRaised(Thread.currentThread()));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread booster = Thread.ofPlatform().start(() -> {
                try {
                    RealtimeBoost b = RealtimeBoost.forCurrentThread(5);      // the trial switch needs no slot
                    ThreadPriority.Setting before = ThreadPriority.current();
                    assertFalse(b.raise(), "no slot: not raised");
                    assertFalse(b.raised());
                    assertEquals(before, ThreadPriority.current(), "a boost the registry cannot record is not made");
                    b.lower();          // harmless
                } catch (NativeException e) {
                    // SCHED_FIFO refused here: the registry's part was checked above
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            booster.join();
            System.setErr(err);
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertTrue(RealtimeBoost.registryFullRefusals() >= refusalsBefore + 2, "refusals counted");
            String out = captured.toString();
            int warnings = out.split("registry is full", -1).length - 1;
            assertEquals(refusalsBefore == 0 ? 1 : 0, warnings, "warned once per JVM: " + out);
        } finally {
            System.setErr(err);
            for (int i = 0; i < held.size(); i++) {
                RealtimeBoost.unmarkRaised(held.get(i), holders.get(i));
            }
            release.countDown();
            for (Thread t : holders) {
                t.join();
            }
        }
        assertEquals(0, RealtimeBoost.raisedCount());
        FreshThread.run(() -> {
            RealtimeBoost b = RealtimeTesting.boostOrSkip(5);
            assertTrue(b.raise(), "a free slot again: raised");
            try {
                assertTrue(RealtimeBoost.currentThreadRaised());
            } finally {
                b.lower();
            }
        });
    }
}
