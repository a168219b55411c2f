package dev.gort.cli;

import dev.gort.sys.ForcedGcModes;
import dev.gort.testing.Launcher;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The launcher's AOT cache ({@code ./gort aot-train}, {@code GORT_AOT_CACHE} for {@code run}): the
 * settings it refuses before looking for a JDK, and, in a checkout of its own whose module jars this
 * test makes from the built classes, a cache refused when its fingerprint is not the jars' (JDK 25
 * would map it and run the classes it recorded). With {@code -Dgort.test.aot=true} also a real
 * cache trained, used (the JVM says it mapped it) and refused once a jar changed: two training JVMs,
 * ~6 s of CPU, which a machine starved by another session's measurement can stretch past the
 * launcher's 60 s, so not in the default suite.
 */
class AotCacheLauncherTest {
    private static final String JAVA_HOME = System.getProperty("java.home");
    /** No JDK anywhere: a refusal that comes before the JDK lookup is all these runs can reach. */
    private static final Map<String, String> NO_JDK = Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", "");
    private static final List<String> MODULES = List.of("native-bindings", "arena", "scheduler", "net", "collector", "sysmon", "runtime");

    private static Launcher.Result gort(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return Launcher.run(env, args);
    }

    private static Map<String, String> with(Map<String, String> env, String k, String v) {
        var m = new java.util.HashMap<>(env);
        m.put(k, v);
        return m;
    }

    /** A refusal of a file that is not there (exit 1, a failure). */
    private static void assertRefused(Launcher.Result r, String err) {
        assertRefused(1, r, err);
    }

    /** A usage refusal: a missing argument, a setting's value outside what it accepts (exit 2). */
    private static void assertUsageRefused(Launcher.Result r, String err) {
        assertRefused(2, r, err);
    }

    private static void assertRefused(int exit, Launcher.Result r, String err) {
        assertEquals(exit, r.exit(), r.toString());
        assertEquals("gort: " + err + "\n", r.err());
        assertEquals("", r.out(), "nothing was built or run");
    }

    @Test
    void helpNamesTheCommandAndItsVariables() throws Exception {
        Launcher.Result r = gort(NO_JDK, "help");
        assertEquals(0, r.exit(), r.err());
        for (String s : List.of("aot-train [-cp <jars>] <main class> [args]", "GORT_AOT_CACHE", "GORT_AOT_EAGER")) {
            assertTrue(r.out().contains(s), "help mentions " + s + ":\n" + r.out());
        }
    }

    @Test
    void trainingRefusesAMissingCacheFileOrMainClassAndAClassPathOfDirectories() throws Exception {
        Path dir = Files.createTempDirectory("gort-aot");
        try {
            String cache = dir.resolve("app.aot").toString();
            assertUsageRefused(gort(NO_JDK, "aot-train", "Main"), "aot-train: GORT_AOT_CACHE is not set; accepted: the file to write the cache to,"
                    + " e.g. GORT_AOT_CACHE=$PWD/app.aot ./gort aot-train <main class> [args]");
            assertUsageRefused(gort(with(NO_JDK, "GORT_AOT_CACHE", cache), "aot-train"),
                    "aot-train: no main class; usage: GORT_AOT_CACHE=app.aot ./gort aot-train [-cp <jars>] <main class> [args]");
            assertUsageRefused(gort(with(NO_JDK, "GORT_AOT_CACHE", dir.toString()), "aot-train", "Main"),
                    "GORT_AOT_CACHE='" + dir + "' is a directory; accepted: a file (the cache aot-train writes, e.g. app.aot)");
            assertRefused(gort(with(NO_JDK, "GORT_AOT_CACHE", dir.resolve("no/app.aot").toString()), "aot-train", "Main"),
                    "GORT_AOT_CACHE='" + dir.resolve("no/app.aot") + "': directory " + dir.resolve("no")
                            + " does not exist; accepted: a file in an existing directory");
            assertUsageRefused(gort(with(NO_JDK, "GORT_AOT_CACHE", cache), "aot-train", "-cp", dir.toString(), "Main"),
                    "aot-train: class path entry '" + dir + "' is a directory; with GORT_AOT_CACHE the class path accepts only JAR files"
                            + " (the JVM refuses a directory in a cached class path): jar cf app.jar -C '" + dir + "' .");
            assertRefused(gort(with(NO_JDK, "GORT_AOT_CACHE", cache), "aot-train", "-cp", dir.resolve("app.jar").toString(), "Main"),
                    "aot-train: class path entry '" + dir.resolve("app.jar") + "' does not exist; with GORT_AOT_CACHE the class path"
                            + " accepts only existing JAR files");
            assertUsageRefused(gort(Map.of("JAVA_HOME", "/nonexistent", "GORT_JDK_SEARCH", "", "GORT_AOT_CACHE", cache, "GORT_AOT_EAGER", "yes"),
                    "aot-train", "Main"), "GORT_AOT_EAGER='yes'; accepted: 1 (compile what the cache has a profile for when its class"
                    + " is initialized, the default) or 0 (when its counters say so, as without a cache)");
            // Settings it takes go on to look for a JDK.
            Launcher.Result r = gort(with(NO_JDK, "GORT_AOT_CACHE", cache), "aot-train", "Main");
            assertEquals(1, r.exit(), r.toString());
            assertTrue(r.err().startsWith("gort: no JDK >= 22 found"), r.err());
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    void runRefusesACacheThatIsNotThereOrHasNoFingerprint() throws Exception {
        Path dir = Files.createTempDirectory("gort-aot");
        Path cache = dir.resolve("app.aot");
        try {
            assertRefused(gort(with(NO_JDK, "GORT_AOT_CACHE", cache.toString()), "run", "Main"), "GORT_AOT_CACHE='" + cache
                    + "' does not exist; make it with GORT_AOT_CACHE=" + cache + " ./gort aot-train <main class> [args], or unset GORT_AOT_CACHE");
            Files.writeString(cache, "not a cache");
            assertRefused(gort(with(NO_JDK, "GORT_AOT_CACHE", cache.toString()), "run", "Main"), "GORT_AOT_CACHE='" + cache
                    + "' has no " + cache + ".sum beside it (aot-train writes one: the jars and JDK it was made from); make it again with ./gort aot-train");
            Files.writeString(dir.resolve("app.aot.sum"), "0\n");
            assertUsageRefused(gort(with(NO_JDK, "GORT_AOT_CACHE", cache.toString()), "run", "-cp", dir.toString(), "Main"),
                    "run: class path entry '" + dir + "' is a directory; with GORT_AOT_CACHE the class path accepts only JAR files"
                            + " (the JVM refuses a directory in a cached class path): jar cf app.jar -C '" + dir + "' .");
        } finally {
            Files.deleteIfExists(dir.resolve("app.aot.sum"));
            Files.deleteIfExists(cache);
            Files.delete(dir);
        }
    }

    @Test
    void runRefusesACacheWhoseFingerprintIsNotTheJars() throws Exception {
        Path root = checkout();
        try {
            Path cache = Files.writeString(root.resolve("app.aot"), "not a cache");
            Files.writeString(root.resolve("app.aot.sum"), "0\n");
            Map<String, String> env = Map.of("JAVA_HOME", JAVA_HOME, "GORT_NO_BUILD", "1", "GORT_AOT_CACHE", cache.toString());
            Launcher.Result r = Launcher.run(root.resolve("gort"), ForcedGcModes.get(), env, "run", "dev.gort.sys.SysInfo");
            assertRefused(r, "run: GORT_AOT_CACHE='" + cache + "' was made from other jars or another JDK than this run's (a stale cache"
                    + " would run the classes it recorded, not the jars'); make it again with ./gort aot-train, or unset GORT_AOT_CACHE");
        } finally {
            delete(root);
        }
    }

    /**
     * With GORT_NO_BUILD=1 a module jar older than its classes (compiled since it was packaged: mvn
     * compile or test, an IDE) is refused: run would map the old jar's code, not the classes a run
     * without a cache takes, and a cache trained on the same old jar would match its fingerprint.
     */
    @Test
    void runRefusesAJarOlderThanItsModulesClasses() throws Exception {
        Path root = checkout();
        try {
            Path cache = Files.writeString(root.resolve("app.aot"), "not a cache");
            Files.writeString(root.resolve("app.aot.sum"), "0\n");
            Path jar = root.resolve("collector/target/gort-collector-test.jar");
            Path recompiled = Files.writeString(root.resolve("collector/target/classes/Recompiled.class"), "x");
            Files.setLastModifiedTime(recompiled, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 10_000));
            Map<String, String> env = Map.of("JAVA_HOME", JAVA_HOME, "GORT_NO_BUILD", "1", "GORT_AOT_CACHE", cache.toString());
            Launcher.Result r = Launcher.run(root.resolve("gort"), ForcedGcModes.get(), env, "run", "dev.gort.sys.SysInfo");
            assertEquals(1, r.exit(), r.toString());
            assertTrue(r.err().startsWith("gort: GORT_AOT_CACHE: ") && r.err().contains("gort-collector-test.jar is older than "
                    + "collector/target/classes (compiled since it was packaged); accepted: jars packaged from the classes"), r.err());
            assertEquals("", r.out(), "nothing was run");
        } finally {
            delete(root);
        }
    }

    @Test
    void aCacheIsTrainedUsedAndRefusedOnceAJarChanged() throws Exception {
        assumeTrue(Boolean.getBoolean("gort.test.aot"), "-Dgort.test.aot=true runs the training (two JVMs, ~6 s of CPU)");
        Path root = checkout();
        try {
            Path script = root.resolve("gort");
            Path cache = root.resolve("sys.aot");
            Map<String, String> env = Map.of("JAVA_HOME", JAVA_HOME, "GORT_NO_BUILD", "1", "GORT_AOT_CACHE", cache.toString());
            // SysInfo as the program: short, and it runs gort's own classes from the module jars.
            Launcher.Result r = Launcher.run(script, ForcedGcModes.get(), env, "aot-train", "dev.gort.sys.SysInfo");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("gort sys: platform facts"), r.toString());
            assertTrue(Files.size(cache) > 0 && Files.isRegularFile(root.resolve("sys.aot.sum")), r.toString());
            assertTrue(r.err().contains("gort: aot-train: wrote " + cache), r.err());

            Map<String, String> logged = with(env, "GORT_JAVA_OPTS", "-Xlog:aot=info");
            r = Launcher.run(script, ForcedGcModes.get(), logged, "run", "dev.gort.sys.SysInfo");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("Opened AOT cache " + cache), r.toString());
            assertTrue(r.out().contains("gort sys: platform facts"), r.toString());

            // One module rebuilt: same paths, other content. The JVM would still map the cache.
            jar(root, "arena", List.of("--manifest", manifest(root).toString()));
            r = Launcher.run(script, ForcedGcModes.get(), logged, "run", "dev.gort.sys.SysInfo");
            assertEquals(1, r.exit(), r.toString());
            assertEquals("gort: run: GORT_AOT_CACHE='" + cache + "' was made from other jars or another JDK than this run's (a stale cache"
                    + " would run the classes it recorded, not the jars'); make it again with ./gort aot-train, or unset GORT_AOT_CACHE\n", r.err());
            assertFalse(r.out().contains("platform facts"), r.out());
        } finally {
            delete(root);
        }
    }

    /** A checkout of its own: the launcher and each module's jar of this checkout's classes. */
    private static Path checkout() throws IOException {
        Path root = Files.createTempDirectory("gort-aot-root");
        Files.copy(Launcher.GORT, root.resolve("gort"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String m : MODULES) {
            jar(root, m, List.of());
        }
        return root;
    }

    private static void delete(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** {@code root/m/target/gort-m-test.jar} of this checkout's {@code m/target/classes}, and the classes directory GORT_NO_BUILD looks for. */
    private static void jar(Path root, String module, List<String> extra) throws IOException {
        Path classes = Launcher.GORT.getParent().resolve(module).resolve("target/classes");
        assumeTrue(Files.isDirectory(classes), "module " + module + " is built at " + classes);
        Path target = Files.createDirectories(root.resolve(module).resolve("target"));
        Files.createDirectories(target.resolve("classes"));
        Path jar = target.resolve("gort-" + module + "-test.jar");
        Files.deleteIfExists(jar);
        ToolProvider tool = ToolProvider.findFirst("jar").orElseThrow();
        List<String> args = new java.util.ArrayList<>(List.of("--create", "--file", jar.toString()));
        args.addAll(extra);
        args.addAll(List.of("-C", classes.toString(), "."));
        int rc = tool.run(System.out, System.err, args.toArray(String[]::new));
        assertEquals(0, rc, "jar " + args);
    }

    private static Path manifest(Path root) throws IOException {
        return Files.writeString(root.resolve("changed.mf"), "Implementation-Version: changed\n");
    }
}
