package dev.gort.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a fresh JVM with this test's classpath (Go's runTestProg): for fatal
 * cases, exit codes and start-up checks that must not touch the test JVM. The child runs under
 * this JVM's forced collector modes ({@code ./gort test --gc-mode=...}: the flag goes first, so a
 * test's own {@code -Dgort.gc.force} wins) and without the gort settings of this process's
 * environment (GOMAXPROCS, GOGC, ...: a test gives the child its own).
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** The two JVM flags every gort process needs (the root pom's gort.jvm.flags). */
    public static final List<String> GORT_FLAGS = List.of("--enable-native-access=ALL-UNNAMED", "--add-exports",
            "java.base/jdk.internal.vm=ALL-UNNAMED");

    public record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** {@code main} with {@link #GORT_FLAGS}, {@code env} added to the cleaned environment. */
    public static Result run(Class<?> main, Map<String, String> env, String... args) throws IOException, InterruptedException {
        return run(main, List.of(), env, args);
    }

    /** As above, with extra JVM flags after gort's (e.g. {@code -D} properties read into static finals). */
    public static Result run(Class<?> main, List<String> jvmFlags, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> flags = new ArrayList<>(GORT_FLAGS);
        flags.addAll(jvmFlags);
        return run(flags, env, main.getName(), args);
    }

    /** {@code mainClass} with exactly {@code jvmFlags} (tests of a missing flag pass none). */
    public static Result run(List<String> jvmFlags, Map<String, String> env, String mainClass, String... args)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(dev.gort.sys.ForcedGcModes.get().childJvmFlags());     // ./gort test --gc-mode reaches the child; a test's own -D comes later and wins
        // A small heap and C1 only (a child starts fast), before the caller's flags so a test's own wins
        // (CpuClockTest's child needs C2).
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        for (String k : List.of("GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GORT_DEBUG", "GORT_AFFINITY", "JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS")) {
            pb.environment().remove(k);
        }
        pb.environment().putAll(env);
        File out = File.createTempFile("gort-child", ".out");
        File err = File.createTempFile("gort-child", ".err");
        try {
            pb.redirectOutput(out).redirectError(err);
            Process p = pb.start();
            // A hang guard, not a speed bound: a child JVM on a loaded machine (load 30-60 in suites
            // beside others) can take minutes; 300 s as ChildOutput.await and the launcher's.
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM " + cmd + " did not finish within 300 s; stderr: "
                        + Files.readString(err.toPath(), StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                    Files.readString(err.toPath(), StandardCharsets.UTF_8));
        } finally {
            out.delete();
            err.delete();
        }
    }

    /**
     * A started child's merged output (the caller's ProcessBuilder sets redirectErrorStream), read
     * line by line until its end. Progress-based, not a speed bound: fails, killing the child, if it
     * prints nothing for {@code silenceNanos}, or if it does not exit within 60 s after its output
     * ended or exits non-zero (the message carries what it printed). For children that print as
     * they go and may run for minutes on a loaded machine (the stop path warm-up tests).
     */
    public static String outputWhileProgressing(Process p, long silenceNanos) throws InterruptedException {
        BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();   // an empty Optional: the end
        Thread reader = new Thread(() -> {
            try (java.io.BufferedReader r = new java.io.BufferedReader(
                    new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    lines.add(Optional.of(line));
                }
            } catch (IOException e) {
                lines.add(Optional.of("reading the child's output failed: " + e));
            } finally {
                lines.add(Optional.empty());
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
        StringBuilder out = new StringBuilder();
        try {
            for (Optional<String> line; (line = lines.poll(silenceNanos, TimeUnit.NANOSECONDS)) == null || line.isPresent();) {
                if (line == null) {
                    throw new AssertionError("the child printed nothing for " + silenceNanos / 1_000_000_000L + " s; it said:\n" + out);
                }
                out.append(line.get()).append('\n');
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("child did not exit after its output ended");
            }
        } finally {
            p.destroyForcibly();
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("child failed (exit " + p.exitValue() + "):\n" + out);
        }
        return out.toString();
    }
}
