package dev.gort.testing;

import dev.gort.sys.ForcedGcModes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the {@code ./gort} launcher (bash) from a test as a user would: exit code, stdout, stderr.
 * The JVMs the launcher starts run under this JVM's forced collector modes ({@code ./gort test
 * --gc-mode=...}, {@code -Dgort.gc.force}): {@link ForcedGcModes#childJvmFlags()} go first in
 * {@code GORT_JAVA_OPTS}, which the launcher puts on every gort JVM it starts, and a caller's own
 * {@code GORT_JAVA_OPTS} (from {@code env} or inherited) comes after them and wins, as a test's
 * own {@code -D} does in the runtime's ChildJvm.
 */
public final class Launcher {
    private Launcher() {
    }

    /**
     * How long a launcher run may take before it is killed and failed: a hang guard, not a speed
     * bound. A {@code sys} run (bash, then a JVM) takes 1-6 s here, but in loaded suites (load
     * 33-60, sessions 14 and 22) the 60 s it had was passed; 300 s as {@code ChildOutput.await}.
     */
    static final int HANG_GUARD_SECONDS = 300;

    /** The launcher at the checkout's root (a module's tests run in the module's directory). */
    public static final Path GORT = Path.of("").toAbsolutePath().getParent().resolve("gort");

    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /** Runs {@code bash gort args} with {@code env} added, its gort JVMs under this JVM's forced modes. */
    public static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return run(GORT, ForcedGcModes.get(), env, args);
    }

    /**
     * Runs {@code bash script args} with {@code env} added, the JVMs it starts under {@code forced}
     * (tests of the inheritance pass a mode of their own, so they can fail in a plain run too).
     */
    public static Result run(Path script, ForcedGcModes forced, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(script), "the launcher is at " + script);
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        String opts = javaOpts(forced, pb.environment().get("GORT_JAVA_OPTS"));
        if (opts.isEmpty()) {
            pb.environment().remove("GORT_JAVA_OPTS");
        } else {
            pb.environment().put("GORT_JAVA_OPTS", opts);
        }
        // Both streams to files, as ChildJvm: reading the output before the timed wait would hang
        // the test on a launcher that hangs with its output open, instead of failing it.
        Path out = Files.createTempFile("gort-out", ".txt");
        Path err = Files.createTempFile("gort-err", ".txt");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            boolean ended = p.waitFor(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly();
            }
            assertTrue(ended, "the launcher finished within " + HANG_GUARD_SECONDS + " s: " + cmd + "; stderr so far: "
                    + Files.readString(err));
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.delete(out);
            Files.delete(err);
        }
    }

    /** GORT_JAVA_OPTS for the launcher's JVMs: {@code forced}'s flag first, then {@code own} (null: none). */
    public static String javaOpts(ForcedGcModes forced, String own) {
        List<String> words = new ArrayList<>(forced.childJvmFlags());
        if (own != null && !own.isBlank()) {
            words.add(own.strip());
        }
        return String.join(" ", words);
    }
}
