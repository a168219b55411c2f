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

    /** Deletes the caches and their directory (20 MB or more a contender). */
    static void deleteCacheDirectory(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
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
