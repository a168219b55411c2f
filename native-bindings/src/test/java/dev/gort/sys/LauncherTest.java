package dev.gort.sys;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The ./gort launcher's paths that need no build: help, unknown commands, and no usable JDK. */
class LauncherTest {
    private static final Path GORT = Path.of("").toAbsolutePath().getParent().resolve("gort");

    private record Run(int exit, String out, String err) {
    }

    private static Run gort(Map<String, String> env, String... args) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(GORT), "the launcher is at " + GORT);
        ProcessBuilder pb = new ProcessBuilder(concat("bash", GORT.toString(), args));
        pb.environment().putAll(env);
        Path err = Files.createTempFile("gort-err", ".txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher finished");
        String e = Files.readString(err);
        Files.delete(err);
        return new Run(p.exitValue(), out, e);
    }

    private static List<String> concat(String a, String b, String[] rest) {
        List<String> l = new java.util.ArrayList<>(List.of(a, b));
        l.addAll(List.of(rest));
        return l;
    }

    @Test
    void helpListsEveryCommandAndNeedsNoJdk() throws Exception {
        Run r = gort(Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", ""), "help");
        assertEquals(0, r.exit, r.err);
        for (String cmd : List.of("test", "build", "sys", "bench [regex] [--quick]", "help", "JAVA_HOME", "GORT_JDK_SEARCH")) {
            assertTrue(r.out.contains(cmd), "help mentions " + cmd + ":\n" + r.out);
        }
    }

    @Test
    void anUnknownCommandPrintsTheHelpAndFails() throws Exception {
        Run r = gort(Map.of(), "frobnicate");
        assertEquals(2, r.exit);
        assertTrue(r.err.startsWith("gort: unknown command 'frobnicate'\nusage: ./gort <command>"), r.err);
    }

    @Test
    void testRefusesAnUnknownGcModeBeforeLookingForAJdk() throws Exception {
        Map<String, String> noJdk = Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", "");
        Run r = gort(noJdk, "test", "--gc-mode=checkmrak");
        assertEquals(1, r.exit, r.err);
        assertEquals("gort: test: unknown --gc-mode 'checkmrak'; accepted: checkmark (gccheckmark=1), stw2 (gcstoptheworld=2), "
                + "poison (gcpoison=1), rotate (one of them per UTC day), none\n", r.err);
        assertEquals("", r.out, "nothing was built or run");
        r = gort(Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", "", "GORT_GC_MODE", "stw3"), "test");
        assertEquals(1, r.exit, r.err);
        assertTrue(r.err.startsWith("gort: test: unknown --gc-mode 'stw3'"), r.err);
        r = gort(noJdk, "test", "--gc-mode");
        assertEquals(1, r.exit, r.err);
        assertTrue(r.err.startsWith("gort: test: --gc-mode needs a value"), r.err);
        // A known mode goes on to look for a JDK (and, with one, would run the suite).
        r = gort(noJdk, "test", "--gc-mode=stw2");
        assertEquals(1, r.exit, r.err);
        assertTrue(r.err.startsWith("gort: no JDK >= 22 found"), r.err);
    }

    @Test
    void noFittingJdkSaysWhereItLookedAndHowToFixIt() throws Exception {
        Run r = gort(Map.of("JAVA_HOME", "/nonexistent-jdk", "GORT_JDK_SEARCH", "/nonexistent-dir/*"), "sys");
        assertEquals(1, r.exit, r.out + r.err);
        assertTrue(r.err.startsWith("gort: no JDK >= 22 found"), r.err);
        assertTrue(r.err.contains("looked at: $JAVA_HOME, then /nonexistent-dir/*"), r.err);
        assertTrue(r.err.contains("found: JAVA_HOME=/nonexistent-jdk (version unknown)"), r.err);
        assertTrue(r.err.contains("fix: install JDK 25 and run with JAVA_HOME=/path/to/jdk-25 ./gort"), r.err);
        assertEquals("", r.out, "nothing was built or run");
    }

    @Test
    void anOldJdkInTheSearchPathIsListedButNotUsed() throws Exception {
        Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
        assumeTrue(Files.isExecutable(jdk17.resolve("bin/javac")), "a JDK 17 is installed at " + jdk17);
        Run r = gort(Map.of("JAVA_HOME", jdk17.toString(), "GORT_JDK_SEARCH", jdk17.toString()), "build");
        assertEquals(1, r.exit, r.err);
        assertTrue(r.err.contains("found: JAVA_HOME=" + jdk17 + " (version 17)") && r.err.contains("found: " + jdk17 + " (version 17)"), r.err);
    }
}
