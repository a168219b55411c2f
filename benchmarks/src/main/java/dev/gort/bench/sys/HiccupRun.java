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
 * ({@code /proc/stat}, 10 ms ticks, Linux only).
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
                }
                if (now - end >= 0) {
                    break;
                }
            }
            reads = n;
            maxGapNanos = max;
            involuntarySwitches = CpuClock.threadUsage().involuntarySwitches() - ivcsw0;
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
        head.append(" max gap us | involuntary switches | steal ms (/proc/stat) |");
        rule.append(" ---: | ---: | ---: |");
        System.out.println(head);
        System.out.println(rule);
        for (Meter m : meters) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %d | %d |", m.cpu, m.reads));
            for (long o : m.over) {
                row.append(' ').append(o).append(" |");
            }
            long steal = steal0 == null || steal1 == null ? -1 : (steal1[m.cpu] - steal0[m.cpu]) * 10;
            row.append(String.format(Locale.ROOT, " %d | %d | %s |", m.maxGapNanos / 1000, m.involuntarySwitches, steal < 0 ? "n/a" : Long.toString(steal)));
            System.out.println(row);
        }
        long per500 = 0;
        for (Meter m : meters) {
            per500 += m.over[3];
        }
        System.out.printf(Locale.ROOT, "%ngaps >= 500 us: %.1f per CPU-minute%n", per500 * 60.0 / seconds / cpus);
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
