package dev.gort.bench.gc;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * BinaryTreesRun's {@code -Dgort.bench.aot=DEPTH}: every contender, the JVM-heap ones as gort's,
 * first runs binary-trees at DEPTH with its own flags and writes a JDK 25 AOT cache
 * ({@code -XX:AOTCacheOutput}, JEP 514), then its measured run starts from that cache with the
 * eager compilation of what the cache has profiles for (the launcher's {@code GORT_AOT_EAGER=1}
 * flags; README, "Start-up and the JIT: an AOT cache"). Each contender gets the same chance, so the
 * table's ratios still compare collectors. Off by default (unset or empty).
 */
final class AotTraining {
    private AotTraining() {
    }

    static final String PROPERTY = "gort.bench.aot";

    /** HotSpot's eager compilation from the cache's profiles, experimental / diagnostic flags of JDK 25. */
    static final List<String> EAGER = List.of("-XX:+UnlockExperimentalVMOptions", "-XX:+AOTCompileEagerly",
            "-XX:+UnlockDiagnosticVMOptions", "-XX:+SkipTier2IfPossible");

    /** The training depth, 0 for none: a whole depth in 4..{@link BinaryTreesRun#MAX_DEPTH}, or an error naming what is accepted. */
    static int trainingDepth(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        int d;
        try {
            d = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            d = -1;
        }
        if (d < BinaryTrees.MIN_DEPTH || d > BinaryTreesRun.MAX_DEPTH) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not valid; accepted: the depth of each contender's"
                    + " training run, a whole number " + BinaryTrees.MIN_DEPTH + ".." + BinaryTreesRun.MAX_DEPTH
                    + " (e.g. 18), or unset for no AOT cache");
        }
        return d;
    }

    /**
     * Refuses a class path the JVM cannot cache: it refuses a non-empty directory when it writes the
     * cache, so every entry must be a file (the jars: benchmarks/target/gort-benchmarks-*.jar and
     * benchmarks/target/classpath.txt's).
     */
    static void checkClassPath(String classPath) {
        for (String e : classPath.split(File.pathSeparator)) {
            if (!e.isEmpty() && !Files.isRegularFile(Path.of(e))) {
                throw new IllegalArgumentException("-D" + PROPERTY + " needs a class path of JAR files (the JVM refuses a directory in a"
                        + " cached class path), and '" + e + "' is not a file: run with benchmarks/target/gort-benchmarks-*.jar and the"
                        + " jars listed in benchmarks/target/classpath.txt");
            }
        }
    }

    /** Checks {@code classPath} ({@link #checkClassPath}) and makes a directory for the contenders' caches. */
    static Path cacheDirectory(String classPath) throws IOException {
        checkClassPath(classPath);
        return Files.createTempDirectory("binarytrees-aot");
    }

    /** The body of a run that may write caches into a directory (null when no cache is asked for). */
    interface CacheUser {
        void run(Path dir) throws Exception;
    }

    /**
     * Runs {@code body} with a fresh cache directory when {@code depth > 0} (null otherwise), and
     * deletes the directory and its caches (20 MB or more a contender) however the body ends: a run
     * that threw (a contender's output it could not parse, an interrupt) left them in /tmp. A
     * failure to delete is reported on stderr naming the directory, and does not hide the body's
     * own exception.
     */
    static void withCacheDirectory(String classPath, int depth, CacheUser body) throws Exception {
        Path dir = depth > 0 ? cacheDirectory(classPath) : null;
        try {
            body.run(dir);
        } finally {
            if (dir != null) {
                try {
                    deleteCacheDirectory(dir);
                } catch (IOException e) {
                    System.err.println("BinaryTreesRun: could not delete the AOT cache directory " + dir + ": " + e);
                }
            }
        }
    }

    /** Deletes the caches (and any partial file a killed training left) and their directory. */
    static void deleteCacheDirectory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    static final String TIMEOUT_PROPERTY = "gort.bench.aot.timeout";

    /** Default bound of one training run: depth 19 took 73 s starved beside measurements (session 16); 21 ~20 s quiet. */
    static final int DEFAULT_TIMEOUT_SECONDS = 600;

    /**
     * {@code -Dgort.bench.aot.timeout=SECONDS}: how long one contender's training run may take
     * before it is killed, a whole number 1..86400 (default 600), or an error naming what is accepted.
     */
    static int trainingTimeoutSeconds(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_TIMEOUT_SECONDS;
        }
        int s;
        try {
            s = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            s = -1;
        }
        if (s < 1 || s > 86_400) {
            throw new IllegalArgumentException("-D" + TIMEOUT_PROPERTY + "=" + value + " is not valid; accepted: the seconds one"
                    + " contender's AOT training run may take before it is killed, a whole number 1..86400 (default "
                    + DEFAULT_TIMEOUT_SECONDS + ")");
        }
        return s;
    }

    /**
     * Runs one training command (its output discarded) for at most {@code timeoutSeconds}; returns
     * null when it exited 0 and wrote {@code cache}, else why not, for the contender's row. On
     * timeout the child is killed (and waited for, so it writes nothing after) and the reason says
     * so: an unbounded wait let one stuck training hold the whole table.
     */
    static String train(List<String> cmd, Path cache, int timeoutSeconds) throws IOException, InterruptedException {
        Process t = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        boolean ended;
        try {
            ended = t.waitFor(timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            t.destroyForcibly().waitFor();
            throw e;
        }
        if (!ended) {
            t.destroyForcibly().waitFor();
            Files.deleteIfExists(cache);
            return "AOT training timed out after " + timeoutSeconds + " s and was killed (-D" + TIMEOUT_PROPERTY + "=SECONDS)";
        }
        int code = t.exitValue();
        if (code != 0 || !Files.isRegularFile(cache)) {
            return "AOT training: exit " + code + (Files.isRegularFile(cache) ? "" : ", no cache");
        }
        return null;
    }

    /** The training run's extra flags: it writes {@code cache} when it exits. */
    static List<String> trainFlags(Path cache) {
        return List.of("-XX:AOTCacheOutput=" + cache);
    }

    /**
     * The measured run's extra flags: {@code cache} mapped or the JVM exits ({@code AOTMode=on}), so
     * a row never measures a contender that silently ran without it; then {@link #EAGER}.
     */
    static List<String> useFlags(Path cache) {
        List<String> flags = new ArrayList<>(List.of("-XX:AOTCache=" + cache, "-XX:AOTMode=on"));
        flags.addAll(EAGER);
        return flags;
    }
}
