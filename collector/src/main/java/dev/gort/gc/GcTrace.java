package dev.gort.gc;

import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go's {@code GODEBUG=gctrace=1} line (mgc.go gcMarkTermination, documented in extern.go), here
 * {@code GORT_DEBUG=gctrace=1}, so Go users read it at a glance:
 *
 * <pre>
 * gc 1 @0.019s 2%: 0.14+1.3+0.045 ms clock, 1.1+0.50/1.9/1.4+0.36 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P
 * </pre>
 *
 * Field by field:
 * <ul>
 *   <li>{@code gc N}: the cycle number (NumGC after it).</li>
 *   <li>{@code @T s}: seconds since the runtime started, at sweep termination, 3 decimals.</li>
 *   <li>{@code P%}: GCCPUFraction x 100, truncated.</li>
 *   <li>{@code a+b+c ms clock}: wall time of sweep termination (STW), concurrent mark, mark
 *       termination (STW).</li>
 *   <li>{@code a+b/c/d+e ms cpu}: CPU of sweep termination, assists / background workers / idle
 *       workers, mark termination. The assist figure is the assisting threads' thread CPU while
 *       draining or polling for credit: time an assist is parked or descheduled is not in it.</li>
 *   <li>{@code h0->h1->h2 MB}: heap at cycle start, at mark termination, marked live (MiB, truncated).</li>
 *   <li>{@code G MB goal}, {@code S MB stacks}, {@code G MB globals}: the heap goal, scannable stacks
 *       and globals (Go 1.19+ form; Go 1.18 and older end with {@code goal, N P}).</li>
 *   <li>{@code N P}: GOMAXPROCS; {@code (forced)} when Gort.gc() started the cycle (Go's work.userForced;
 *       not sysmon's time-triggered cycle, which only has a {@code GC forced} line before it).</li>
 * </ul>
 * Millisecond figures use Go's fmtNSAsMS: whole milliseconds from 10 ms, otherwise two significant
 * digits with at most three decimals ("0.045", "1.3", "9.9"), "0" below one microsecond.
 */
public final class GcTrace {
    private GcTrace() {
    }

    /** Formats one cycle in Go's gctrace format (no trailing newline). */
    public static String format(GcCycle c) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("gc ").append(c.num())
          .append(" @").append(itoaDiv(c.sinceStartNanos() / 1_000_000, 3)).append("s ")
          .append((int) (c.cpuFraction() * 100)).append("%: ")
          .append(ms(c.sweepTermWall())).append('+').append(ms(c.markWall())).append('+').append(ms(c.markTermWall()))
          .append(" ms clock, ")
          .append(ms(c.sweepTermCpu())).append('+').append(ms(c.assistCpu())).append('/')
          .append(ms(c.backgroundCpu())).append('/').append(ms(c.idleCpu())).append('+').append(ms(c.markTermCpu()))
          .append(" ms cpu, ")
          .append(c.heap0() >> 20).append("->").append(c.heap1() >> 20).append("->").append(c.heap2() >> 20).append(" MB, ")
          .append(c.goal() >> 20).append(" MB goal, ")
          .append(c.stacks() >> 20).append(" MB stacks, ")
          .append(c.globals() >> 20).append(" MB globals, ")
          .append(c.procs()).append(" P");
        if (c.forced()) {
            sb.append(" (forced)");
        }
        return sb.toString();
    }

    /** Prints the line (with newline) in one write, so concurrent output does not interleave it. */
    public static void print(PrintStream out, GcCycle c) {
        String line = format(c) + "\n";
        synchronized (out) {
            out.print(line);
            out.flush();
        }
    }

    /** Go's itoaDiv: {@code val / 10^dec} with exactly {@code dec} decimals. */
    static String itoaDiv(long val, int dec) {
        if (val < 0) {
            val = 0;
        }
        String digits = Long.toString(val);
        if (dec == 0) {
            return digits;
        }
        if (digits.length() <= dec) {
            digits = "0".repeat(dec - digits.length() + 1) + digits;
        }
        int cut = digits.length() - dec;
        return digits.substring(0, cut) + "." + digits.substring(cut);
    }

    /** Go's fmtNSAsMS. */
    static String ms(long ns) {
        if (ns < 0) {
            ns = 0;
        }
        if (ns >= 10_000_000) {
            return itoaDiv(ns / 1_000_000, 0);
        }
        long x = ns / 1000;
        if (x == 0) {
            return "0";
        }
        int dec = 3;
        while (x >= 100) {
            x /= 10;
            dec--;
        }
        return itoaDiv(x, dec);
    }

    private static final String NUM = "(\\d+(?:\\.\\d+)?)";

    /** Go's gctrace line, with the stacks/globals fields optional (Go 1.19+ vs older). */
    public static final Pattern LINE = Pattern.compile(
            "^gc (\\d+) @(\\d+\\.\\d{3})s (\\d+)%: " + NUM + "\\+" + NUM + "\\+" + NUM + " ms clock, "
            + NUM + "\\+" + NUM + "/" + NUM + "/" + NUM + "\\+" + NUM + " ms cpu, "
            + "(\\d+)->(\\d+)->(\\d+) MB, (\\d+) MB goal, (?:(\\d+) MB stacks, (\\d+) MB globals, )?(\\d+) P( \\(forced\\))?$");

    /** A parsed gctrace line: milliseconds as printed (rounded by the format), MB truncated. */
    public record Parsed(long num, double atSeconds, int cpuPercent, double[] clockMs, double[] cpuMs,
                         long heap0Mb, long heap1Mb, long heap2Mb, long goalMb, long stacksMb, long globalsMb,
                         int procs, boolean forced) {
    }

    /** Parses a line in Go's gctrace format; throws with the line if it does not match. */
    public static Parsed parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a gctrace line: \"" + line + "\"");
        }
        double[] clock = {d(m, 4), d(m, 5), d(m, 6)};
        double[] cpu = {d(m, 7), d(m, 8), d(m, 9), d(m, 10), d(m, 11)};
        return new Parsed(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)), Integer.parseInt(m.group(3)),
                clock, cpu, l(m, 12), l(m, 13), l(m, 14), l(m, 15),
                m.group(16) == null ? -1 : l(m, 16), m.group(17) == null ? -1 : l(m, 17),
                Integer.parseInt(m.group(18)), m.group(19) != null);
    }

    private static double d(Matcher m, int g) {
        return Double.parseDouble(m.group(g));
    }

    private static long l(Matcher m, int g) {
        return Long.parseLong(m.group(g));
    }
}
