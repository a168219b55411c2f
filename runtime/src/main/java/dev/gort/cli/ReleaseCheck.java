package dev.gort.cli;

import dev.gort.sys.Advice;
import dev.gort.sys.Platform;
import dev.gort.sys.ProcessMemory;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * {@code ./gort release-check}: does physical memory really go back to the OS? Allocates
 * {@code --size} bytes on the gort heap, touches every page, frees everything, releases free pages
 * with {@code --advice}, and after each step records RSS (/proc/self/status), the arena's resident
 * bytes (mincore), smaps LazyFree and the heap's MemStats. Then it checks the expected drop:
 * <ul>
 * <li>touch made the memory resident: RSS rose by at least 90 % of the size (otherwise the
 *     later drop proves nothing);</li>
 * <li>free kept it resident (free is not release): arena residency stayed at least 90 % of the size;</li>
 * <li>release: HeapReleased rose by at least 90 % of the size; with {@code dontneed}: RSS fell by at
 *     least 90 % of the size and the arena's residency fell to at most 1 % of it; with
 *     {@code free}: RSS fell by 90 % of the size or LazyFree rose by 90 % of it (the kernel takes
 *     MADV_FREE pages lazily, under memory pressure).</li>
 * </ul>
 * Exit code 0 when every check passes, 1 otherwise, 2 for bad arguments.
 */
public final class ReleaseCheck {
    /** One measurement after a step. */
    public record Step(String name, long rss, long arenaResident, long lazyFree, long heapSys, long heapInuse,
                       long heapIdle, long heapReleased, long millis) {
    }

    /** One verdict line. */
    public record Check(String name, boolean pass, String detail) {
    }

    /** Everything measured and decided. */
    public record Report(ReleaseCheckArgs args, String platform, List<Step> steps, List<Check> checks) {
        public boolean passed() {
            return checks.stream().allMatch(Check::pass);
        }
    }

    private final ReleaseCheckArgs args;
    private final Function<ReleaseCheckArgs, ReleaseSubject> subjects;

    ReleaseCheck(ReleaseCheckArgs args, Function<ReleaseCheckArgs, ReleaseSubject> subjects) {
        this.args = args;
        this.subjects = subjects;
    }

    /** Runs the steps on a fresh subject and decides. */
    Report run() {
        List<Step> steps = new ArrayList<>();
        try (ReleaseSubject s = subjects.apply(args)) {
            steps.add(measure("start", s, 0));
            long t = System.nanoTime();
            s.allocate(args.size());
            steps.add(measure("allocate", s, t));
            t = System.nanoTime();
            s.touch();
            steps.add(measure("touch", s, t));
            t = System.nanoTime();
            s.free();
            steps.add(measure("free", s, t));
            t = System.nanoTime();
            s.release();
            steps.add(measure("release", s, t));
        }
        return new Report(args, Platform.current().toString(), steps, decide(args, steps));
    }

    private static Step measure(String name, ReleaseSubject s, long startNanos) {
        long millis = startNanos == 0 ? 0 : (System.nanoTime() - startNanos) / 1_000_000;
        ProcessMemory pm = ProcessMemory.read();
        long[] h = s.heapStats();
        return new Step(name, pm.vmRss(), s.arenaResidentBytes(), pm.lazyFree(), h[0], h[1], h[2], h[3], millis);
    }

    /** The checks, from the measured steps alone (so they are testable on synthetic figures). */
    static List<Check> decide(ReleaseCheckArgs args, List<Step> steps) {
        Step alloc = steps.get(1);
        Step touch = steps.get(2);
        Step free = steps.get(3);
        Step rel = steps.get(4);
        long size = args.size();
        long ninety = size / 10 * 9;
        List<Check> out = new ArrayList<>();
        boolean rssKnown = touch.rss() >= 0;
        if (rssKnown) {
            long rise = touch.rss() - alloc.rss();
            out.add(new Check("touch made the memory resident", rise >= ninety,
                    "RSS rose " + Format.bytes(rise) + ", expected >= " + Format.bytes(ninety)));
        }
        out.add(new Check("free kept the pages (free is not release)", free.arenaResident() >= ninety,
                "arena resident " + Format.bytes(free.arenaResident()) + ", expected >= " + Format.bytes(ninety)));
        long releasedRise = rel.heapReleased() - free.heapReleased();
        out.add(new Check("HeapReleased accounts the release", releasedRise >= ninety,
                "HeapReleased rose " + Format.bytes(releasedRise) + ", expected >= " + Format.bytes(ninety)));
        long rssDrop = free.rss() - rel.rss();
        if (args.advice() == Advice.DONTNEED) {
            if (rssKnown) {
                out.add(new Check("RSS dropped", rssDrop >= ninety,
                        "RSS fell " + Format.bytes(rssDrop) + ", expected >= " + Format.bytes(ninety)));
            }
            long onePercent = size / 100;
            out.add(new Check("arena pages left memory (mincore)", rel.arenaResident() <= onePercent,
                    "arena resident " + Format.bytes(rel.arenaResident()) + ", expected <= " + Format.bytes(onePercent)));
        } else {
            long lazyRise = rel.lazyFree() >= 0 && free.lazyFree() >= 0 ? rel.lazyFree() - free.lazyFree() : -1;
            boolean pass = (rssKnown && rssDrop >= ninety) || lazyRise >= ninety;
            out.add(new Check("RSS dropped or pages are LazyFree", pass,
                    "RSS fell " + (rssKnown ? Format.bytes(rssDrop) : "n/a") + ", LazyFree rose "
                            + (lazyRise >= 0 ? Format.bytes(lazyRise) : "n/a") + "; expected either >= " + Format.bytes(ninety)));
        }
        return out;
    }

    /** The table a person reads. */
    static void printTable(Report r, PrintStream out) {
        out.println("gort release-check " + r.args() + " on " + r.platform());
        out.printf(Locale.ROOT, "%-9s %10s %10s %10s %10s %10s %10s %10s %8s%n", "step", "RSS MiB", "arena MiB", "LazyFree",
                "HeapSys", "HeapInuse", "HeapIdle", "HeapRel", "ms");
        out.printf(Locale.ROOT, "%-9s %10s %10s %10s %10s %10s %10s %10s %8s%n", "", "", "(mincore)", "MiB", "MiB", "MiB", "MiB",
                "MiB", "");
        for (Step s : r.steps()) {
            out.printf(Locale.ROOT, "%-9s %10s %10s %10s %10s %10s %10s %10s %8d%n", s.name(), Format.mib(s.rss()),
                    Format.mib(s.arenaResident()), Format.mib(s.lazyFree()), Format.mib(s.heapSys()), Format.mib(s.heapInuse()),
                    Format.mib(s.heapIdle()), Format.mib(s.heapReleased()), s.millis());
        }
        out.println();
        for (Check c : r.checks()) {
            out.println((c.pass() ? "PASS  " : "FAIL  ") + c.name() + ": " + c.detail());
        }
        if (r.args().advice() == Advice.FREE) {
            out.println("note: MADV_FREE pages stay in RSS (as LazyFree) until the kernel needs memory; then they go without a fault.");
        }
        out.println(r.passed() ? "PASS" : "FAIL");
    }

    /** The same as JSON (one object; figures in bytes). */
    static String json(Report r) {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"size\":").append(r.args().size()).append(',');
        sb.append("\"advice\":").append(Format.json(r.args().advice().name().toLowerCase(Locale.ROOT))).append(',');
        sb.append("\"platform\":").append(Format.json(r.platform())).append(',');
        sb.append("\"steps\":[");
        for (int i = 0; i < r.steps().size(); i++) {
            Step s = r.steps().get(i);
            sb.append(i == 0 ? "" : ",").append('{')
                    .append("\"step\":").append(Format.json(s.name()))
                    .append(",\"rss\":").append(s.rss())
                    .append(",\"arenaResident\":").append(s.arenaResident())
                    .append(",\"lazyFree\":").append(s.lazyFree())
                    .append(",\"heapSys\":").append(s.heapSys())
                    .append(",\"heapInuse\":").append(s.heapInuse())
                    .append(",\"heapIdle\":").append(s.heapIdle())
                    .append(",\"heapReleased\":").append(s.heapReleased())
                    .append(",\"millis\":").append(s.millis())
                    .append('}');
        }
        sb.append("],\"checks\":[");
        for (int i = 0; i < r.checks().size(); i++) {
            Check c = r.checks().get(i);
            sb.append(i == 0 ? "" : ",").append("{\"check\":").append(Format.json(c.name())).append(",\"pass\":").append(c.pass())
                    .append(",\"detail\":").append(Format.json(c.detail())).append('}');
        }
        sb.append("],\"pass\":").append(r.passed()).append('}');
        return sb.toString();
    }

    /** Runs the tool; returns the exit code. */
    static int main(String[] argv, PrintStream out, PrintStream err, Function<ReleaseCheckArgs, ReleaseSubject> subjects) {
        ReleaseCheckArgs args;
        try {
            args = ReleaseCheckArgs.parse(argv);
        } catch (UsageException e) {
            err.println(e.getMessage());
            return 2;
        }
        Report r = new ReleaseCheck(args, subjects).run();
        if (args.json()) {
            out.println(json(r));
        } else {
            printTable(r, out);
        }
        return r.passed() ? 0 : 1;
    }
}
