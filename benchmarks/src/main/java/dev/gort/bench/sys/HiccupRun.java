package dev.gort.bench.sys;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.CpuClock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The machine's own stalls, as a floor for pause figures: one spinning thread pinned to each CPU
 * reads the monotonic clock in a loop that allocates nothing and counts the gaps between two reads
 * (a gap is the time this thread was off its CPU or the CPU was not running this VM: another
 * process, a kernel thread, an interrupt, the hypervisor's steal). On an otherwise idle machine
 * the gaps over 0.5 ms say how often any thread here, a stopping mutator included, loses its CPU for
 * that long through no fault of the runtime. Prints gap counts per threshold per CPU, the largest
 * gap, the thread's involuntary switches and the steal time the kernel booked over the run
 * ({@code /proc/stat}, 10 ms ticks, Linux only), and for the gaps of 1 ms and more where the guest
 * kernel booked them ({@link Meter#classify}): as the thread's run-queue wait (the guest ran
 * another task), as its CPU time (the vCPU did not run: the host's steal, which this VM books as
 * the current task's run time, not as steal), or neither (asleep).
 *
 * <pre>java ... dev.gort.bench.sys.HiccupRun [SECONDS]   (default 60)</pre>
 */
public final class HiccupRun {
    /** Gap thresholds in microseconds: a gap is counted under every threshold it exceeds. */
    static final long[] THRESHOLDS_US = {50, 100, 250, 500, 1000, 2000, 5000};

    /** One CPU's figures; written by its spinning thread, read after join. */
    static final class Meter {
        final int cpu;
        final long[] over = new long[THRESHOLDS_US.length];
        long maxGapNanos;
        long reads;
        long involuntarySwitches;
        /** Gaps >= 1 ms by where the guest kernel booked them (see {@link #classify}); -1 columns: no schedstat. */
        long gapsBookedRun;
        long gapsBookedWait;
        long gapsBookedSleep;
        long gapsUnread;
        /** The longest gap booked as the thread's CPU time (the host's), ns. */
        long maxBookedRunNanos;

        Meter(int cpu) {
            this.cpu = cpu;
        }

        void spin(long durationNanos) {
            if (CpuAffinity.supported()) {
                CpuAffinity.pin(cpu);
            }
            long ivcsw0 = CpuClock.threadUsage().involuntarySwitches();
            long[] limits = new long[THRESHOLDS_US.length];
            for (int i = 0; i < limits.length; i++) {
                limits[i] = THRESHOLDS_US[i] * 1000;
            }
            long start = System.nanoTime();
            long end = start + durationNanos;
            long prev = start;
            long n = 0;
            long max = 0;
            Booking before = Booking.now();
            while (true) {
                long now = System.nanoTime();
                long gap = now - prev;
                prev = now;
                n++;
                if (gap >= limits[0]) {
                    for (int i = 0; i < limits.length && gap >= limits[i]; i++) {
                        over[i]++;
                    }
                    max = Math.max(max, gap);
                    if (gap >= 1_000_000) {
                        Booking after = Booking.now();
                        classify(gap, before, after);
                        before = after;
                        prev = System.nanoTime();        // the reads' own time is no gap
                    }
                }
                if (now - before.at >= BOOKING_EVERY_NANOS) {
                    // Figures from at most 5 ms before any gap (two reads, ~10-20 us: 0.3 % of the loop).
                    before = Booking.now();
                    prev = System.nanoTime();
                }
                if (now - end >= 0) {
                    break;
                }
            }
            reads = n;
            maxGapNanos = max;
            involuntarySwitches = CpuClock.threadUsage().involuntarySwitches() - ivcsw0;
        }

        /**
         * Where the guest kernel booked a gap of {@code gap} ns, from this thread's CPU time and
         * run-queue wait read before and after it: as wait, another task had the CPU (the guest's
         * scheduler); as CPU time, the thread counted as running while it read no clock, so the
         * vCPU itself did not run (the host took it: this VM books no steal, /proc/stat's steal
         * stays 0, and the guest's clock jump is charged to the task that was current); neither,
         * the thread slept (a fault, a lock in the JVM). Half the gap decides; the CPU time is
         * counted beyond the spinning around the gap (the interval between the reads less the gap).
         */
        void classify(long gap, Booking before, Booking after) {
            if (before.waitNanos < 0 || after.waitNanos < 0) {
                gapsUnread++;
            } else if (after.waitNanos - before.waitNanos >= gap / 2) {
                gapsBookedWait++;
            } else if ((after.cpuNanos - before.cpuNanos) - (after.at - before.at - gap) >= gap / 2) {
                gapsBookedRun++;
                maxBookedRunNanos = Math.max(maxBookedRunNanos, gap);
            } else {
                gapsBookedSleep++;
            }
        }
    }

    static final long BOOKING_EVERY_NANOS = 5_000_000;

    /**
     * The calling thread's CPU time (clock_gettime: exact, the running task's time brought up to
     * date) and run-queue wait (schedstat's second field, booked when a wait ends, so exact for a
     * thread that is running again; -1 if unreadable), and when they were read.
     */
    record Booking(long at, long cpuNanos, long waitNanos) {
        static Booking now() {
            long wait = -1;
            try {
                String[] f = new String(Files.readAllBytes(Path.of("/proc/thread-self/schedstat")),
                        java.nio.charset.StandardCharsets.US_ASCII).trim().split(" ");
                wait = Long.parseLong(f[1]);
            } catch (IOException | RuntimeException e) {
                // no schedstat: the gap is counted as unread
            }
            return new Booking(System.nanoTime(), CpuClock.threadCpuNanos(), wait);
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = 60;
        if (args.length > 1) {
            System.err.println("usage: HiccupRun [SECONDS]   (a whole number of seconds, 1..3600; default 60)");
            System.exit(2);
        }
        if (args.length == 1) {
            try {
                seconds = Integer.parseInt(args[0]);
            } catch (NumberFormatException e) {
                seconds = -1;
            }
            if (seconds < 1 || seconds > 3600) {
                System.err.println("HiccupRun: SECONDS must be a whole number from 1 to 3600, got '" + args[0] + "'");
                System.exit(2);
            }
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        // A short warm-up so the loop is compiled before it counts (an interpreted loop has its own gaps).
        new Meter(0).spin(2_000_000_000L);
        long[] steal0 = stealTicks(cpus);
        String load0 = load();
        List<Meter> meters = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        final long duration = seconds * 1_000_000_000L;
        for (int c = 0; c < cpus; c++) {
            Meter m = new Meter(c);
            meters.add(m);
            threads.add(Thread.ofPlatform().name("hiccup-cpu" + c).start(() -> m.spin(duration)));
        }
        for (Thread t : threads) {
            t.join();
        }
        long[] steal1 = stealTicks(cpus);
        System.out.printf(Locale.ROOT, "### Hiccups: %d spinning threads pinned one per CPU, %d s (load average at start %s, at end %s)%n%n",
                cpus, seconds, load0, load());
        StringBuilder head = new StringBuilder("| CPU | reads |");
        StringBuilder rule = new StringBuilder("| --- | ---: |");
        for (long t : THRESHOLDS_US) {
            head.append(" gaps >= ").append(t).append(" us |");
            rule.append(" ---: |");
        }
        head.append(" max gap us | involuntary switches | steal ms (/proc/stat) | gaps >= 1 ms booked as wait / CPU / sleep / unread |"
                + " max gap booked as CPU us |");
        rule.append(" ---: | ---: | ---: | ---: | ---: |");
        System.out.println(head);
        System.out.println(rule);
        for (Meter m : meters) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %d | %d |", m.cpu, m.reads));
            for (long o : m.over) {
                row.append(' ').append(o).append(" |");
            }
            long steal = steal0 == null || steal1 == null ? -1 : (steal1[m.cpu] - steal0[m.cpu]) * 10;
            row.append(String.format(Locale.ROOT, " %d | %d | %s | %d / %d / %d / %d | %d |", m.maxGapNanos / 1000, m.involuntarySwitches,
                    steal < 0 ? "n/a" : Long.toString(steal), m.gapsBookedWait, m.gapsBookedRun, m.gapsBookedSleep, m.gapsUnread,
                    m.maxBookedRunNanos / 1000));
            System.out.println(row);
        }
        long per500 = 0;
        for (Meter m : meters) {
            per500 += m.over[3];
        }
        System.out.printf(Locale.ROOT, "%ngaps >= 500 us: %.1f per CPU-minute%n", per500 * 60.0 / seconds / cpus);
        System.out.println("(a gap booked as CPU is the host's: the thread counted as running and read no clock; as wait, the guest ran another task)");
    }

    /** Steal ticks per CPU from /proc/stat (8th value of each cpuN line), or null where unreadable. */
    static long[] stealTicks(int cpus) {
        try {
            long[] out = new long[cpus];
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu") && line.length() > 3 && Character.isDigit(line.charAt(3))) {
                    String[] f = line.trim().split("\\s+");
                    int cpu = Integer.parseInt(f[0].substring(3));
                    if (cpu < cpus && f.length > 8) {
                        out[cpu] = Long.parseLong(f[8]);
                    }
                }
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
