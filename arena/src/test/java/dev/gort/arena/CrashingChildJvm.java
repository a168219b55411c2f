package dev.gort.arena;


import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test's child main class in a JVM of its own, with gort's flags and the test class path,
 * expecting it to crash: no core dump, HotSpot's crash report written into {@code dir}. Shared by
 * the debug modes whose proof is a fault (efence, harddecommit).
 */
record CrashingChildJvm(int exitValue, String output, int crashReports) {

    static CrashingChildJvm run(Path dir, Class<?> main) throws Exception {
        return run(dir, main, new String[0]);
    }

    /** As {@link #run(Path, Class)}, with arguments for the child's main. */
    static CrashingChildJvm run(Path dir, Class<?> main, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-Xmx64m"));
        cmd.addAll(dev.gort.sys.ForcedGcModes.get().childJvmFlags());     // ./gort test --gc-mode reaches the child
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                main.getName()));
        cmd.addAll(List.of(args));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile())
                .start();
        // 180 s for children that finish in ~1 s alone: a suite starved by another session's
        // measurement ran arena tests 8-14 x slower and once took this child past 60 s.
        boolean finished = child.waitFor(180, TimeUnit.SECONDS);
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        if (!finished) {
            child.destroyForcibly();
            throw new AssertionError("child " + main.getSimpleName() + " did not finish in 180 s, output so far:\n" + out);
        }
        File[] reports = dir.toFile().listFiles((d, n) -> n.startsWith("hs_err_"));
        return new CrashingChildJvm(child.exitValue(), out, reports == null ? 0 : reports.length);
    }
}
