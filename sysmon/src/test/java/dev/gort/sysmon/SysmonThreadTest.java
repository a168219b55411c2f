package dev.gort.sysmon;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The real monitor thread: it runs rounds, is woken early, and stops cleanly. */
class SysmonThreadTest {
    @Test
    void runsRoundsWakesAndStops() throws Exception {
        ModelScheduler m = new ModelScheduler(1);
        SysmonConfig c = SysmonConfig.defaults().withSleep(20 * SysmonConfig.MICROS, 200 * SysmonConfig.MILLIS);
        Sysmon s = new Sysmon(c, SysmonClock.SYSTEM, m, null, null, null, null, System.err);
        s.start();
        assertTrue(s.isRunning());
        assertTrue(s.thread().isDaemon());
        assertEquals("gort-sysmon", s.thread().getName());
        assertThrows(IllegalStateException.class, s::start);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (s.stats().rounds() < 60 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(s.stats().rounds() >= 60, "rounds: " + s.stats().rounds());
        // Idle for long: the sleep has backed off toward 200 ms. A wake() must bring a round well before that.
        Thread.sleep(1500);
        long before = s.stats().rounds();
        long t0 = System.nanoTime();
        s.wake();
        while (s.stats().rounds() == before && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) {
            Thread.onSpinWait();
        }
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(s.stats().rounds() > before);
        assertTrue(tookMs < 150, "woken round after " + tookMs + " ms (backed-off sleep is 200 ms)");
        Thread t = s.thread();
        s.stop();
        assertFalse(t.isAlive());
        assertFalse(s.isRunning());
        s.stop(); // idempotent
    }

    @Test
    void retakesARealBlockedPWithRealTime() throws Exception {
        ModelScheduler m = new ModelScheduler(1);
        m.enterSyscall(0);
        m.localWork[0] = true;
        Sysmon s = new Sysmon(SysmonConfig.defaults(), SysmonClock.SYSTEM, m, null, null, null, null, System.err);
        s.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (s.stats().retakes() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, s.stats().retakes());
            assertEquals(SchedulerPort.P_IDLE, m.status[0]);
        } finally {
            s.stop();
        }
    }
}
