package dev.gort;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/** sysmon's JFR events reach a recording, so Mission Control users see retakes, preemptions and scavenges. */
class SysmonJfrTest {
    @Test
    void retakePreemptAndScavengeEventsAreRecorded() throws Exception {
        Path file = Files.createTempFile("gort-sysmon", ".jfr");
        try (Recording r = new Recording()) {
            r.enable("dev.gort.SysmonRetake");
            r.enable("dev.gort.SysmonPreempt");
            r.enable("dev.gort.Scavenge");
            r.start();
            int code = Gort.run(new String[0], args -> {
                // a preemption: spin on poll() until sysmon asks us to yield
                AtomicBoolean other = new AtomicBoolean();
                Gort.go(() -> other.set(true));
                while (!other.get()) {
                    Gort.poll();
                }
                // a retake: block in a syscall while another goroutine waits for the P
                AtomicBoolean done = new AtomicBoolean();
                AtomicBoolean inSyscall = new AtomicBoolean();
                Gort.go(() -> {
                    while (!inSyscall.get()) {
                        Gort.gosched();
                    }
                    done.set(true);
                });
                Gort.syscall(() -> {
                    inSyscall.set(true);
                    long until = System.nanoTime() + 200_000_000L;
                    while (!done.get() && System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
                // a scavenge: free pages and let the memory limit release them
                dev.gort.arena.MCache c = (dev.gort.arena.MCache) dev.gort.sched.Go.mcache();
                long[] ps = new long[64];
                for (int i = 0; i < ps.length; i++) {
                    ps[i] = c.alloc(256 << 10, true);
                    dev.gort.sys.NativeMemory.fill(ps[i], 256 << 10, (byte) 7);
                }
                for (long p : ps) {
                    c.free(p);
                }
                Gort.setMemoryLimit(4L << 20);
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (Gort.sysmonStats().scavengePasses() == 0 && System.nanoTime() < deadline) {
                    Gort.sleep(java.time.Duration.ofMillis(5));
                }
            }, new Gort.Options().settings(Map.of("GOMAXPROCS", "1", "GORT_SCAVENGE_PERIOD", "off", "GOGC", "off"), Map.of()));
            assertEquals(0, code);
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.deleteIfExists(file);
        long preempts = events.stream().filter(e -> e.getEventType().getName().equals("dev.gort.SysmonPreempt")).count();
        long retakes = events.stream().filter(e -> e.getEventType().getName().equals("dev.gort.SysmonRetake")).count();
        List<RecordedEvent> scav = events.stream().filter(e -> e.getEventType().getName().equals("dev.gort.Scavenge")).toList();
        assertTrue(preempts >= 1, "preempt events: " + preempts);
        assertTrue(retakes >= 1, "retake events: " + retakes);
        assertFalse(scav.isEmpty(), "no scavenge event");
        assertEquals("memory limit", scav.get(0).getString("reason"));
        assertTrue(scav.get(0).getLong("released") > 0);
        RecordedEvent p = events.stream().filter(e -> e.getEventType().getName().equals("dev.gort.SysmonPreempt")).findFirst().orElseThrow();
        assertTrue(p.getDuration("runningFor").toMillis() >= 5, p.toString());
        assertFalse(p.getBoolean("inSyscall"), "the poll() loop was caught running: " + p);
    }
}
