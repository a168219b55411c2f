package dev.gort.sys;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./gort sys}: the platform facts a performance experimenter checks first, one aligned
 * line each. Every fact is read independently; one that cannot be read says why instead of
 * stopping the others. Sources: sysconf, sched_getcpu/sched_getaffinity/gettid through
 * {@link LibC}, and on Linux /proc and /sys (paths shown in the comments below).
 */
public final class SysInfo {
    private SysInfo() {
    }

    public static void main(String[] args) {
        if (args.length > 0) {
            System.err.println("usage: ./gort sys   (takes no arguments; got " + String.join(" ", args) + ")");
            System.exit(2);
        }
        print(System.out);
    }

    static void print(PrintStream out) {
        Map<String, String> facts = facts();
        int width = facts.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
        out.println("gort sys: platform facts");
        facts.forEach((k, v) -> out.println("  " + k + " ".repeat(width - k.length()) + v));
    }

    /** The facts in print order, label -> value. */
    static Map<String, String> facts() {
        Platform p = Platform.current();
        boolean linux = p.isLinux();
        Map<String, String> f = new LinkedHashMap<>();
        fact(f, "os / arch", () -> p + "  (os.name=" + System.getProperty("os.name") + ", os.arch="
                + System.getProperty("os.arch") + ")");
        fact(f, "kernel", () -> linux
                ? read("/proc/sys/kernel/osrelease")
                : "os.version=" + System.getProperty("os.version") + " (Darwin kernel release not read)");
        fact(f, "page size", () -> bytes(PosixOsMemory.get().pageSize()));
        fact(f, "huge page size", () -> linux ? bytes(hugePageSize()) : "none (macOS has no transparent huge pages)");
        fact(f, "CPUs", () -> CpuAffinity.onlineCpus() + " online, " + CpuAffinity.configuredCpus()
                + " configured, JVM availableProcessors " + Runtime.getRuntime().availableProcessors());
        fact(f, "this thread", () -> "tid " + CpuAffinity.threadId() + ", on CPU "
                + (LibC.hasSchedGetcpu() ? String.valueOf(CpuAffinity.currentCpu()) : "unknown (no sched_getcpu)"));
        fact(f, "affinity mask", () -> CpuAffinity.supported()
                ? CpuAffinity.format(CpuAffinity.mask())
                : "not supported on macOS (no thread-to-CPU binding API)");
        if (linux) {
            // The bracketed word is the active mode: "always [madvise] never".
            fact(f, "THP enabled", () -> selected(read("/sys/kernel/mm/transparent_hugepage/enabled")));
            fact(f, "THP defrag", () -> selected(read("/sys/kernel/mm/transparent_hugepage/defrag")));
            fact(f, "overcommit", () -> overcommit(read("/proc/sys/vm/overcommit_memory")));
            // tsc is fast; kvm-clock/hpet/acpi_pm make every System.nanoTime() a slower read or a syscall.
            fact(f, "clocksource", () -> read("/sys/devices/system/clocksource/clocksource0/current_clocksource"));
            fact(f, "max map count", () -> read("/proc/sys/vm/max_map_count") + " mappings (vm.max_map_count)");
            fact(f, "memory", () -> {
                String meminfo = read("/proc/meminfo");
                return bytes(ProcessMemory.kib(meminfo, "MemTotal:")) + " total, "
                        + bytes(ProcessMemory.kib(meminfo, "MemAvailable:")) + " available";
            });
        }
        fact(f, "JDK", () -> Runtime.version() + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("java.vm.name") + ")");
        fact(f, "java.home", () -> System.getProperty("java.home"));
        // A run under a collector debug mode measures that mode: say so before any figure is read.
        fact(f, "GC modes forced", () -> forcedModes(ForcedGcModes.get()));
        return f;
    }

    /** The "GC modes forced" fact: the entries every collector and heap of this JVM applies, or none. */
    static String forcedModes(ForcedGcModes forced) {
        return forced.any() ? forced + " (-D" + ForcedGcModes.PROPERTY + ")"
                : "none (-D" + ForcedGcModes.PROPERTY + " unset)";
    }

    private interface Fact {
        String get() throws Exception;
    }

    private static void fact(Map<String, String> f, String label, Fact fact) {
        String v;
        try {
            v = fact.get();
        } catch (Exception | LinkageError e) {
            v = "unavailable (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
        }
        f.put(label, v);
    }

    /** Transparent huge page size: the PMD size from sysfs, else Hugepagesize from /proc/meminfo. */
    static long hugePageSize() throws IOException {
        Path pmd = Path.of("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
        if (Files.isReadable(pmd)) {
            return Long.parseLong(ProcFiles.read(pmd).strip());
        }
        long kib = ProcessMemory.kib(ProcFiles.read(Path.of("/proc/meminfo")), "Hugepagesize:");
        if (kib < 0) {
            throw new IOException("neither " + pmd + " nor Hugepagesize in /proc/meminfo exists");
        }
        return kib;
    }

    /** "always [madvise] never" -> "madvise  (of always, madvise, never)". */
    static String selected(String line) {
        int open = line.indexOf('[');
        int close = line.indexOf(']', open + 1);
        if (open < 0 || close < 0) {
            return line;
        }
        return line.substring(open + 1, close) + "  (choices: " + line.replace("[", "").replace("]", "").replace(' ', '|') + ")";
    }

    static String overcommit(String mode) {
        String meaning = switch (mode) {
            case "0" -> "heuristic: obvious overcommits refused";
            case "1" -> "always: never refused";
            case "2" -> "strict: commit limited to swap + overcommit_ratio of RAM";
            default -> "unknown mode";
        };
        return mode + " (" + meaning + "; vm.overcommit_memory)";
    }

    static String bytes(long n) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        if (u < 0) {
            return n + " bytes";
        }
        String human = v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v);
        return n + " bytes (" + human + " " + units[u] + ")";
    }

    private static String read(String path) throws IOException {
        return ProcFiles.read(path).strip();
    }
}
