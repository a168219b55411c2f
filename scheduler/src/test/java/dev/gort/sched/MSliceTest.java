package dev.gort.sched;

import dev.gort.sys.ThreadSlice;
import dev.gort.testing.ChildJvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code -Dgort.sched.mslice.us=N}: every M asks the kernel for an EEVDF slice of N us when it
 * starts (session 30, branch fault30: the 1 GiB run's late Ms waited for a CPU behind a JIT
 * compiler thread or another process's thread, not for page faults). A static final, so the
 * applied slice is checked in a child JVM; the parsing in this one.
 */
// A hang guard above ChildJvm's own 300 s (a child JVM at load 60 is slow to start).
@Timeout(600)
class MSliceTest {

    /** Goroutines spread over both Ms of a GOMAXPROCS=2 scheduler each read their M's slice: all the configured one. */
    @Test
    void everyMRunsWithTheConfiguredSlice() throws Exception {
        ChildJvm.Result r = ChildJvm.run(SliceReader.class, List.of("-Dgort.sched.mslice.us=100"), Map.of());
        assertEquals(0, r.exitCode(), r.toString());
        if (r.stdout().contains("kernel slices: unsupported")) {
            return;     // macOS or a Linux before 6.12: ThreadSlice's own test covers the refusal
        }
        List<String> ms = r.stdout().lines().filter(l -> l.startsWith("M ")).toList();
        assertTrue(ms.size() >= 2, "expected goroutines on at least two Ms:\n" + r);
        for (String l : ms) {
            assertTrue(l.endsWith(" slice 100000"), "an M without the requested 100 us slice: " + l + "\n" + r);
        }
    }

    /** Unset: the Ms keep the kernel's slice (the same as a fresh platform thread's). */
    @Test
    void unsetLeavesTheKernelsSlice() throws Exception {
        ChildJvm.Result r = ChildJvm.run(SliceReader.class, List.of(), Map.of());
        assertEquals(0, r.exitCode(), r.toString());
        String fresh = r.stdout().lines().filter(l -> l.startsWith("fresh thread slice ")).findFirst().orElseThrow();
        String slice = fresh.substring("fresh thread slice ".length());
        for (String l : r.stdout().lines().filter(l -> l.startsWith("M ")).toList()) {
            assertTrue(l.endsWith(" slice " + slice), "an M's slice differs from a fresh thread's (" + slice + "): " + l + "\n" + r);
        }
    }

    /** 0 (off) or Linux's range in microseconds; anything else warns and means off. */
    @Test
    void sliceValuesAreCheckedAndBadOnesMeanOff() {
        String name = "gort.sched.mslice.us";
        String saved = System.getProperty(name);
        try {
            String[][] cases = {{"0", "0"}, {"100", "100000"}, {"2500", "2500000"}, {"100000", "100000000"},
                                {"50", "0"}, {"1", "0"}, {"100001", "0"}, {"-5", "0"}, {"fast", "0"}, {"", "0"}};
            for (String[] c : cases) {
                System.setProperty(name, c[0]);
                assertEquals(Long.parseLong(c[1]), M.slice(), "-D" + name + "=" + c[0]);
            }
            System.clearProperty(name);
            assertEquals(0, M.slice(), "unset: off");
        } finally {
            if (saved == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, saved);
            }
        }
    }

    /** The child: prints a fresh thread's slice, then "M name slice N" for each M a goroutine ran on. */
    static final class SliceReader {
        public static void main(String[] args) throws Exception {
            long[] fresh = new long[1];
            boolean[] supported = new boolean[1];
            Thread t = new Thread(() -> {
                fresh[0] = ThreadSlice.current();
                supported[0] = ThreadSlice.request(ThreadSlice.MIN_NANOS);
            });
            t.start();
            t.join();
            System.out.println("fresh thread slice " + fresh[0]);
            if (!supported[0]) {
                System.out.println("kernel slices: unsupported");
            }
            java.util.concurrent.ConcurrentHashMap<String, Long> seen = new java.util.concurrent.ConcurrentHashMap<>();
            try (Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2))) {
                s.run(() -> {
                    AtomicInteger done = new AtomicInteger();
                    int n = 8;
                    for (int i = 0; i < n; i++) {
                        Go.go(() -> {
                            // Spin with safepoints until goroutines have run on two Ms (the other P's M
                            // steals some): a state that must come, with a 60 s guard.
                            long guard = System.nanoTime() + 60_000_000_000L;
                            while (seen.size() < 2 && System.nanoTime() < guard) {
                                seen.put(Thread.currentThread().getName(), ThreadSlice.current());
                                Go.poll();
                            }
                            done.incrementAndGet();
                        });
                    }
                    // Wait for the state that must come (no timing assert): every goroutine done.
                    // main records its M on every turn: its gosched puts it on the global queue,
                    // and the other P's M, woken by the go statements, often takes it from there and
                    // then finds it there again on each look, so that M never steals from the
                    // spinning goroutines' P (Go's findRunnable looks at the global queue before it
                    // steals; Go would do the same). Then main is the goroutine that runs on it.
                    long guard = System.nanoTime() + 60_000_000_000L;
                    do {
                        seen.put(Thread.currentThread().getName(), ThreadSlice.current());
                        Go.gosched();
                    } while (done.get() < n && System.nanoTime() < guard);
                });
            }
            seen.forEach((name, slice) -> System.out.println("M " + name + " slice " + slice));
        }
    }
}
