package dev.gort.bench.gc;

import dev.gort.sys.ForcedGcModes;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link BinaryTrees} in separate JVMs: gort, then the JVM heap with G1 (default, and with a
 * fixed pretouched heap: its steady state), ParallelGC and ZGC, and prints a markdown table with
 * ratios to default G1 (the targets: wall <= G1, peak RSS <= G1/5, max STW pause < 1 ms).
 * Under the table, each gort row's host JVM collections of its own Java heap (count and ms): they
 * stop the mutator as safepoints but are not gort pauses, so no pause column counts them.
 *
 * <p>The gort contender runs under this JVM's forced collector modes ({@code -Dgort.gc.force},
 * {@link ForcedGcModes#childJvmFlags()}, said in the table's heading), so a harness run under a
 * debug mode measures that mode, not the plain collector. The JVM-heap contenders run no gort
 * code (BinaryTrees' {@code jvm} mode allocates Java objects): the property means nothing to them
 * and is not passed.
 *
 * <p>{@code -Dgort.bench.aot=TRAIN_DEPTH} runs every contender from a JDK 25 AOT cache it trained at
 * that depth with its own flags ({@link AotTraining}); the class path must then be JAR files. Each
 * training run is killed after {@code -Dgort.bench.aot.timeout=SECONDS} (default 600; its row then
 * says so), and the caches' directory is deleted however the run ends.
 *
 * <p>{@code -Dgort.bench.rtstop=N} (SCHED_FIFO priority 1..99; 0 or unset: no such row) adds a second
 * gort row run with the collector's opt-in real-time stop ({@code -Dgort.gc.stopper.rtprio=N}). It
 * needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least N; the child says how many stops it made boosted,
 * and a row whose child made none (refused) is named so.
 *
 * <p>Each child logs its JVM's own safepoints ({@link SafepointStats#LOG_FLAG}); a line per row under
 * the table says how many, how many over 1 ms and the longest: for the JVM-heap rows mostly their
 * collector's pauses, for the gort rows what stops the mutator besides gort's pauses (the host JVM
 * collecting the runtime's own Java objects, deoptimizations).
 *
 * <pre>java -cp ... dev.gort.bench.gc.BinaryTreesRun [DEPTH ...]   (default 18)</pre>
 */
public final class BinaryTreesRun {
    public static void main(String[] args) throws Exception {
        List<Integer> depths = new ArrayList<>();
        for (String a : args) {
            depths.add(parseDepth(a));
        }
        if (depths.isEmpty()) {
            depths.add(18);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        ForcedGcModes forced = ForcedGcModes.get();
        int aotDepth = AotTraining.trainingDepth(System.getProperty(AotTraining.PROPERTY));
        int aotTimeout = AotTraining.trainingTimeoutSeconds(System.getProperty(AotTraining.TIMEOUT_PROPERTY));
        AotTraining.withCacheDirectory(cp, aotDepth, aotDir -> runDepths(depths, java, cp, forced, aotDepth, aotTimeout, aotDir));
        System.out.println("\n(one run each, shared 2-core machine: compare within the table; load average at the end: "
                + loadAverage() + ")");
    }

    /** The tables, one per depth; {@code aotDir} holds the contenders' caches (null: no cache). */
    private static void runDepths(List<Integer> depths, String java, String cp, ForcedGcModes forced, int aotDepth, int aotTimeout,
            java.nio.file.Path aotDir) throws Exception {
        for (int depth : depths) {
            Map<String, List<String>> contenders = contenders(depth, RT_STOP_PRIORITY, memoryLimitRow());
            System.out.println("\n### binary-trees depth " + depth + " (load average " + loadAverage() + ")"
                    + (forced.any() ? ", gort forced to " + forced + " (-D" + ForcedGcModes.PROPERTY + ")" : "")
                    + (aotDepth > 0 ? ", every contender from an AOT cache it trained at depth " + aotDepth + " (-D" + AotTraining.PROPERTY
                            + ", eager compilation)" : "") + "\n");
            System.out.println("| run | wall ms | peak RSS MB | GCs | STW pauses | max pause us | p99 pause us "
                    + "| max stop us | max in-pause work us (wall / cpu) | wall / G1 | RSS / G1 | mutator CPU ms | process CPU ms |");
            System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            Map<String, Map<String, Long>> results = new LinkedHashMap<>();
            Map<String, String> safepointNotes = new LinkedHashMap<>();
            int contender = 0;
            for (var e : contenders.entrySet()) {
                // Every contender returns the JVM's freed malloc memory to the OS once a second
                // (a JDK product flag an embedder that cares about RSS would set): glibc otherwise
                // keeps what C2's compiler arenas freed, 10-15 MiB of the gort JVM's peak RSS
                // (docs/performance.md, Session 10, branch rss). Same flag for all, so the ratios
                // compare the collectors, not malloc's retention.
                List<String> cmd = command(java, cp, e.getValue(), depth, forced);
                if (aotDir != null) {
                    var cache = aotDir.resolve("contender-" + (contender++) + ".aot");
                    String failed = AotTraining.train(command(java, cp, e.getValue(), aotDepth, forced, AotTraining.trainFlags(cache)),
                            cache, aotTimeout);
                    if (failed != null) {
                        System.out.println("| " + e.getKey() + " | failed (at depth " + aotDepth + ": " + failed + ") | | | | | | | | | | | |");
                        continue;
                    }
                    cmd = command(java, cp, e.getValue(), depth, forced, AotTraining.useFlags(cache));
                }
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                Map<String, Long> r = new LinkedHashMap<>();
                SafepointStats safepoints = new SafepointStats();
                try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                    String line;
                    while ((line = br.readLine()) != null) {
                        if (safepoints.accept(line)) {
                            continue;
                        }
                        if (line.startsWith("RESULT ")) {
                            for (String kv : line.substring(7).split(" ")) {
                                String[] p2 = kv.split("=");
                                if (p2.length == 2 && p2[1].matches("-?\\d+")) {
                                    r.put(p2[0], Long.parseLong(p2[1]));
                                }
                            }
                        } else if (!line.contains("\t") || line.startsWith("worst ")) {
                            System.err.println("  [" + e.getKey() + "] " + line);
                        }
                    }
                }
                int code = p.waitFor();
                if (code != 0 || r.isEmpty()) {
                    System.out.println("| " + e.getKey() + " | failed (exit " + code + ") | | | | | | | | | | | |");
                    continue;
                }
                String row = e.getKey().startsWith(GORT_RT_STOP) && r.getOrDefault("rt_stops", 0L) <= 0
                        ? e.getKey() + " (refused: ran unboosted)" : e.getKey();
                results.put(row, r);
                safepointNotes.put(row, safepoints.note());
            }
            Map<String, Long> g1 = results.get("JVM G1");
            for (var e : results.entrySet()) {
                Map<String, Long> r = e.getValue();
                String wr = g1 == null ? "" : String.format("%.2f", (double) r.get("wall_ms") / Math.max(1, g1.get("wall_ms")));
                String rr = g1 == null ? "" : String.format("%.2f", (double) r.get("peak_rss_mb") / Math.max(1, g1.get("peak_rss_mb")));
                String stop = r.getOrDefault("max_stop_us", -1L) < 0 ? "" : Long.toString(r.get("max_stop_us"));
                String work = r.getOrDefault("max_work_us", -1L) < 0 ? ""
                        : r.get("max_work_us") + " / " + r.getOrDefault("max_work_cpu_us", -1L);
                System.out.printf("| %s | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s |%n", e.getKey(), r.get("wall_ms"),
                        r.get("peak_rss_mb"), r.get("gcs"), r.get("pauses"), r.get("max_pause_us"), r.get("p99_pause_us"),
                        stop, work, wr, rr, r.getOrDefault("mutator_cpu_ms", -1L), r.getOrDefault("process_cpu_ms", -1L));
            }
            for (var e : results.entrySet()) {
                String host = hostCollectionsNote(e.getKey(), e.getValue());
                if (host != null) {
                    System.out.println(host);
                }
            }
            System.out.println();
            for (var e : safepointNotes.entrySet()) {
                System.out.println(e.getKey() + ": " + e.getValue());
            }
        }
    }

    /**
     * The note under the table for a gort row: its host JVM's own Java-heap collections over the run
     * (BinaryTrees' host_gcs / host_gc_ms), and its start-up (startup_ms) where given. They stop the mutator thread as a safepoint, but they are
     * not gort pauses, so the pause columns do not count them; null for rows without the figures
     * (the JVM-heap rows, whose collections are their pauses, or an older BinaryTrees).
     */
    static String hostCollectionsNote(String row, Map<String, Long> r) {
        long n = r.getOrDefault("host_gcs", -1L), ms = r.getOrDefault("host_gc_ms", -1L);
        if (n < 0 || ms < 0) {
            return null;
        }
        long startup = r.getOrDefault("startup_ms", -1L);
        return "\n" + row + ": its host JVM collected its own Java heap " + n + " times, " + ms
                + " ms in all (safepoints that stop the mutator too; not gort pauses, not in the pause columns)"
                + (startup >= 0 ? "; start-up (JVM start to the first tree) " + startup + " ms" : "");
    }

    /** The contenders at one depth: name -> JVM flags, then BinaryTrees' mode ({@code gort} or {@code jvm}). */
    static Map<String, List<String>> contenders(int depth) {
        return contenders(depth, 0);
    }

    /** As above, with a second gort row at the real-time stop's priority {@code rtStop} (0: none). */
    static Map<String, List<String>> contenders(int depth, int rtStop) {
        return contenders(depth, rtStop, null);
    }

    /**
     * As above, with one more gort row under a soft memory limit {@code gomemlimit} (Go's syntax;
     * null: no such row): the default row with {@code -Dgort.gomemlimit}, what the limit gives for
     * RSS, wall and pauses. An extra, labelled row: the figure is the default row's.
     */
    static Map<String, List<String>> contenders(int depth, int rtStop, String gomemlimit) {
        Map<String, List<String>> contenders = new LinkedHashMap<>();
        // The gort run's data lives in the arena; its JVM needs a Java heap only for start-up (class
        // loading, JFR, the harness: three 8 MB young collections in the first second) and allocates
        // none in steady state, so a small young generation keeps untouched eden out of its RSS.
        contenders.put("gort (ThreadWorld, GOGC=100, -Xmx64m -Xmn8m)", List.of("-Xmx64m", "-Xmn8m", "-XX:+UseSerialGC", "gort"));
        if (rtStop > 0) {
            // The same run with the coordinator (and mutators late to a stop) at SCHED_FIFO over each
            // stop: a pause step's thread is then not switched out behind a JIT compiler thread or
            // another process (docs/performance.md, "Session 23, lead").
            contenders.put(GORT_RT_STOP + " " + rtStop + ", -Dgort.gc.stopper.rtprio=" + rtStop + ")",
                    List.of("-Xmx64m", "-Xmn8m", "-XX:+UseSerialGC", "-Dgort.gc.stopper.rtprio=" + rtStop, "gort"));
        }
        if (gomemlimit != null) {
            contenders.put(GORT_MEMORY_LIMIT + gomemlimit + " (extra row, not the issue's)",
                    List.of("-Xmx64m", "-Xmn8m", "-XX:+UseSerialGC", "-Dgort.gomemlimit=" + gomemlimit, "gort"));
        }
        contenders.put("JVM G1", List.of("-XX:+UseG1GC", "jvm"));
        // G1 in steady state: a growing heap pays a first touch of every page it grows into, and
        // on this VM that costs 35-135 us a 4 KiB page (the host backs guest memory only when
        // touched): G1's default depth-21 run takes 500-670 K such faults and 4-5 s of system time
        // in its ~12 s of mutator CPU. Pretouched (inside the JVM's start-up, not the program's
        // wall), the same program's mutator CPU is 2-3 s (docs/performance.md, "Session 15,
        // lead"). Both rows are shown; the ratios stay against default G1, the issue's peer.
        String heap = pretouchedHeap(depth);
        contenders.put(G1_PRETOUCHED + " " + heap, List.of("-XX:+UseG1GC", "-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch", "jvm"));
        contenders.put("JVM ParallelGC", List.of("-XX:+UseParallelGC", "jvm"));
        contenders.put("JVM ZGC", List.of("-XX:+UseZGC", "jvm"));
        return contenders;
    }

    /** The start of the memory-limit row's name; the limit follows it. */
    static final String GORT_MEMORY_LIMIT = "gort, GOMEMLIMIT=";

    /**
     * {@code -Dgort.bench.gomemlimit=SIZE}: the memory-limit row's limit in Go's syntax (e.g.
     * {@code 300MiB}), null for no such row (unset or blank); a malformed one is refused before any
     * contender runs, naming the key and the accepted form.
     */
    static String memoryLimitRow() {
        String v = System.getProperty("gort.bench.gomemlimit");
        if (v == null || v.isBlank()) {
            return null;
        }
        BinaryTrees.memoryLimit(null, v.trim());      // refuses a bad value now, not in the child
        return v.trim();
    }

    /** The start of the real-time stop row's name; its priority and flag follow it. */
    static final String GORT_RT_STOP = "gort, real-time stop (SCHED_FIFO";
    /** {@code -Dgort.bench.rtstop}: the real-time stop row's priority, 0 for no such row (malformed: warned, 0). */
    static final int RT_STOP_PRIORITY = dev.gort.sys.RealtimeBoost.priorityFromProperty("gort.bench.rtstop");

    /** The row name of G1 with a fixed, pretouched heap; the heap size follows it. */
    static final String G1_PRETOUCHED = "JVM G1, fixed pretouched heap";

    /**
     * The pretouched G1 heap for a depth: above the default G1 run's peak RSS at that depth (depth
     * 21: 2.4-3.5 GB; each level doubles the trees), so the fixed heap does not make G1 collect
     * more often than it would.
     */
    static String pretouchedHeap(int depth) {
        return depth >= 22 ? "8g" : depth == 21 ? "4g" : depth >= 19 ? "2g" : "1g";
    }

    /** The deepest tree run: depth 22's default G1 run already needs ~6 GB, this 2-core, 24 GB machine's sensible limit. */
    static final int MAX_DEPTH = 22;

    /** A depth argument, or an error naming what is accepted (BinaryTrees' minimum depth is 4). */
    static int parseDepth(String arg) {
        int d;
        try {
            d = Integer.parseInt(arg.trim());
        } catch (NumberFormatException e) {
            d = -1;
        }
        if (d < BinaryTrees.MIN_DEPTH || d > MAX_DEPTH) {
            throw new IllegalArgumentException("BinaryTreesRun depth \"" + arg + "\" is not valid; accepted: whole depths " + BinaryTrees.MIN_DEPTH + ".."
                    + MAX_DEPTH + " (default 18), e.g. BinaryTreesRun 18 21");
        }
        return d;
    }

    /**
     * One contender's command line: {@code contender} is its JVM flags then BinaryTrees' mode
     * ({@code gort} or {@code jvm}). The gort contender gets the allocation-call flags
     * ({@link dev.gort.JvmFlags#ALLOCATION_CALL}) and {@code forced}'s flag before its own
     * (a contender's own {@code -D} would win); a {@code jvm} one never does (no gort code runs).
     */
    static List<String> command(String java, String cp, List<String> contender, int depth, ForcedGcModes forced) {
        return command(java, cp, contender, depth, forced, List.of());
    }

    /** As above, with {@code extra} after the contender's own flags (an AOT cache's, {@link AotTraining}). */
    static List<String> command(String java, String cp, List<String> contender, int depth, ForcedGcModes forced, List<String> extra) {
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "-XX:TrimNativeHeapInterval=1000",
                SafepointStats.LOG_FLAG, "-cp", cp));
        String mode = contender.getLast();
        if (!mode.equals("jvm")) {
            cmd.addAll(dev.gort.JvmFlags.ALLOCATION_CALL);
            cmd.addAll(forced.childJvmFlags());
        }
        cmd.addAll(contender.subList(0, contender.size() - 1));
        cmd.addAll(extra);
        cmd.add(BinaryTrees.class.getName());
        cmd.add(mode);
        cmd.add(Integer.toString(depth));
        return cmd;
    }

    /** The 1, 5 and 15-minute load averages (/proc/loadavg), or "?" off Linux. */
    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "?";
        }
    }

    private record Path() {
        static java.nio.file.Path of(String first, String... more) {
            return java.nio.file.Path.of(first, more);
        }
    }
}
