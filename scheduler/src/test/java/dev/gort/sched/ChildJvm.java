package dev.gort.sched;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a class's main in a fresh JVM (Go's runTestProg): the same java, the same classpath, the two
 * JVM flags gort needs. For fatal paths that end the process (exit code 2, the report on stderr).
 */
final class ChildJvm {
    private ChildJvm() {
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    static Result run(Class<?> main, Map<String, String> env, String... args) throws Exception {
        return run(main, List.of(), env, args);
    }

    /** As above, with extra JVM flags (e.g. {@code -D} properties read into static finals). */
    static Result run(Class<?> main, List<String> jvmFlags, Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(jvmFlags);
        cmd.addAll(dev.gort.sys.ForcedGcModes.get().childJvmFlags());     // ./gort test --gc-mode reaches the child
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        File out = File.createTempFile("gort-child", ".out");
        File err = File.createTempFile("gort-child", ".err");
        try {
            pb.redirectOutput(out).redirectError(err);
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM " + main.getName() + " did not finish in 60 s; stderr: "
                        + Files.readString(err.toPath(), StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                    Files.readString(err.toPath(), StandardCharsets.UTF_8));
        } finally {
            out.delete();
            err.delete();
        }
    }
}
