package dev.gort.sys;

import dev.gort.testing.FreshThread;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ThreadPriority on the build machines' Linux. The macOS path (PRIO_DARWIN_THREAD) is chosen at
 * run time and is not run here: {@link #theLinuxPathIsTheOneTakenHere} only checks that Linux does
 * not take it.
 */
class ThreadPriorityTest {

    private static boolean linux() {
        return Platform.current().isLinux();
    }

    @Test
    void aLoweredThreadReadsBackItsNiceValueBothWays() throws InterruptedException {
        // The JVM may itself run niced (`nice ./gort test`): a fresh thread inherits that value.
        ThreadPriority.Setting base = ThreadPriority.current();
        Assumptions.assumeTrue(base == null || base.nice() < 7, "the JVM runs at nice " + (base == null ? "?" : base.nice()) + " >= 7");
        FreshThread.run(() -> {
            ThreadPriority.Setting before = ThreadPriority.current();
            ThreadPriority.Setting after = ThreadPriority.lowerCurrent(ThreadPriority.Background.nice(7));
            if (!linux()) {
                return;
            }
            assertEquals(base, before, "a fresh thread runs at the JVM's nice value");
            assertEquals(new ThreadPriority.Setting(ThreadPriority.SCHED_OTHER, 7), after);
            assertEquals(7, ThreadPriority.niceFromGetpriority(), "getpriority(PRIO_PROCESS, 0) is per thread on Linux");
            assertEquals(after, ThreadPriority.of((int) CpuAffinity.threadId()), "read by tid");
            // Never raised by a later, milder request.
            assertEquals(after, ThreadPriority.lowerCurrent(ThreadPriority.Background.nice(3)));
        });
    }

    @Test
    void anotherThreadReadsTheLoweredOneByItsTid() throws InterruptedException {
        if (!linux()) {
            return;
        }
        ThreadPriority.Setting mine = ThreadPriority.current();
        AtomicInteger tid = new AtomicInteger();
        java.util.concurrent.CountDownLatch lowered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> {
            tid.set((int) CpuAffinity.threadId());
            ThreadPriority.lowerCurrent(ThreadPriority.Background.IDLE);
            lowered.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            lowered.await();
            ThreadPriority.Setting s = ThreadPriority.of(tid.get());
            assertNotNull(s);
            assertTrue(s.isIdle(), "SCHED_IDLE read from another thread: " + s);
            assertEquals(mine, ThreadPriority.current(), "this thread is untouched");
        } finally {
            done.countDown();
            t.join();
        }
    }

    @Test
    void loweringKeepsTheRequestedSlice() throws InterruptedException {
        FreshThread.run(() -> {
            if (!linux() || !ThreadSlice.request(300_000)) {
                return;     // kernels before 6.12 have no per-thread slice
            }
            assertNotNull(ThreadPriority.lowerCurrent(ThreadPriority.Background.nice(5)));
            assertEquals(300_000, ThreadSlice.current(), "the slice survives the nice change");
            assertNotNull(ThreadPriority.lowerCurrent(ThreadPriority.Background.IDLE));
            assertTrue(ThreadPriority.current().isIdle());
        });
    }

    /**
     * Raising a lowered thread back needs CAP_SYS_NICE or an RLIMIT_NICE that allows it: the
     * result must say which happened, and the thread's setting must agree with it.
     */
    @Test
    void restoreSaysWhetherTheKernelAllowedIt() throws InterruptedException {
        FreshThread.run(() -> {
            ThreadPriority.Setting normal = ThreadPriority.current();
            ThreadPriority.lowerCurrent(ThreadPriority.Background.nice(9));
            boolean restored = ThreadPriority.restoreCurrent(normal);
            if (!linux()) {
                return;
            }
            assertEquals(restored, normal.equals(ThreadPriority.current()), "restore " + restored + ", now " + ThreadPriority.current());
            if (!restored) {
                assertEquals(9, ThreadPriority.current().nice(), "a refused restore leaves the lowered value");
            }
        });
        FreshThread.run(() -> {
            ThreadPriority.Setting normal = ThreadPriority.current();
            ThreadPriority.lowerCurrent(ThreadPriority.Background.IDLE);
            boolean restored = ThreadPriority.restoreCurrent(normal);
            if (linux()) {
                assertEquals(restored, normal.equals(ThreadPriority.current()));
                assertEquals(!restored, ThreadPriority.current().isIdle());
            }
        });
    }

    @Test
    void normalChangesNothing() throws InterruptedException {
        FreshThread.run(() -> {
            ThreadPriority.Setting before = ThreadPriority.current();
            assertEquals(before, ThreadPriority.lowerCurrent(ThreadPriority.Background.NORMAL));
        });
    }

    @Test
    void theLinuxPathIsTheOneTakenHere() throws InterruptedException {
        FreshThread.run(() -> {
            ThreadPriority.Setting s = ThreadPriority.lowerCurrent(ThreadPriority.Background.nice(2));
            if (linux()) {
                assertNotEquals(ThreadPriority.DARWIN_BACKGROUND, s.policy(), "Linux never takes the macOS background band");
            } else if (Platform.current().isMacOS()) {
                assertEquals(ThreadPriority.DARWIN_BACKGROUND, s.policy());
            }
        });
    }

    @Test
    void propertyValuesParseOrAreRefusedWithWhatIsAccepted() {
        String name = "gort.test.prio";
        var dflt = ThreadPriority.Background.IDLE;
        assertEquals(dflt, ThreadPriority.Background.parse(name, null, dflt));
        assertEquals(ThreadPriority.Background.NORMAL, ThreadPriority.Background.parse(name, "normal", dflt));
        assertEquals(ThreadPriority.Background.NORMAL, ThreadPriority.Background.parse(name, "0", dflt));
        assertEquals(ThreadPriority.Background.IDLE, ThreadPriority.Background.parse(name, " Idle ", dflt));
        assertEquals(ThreadPriority.Background.nice(19), ThreadPriority.Background.parse(name, "19", dflt));
        for (String bad : new String[] {"", "20", "-1", "low", "5ms", "1.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ThreadPriority.Background.parse(name, bad, dflt), bad);
            assertTrue(e.getMessage().contains("-D" + name + "=" + bad) && e.getMessage().contains("accepted: normal, idle, or a nice value 1..19"),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ThreadPriority.Background.nice(0));
        assertThrows(IllegalArgumentException.class, () -> ThreadPriority.Background.nice(20));
    }

    @Test
    void aRefusedPropertyWarnsAndKeepsTheDefault() {
        String name = "gort.test.prio.bad";
        System.setProperty(name, "lowest");
        try {
            assertEquals(ThreadPriority.Background.nice(4), ThreadPriority.Background.fromProperty(name, ThreadPriority.Background.nice(4)));
            System.setProperty(name, "idle");
            assertEquals(ThreadPriority.Background.IDLE, ThreadPriority.Background.fromProperty(name, ThreadPriority.Background.nice(4)));
        } finally {
            System.clearProperty(name);
        }
    }
}
