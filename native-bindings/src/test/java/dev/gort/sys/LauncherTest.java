package dev.gort.sys;

import dev.gort.testing.Launcher;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ./gort launcher's paths that need no build: help, unknown commands, no usable JDK, and
 * {@code GORT_NO_BUILD=1} (the classes built already), under which a JVM the launcher starts is
 * seen to run under the forced collector modes of the JVM that ran the launcher.
 */
class LauncherTest {
    /** The JDK running this test, for the paths that need one. */
    private static final String JAVA_HOME = System.getProperty("java.home");

    private static Launcher.Result gort(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return Launcher.run(env, args);
    }

    @Test
    void helpListsEveryCommandAndNeedsNoJdk() throws Exception {
        Launcher.Result r = gort(Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", ""), "help");
        assertEquals(0, r.exit(), r.err());
        for (String cmd : List.of("test", "build", "sys", "bench [regex] [--quick]", "help", "JAVA_HOME", "GORT_JDK_SEARCH",
                "GORT_NO_BUILD")) {
            assertTrue(r.out().contains(cmd), "help mentions " + cmd + ":\n" + r.out());
        }
    }

    @Test
    void anUnknownCommandPrintsTheHelpAndFails() throws Exception {
        Launcher.Result r = gort(Map.of(), "frobnicate");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("gort: unknown command 'frobnicate'\nusage: ./gort <command>"), r.err());
    }

    @Test
    void testRefusesAnUnknownGcModeBeforeLookingForAJdk() throws Exception {
        Map<String, String> noJdk = Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", "");
        Launcher.Result r = gort(noJdk, "test", "--gc-mode=checkmrak");
        assertEquals(2, r.exit(), r.err());     // a usage refusal, as the Java side's
        assertEquals("gort: test: unknown --gc-mode 'checkmrak'; accepted: checkmark (gccheckmark=1), stw2 (gcstoptheworld=2), "
                + "poison (gcpoison=1), rotate (one of them per UTC day), none\n", r.err());
        assertEquals("", r.out(), "nothing was built or run");
        r = gort(Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", "", "GORT_GC_MODE", "stw3"), "test");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().startsWith("gort: test: unknown --gc-mode 'stw3'"), r.err());
        r = gort(noJdk, "test", "--gc-mode");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().startsWith("gort: test: --gc-mode needs a value"), r.err());
        // A known mode goes on to look for a JDK (and, with one, would run the suite).
        r = gort(noJdk, "test", "--gc-mode=stw2");
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().startsWith("gort: no JDK >= 22 found"), r.err());
    }

    /**
     * The script's usage refusals exit 2, as the Java side's (RunMain, DemoMain, a ConfigException),
     * and 1 stays for real failures: {@code run -cp} with no value exited 1 with "needs a classpath".
     */
    @Test
    void usageRefusalsExitTwoAndFailuresOne() throws Exception {
        Map<String, String> noJdk = Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", "");
        for (String cmd : List.of("run", "aot-train")) {
            for (String flag : List.of("-cp", "-classpath")) {
                Launcher.Result r = gort(noJdk, cmd, flag);
                assertEquals(2, r.exit(), r.toString());
                assertEquals("gort: " + cmd + ": " + flag + " needs a value; usage: ./gort " + cmd
                        + " [-cp <classpath>] <main class> [args]\n", r.err());
                assertEquals("", r.out(), "nothing was built or run");
            }
        }
        Launcher.Result r = gort(noJdk, "help");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("exit codes: 0 done; 2 a usage refusal"), r.out());
        // A failure, not a usage mistake: no JDK.
        r = gort(noJdk, "run", "-cp", "app.jar", "Main");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().startsWith("gort: no JDK >= 22 found"), r.err());
    }

    @Test
    void noFittingJdkSaysWhereItLookedAndHowToFixIt() throws Exception {
        Launcher.Result r = gort(Map.of("JAVA_HOME", "/nonexistent-jdk", "GORT_JDK_SEARCH", "/nonexistent-dir/*"), "sys");
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.err().startsWith("gort: no JDK >= 22 found"), r.err());
        assertTrue(r.err().contains("looked at: $JAVA_HOME, then /nonexistent-dir/*"), r.err());
        assertTrue(r.err().contains("found: JAVA_HOME=/nonexistent-jdk (version unknown)"), r.err());
        assertTrue(r.err().contains("fix: install JDK 25 and run with JAVA_HOME=/path/to/jdk-25 ./gort"), r.err());
        assertEquals("", r.out(), "nothing was built or run");
    }

    @Test
    void anOldJdkInTheSearchPathIsListedButNotUsed() throws Exception {
        Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
        assumeTrue(Files.isExecutable(jdk17.resolve("bin/javac")), "a JDK 17 is installed at " + jdk17);
        Launcher.Result r = gort(Map.of("JAVA_HOME", jdk17.toString(), "GORT_JDK_SEARCH", jdk17.toString()), "build");
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("found: JAVA_HOME=" + jdk17 + " (version 17)") && r.err().contains("found: " + jdk17 + " (version 17)"), r.err());
    }

    @Test
    void aJvmTheLauncherStartsRunsUnderTheForcedModesOfTheJvmThatRanIt() throws Exception {
        Map<String, String> built = Map.of("JAVA_HOME", JAVA_HOME, "GORT_NO_BUILD", "1");
        // A mode of the test's own, so this fails in a plain run too if the mode is not passed on.
        ForcedGcModes stw2 = new ForcedGcModes(ForcedGcModes.UNSET, 2, ForcedGcModes.UNSET);
        Launcher.Result r = Launcher.run(Launcher.GORT, stw2, built, "sys");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().matches("(?s).*\\n  GC modes forced +gcstoptheworld=2 \\(-Dgort.gc.force\\).*"), r.out());
        // This JVM's own (none in a plain run; the suite's under ./gort test --gc-mode=...).
        r = gort(built, "sys");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("  GC modes forced") && r.out().contains(SysInfo.forcedModes(ForcedGcModes.get())), r.out());
    }

    @Test
    void noBuildRefusesAValueItDoesNotKnowAndClassesNotBuilt() throws Exception {
        Launcher.Result r = gort(Map.of("JAVA_HOME", JAVA_HOME, "GORT_NO_BUILD", "yes"), "sys");
        assertEquals(2, r.exit(), r.toString());     // a setting's value refused: usage
        assertEquals("gort: GORT_NO_BUILD='yes'; accepted: 1 (run the classes already built, no Maven build) "
                + "or 0 (build first, the default)\n", r.err());
        assertEquals("", r.out(), "nothing was built or run");
        // A checkout with nothing built: the launcher alone in a directory of its own.
        Path dir = Files.createTempDirectory("gort-nobuild");
        Path script = Files.copy(Launcher.GORT, dir.resolve("gort"), StandardCopyOption.COPY_ATTRIBUTES);
        try {
            r = Launcher.run(script, ForcedGcModes.NONE, Map.of("JAVA_HOME", JAVA_HOME, "GORT_NO_BUILD", "1"), "sys");
            assertEquals(1, r.exit(), r.toString());
            assertEquals("gort: GORT_NO_BUILD=1 but native-bindings/target/classes is missing under " + dir
                    + " (needed for native-bindings): build first (./gort build) or unset GORT_NO_BUILD\n", r.err());
            assertEquals("", r.out());
            // The target's own classes are there but not a module its classpath needs: named, not a
            // ClassNotFoundException later.
            Path classes = Files.createDirectories(dir.resolve("native-bindings/target/classes"));
            try {
                r = Launcher.run(script, ForcedGcModes.NONE, Map.of("JAVA_HOME", JAVA_HOME, "GORT_NO_BUILD", "1"), "demo");
                assertEquals(1, r.exit(), r.toString());
                assertEquals("gort: GORT_NO_BUILD=1 but arena/target/classes is missing under " + dir
                        + " (needed for runtime): build first (./gort build) or unset GORT_NO_BUILD\n", r.err());
                assertEquals("", r.out());
            } finally {
                Files.delete(classes);
                Files.delete(classes.getParent());
                Files.delete(classes.getParent().getParent());
            }
        } finally {
            Files.delete(script);
            Files.delete(dir);
        }
    }
}
