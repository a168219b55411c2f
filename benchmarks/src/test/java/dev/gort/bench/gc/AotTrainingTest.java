package dev.gort.bench.gc;

import dev.gort.sys.ForcedGcModes;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** BinaryTreesRun's {@code -Dgort.bench.aot}: what it accepts, the class path it needs, where its flags go. */
class AotTrainingTest {
    @Test
    void theTrainingDepthIsAWholeDepthOrUnset() {
        assertEquals(0, AotTraining.trainingDepth(null));
        assertEquals(0, AotTraining.trainingDepth(" "));
        assertEquals(18, AotTraining.trainingDepth("18"));
        for (String bad : List.of("x", "3", "23", "18.5")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AotTraining.trainingDepth(bad));
            assertEquals("-Dgort.bench.aot=" + bad + " is not valid; accepted: the depth of each contender's training run, a whole number"
                    + " 4..22 (e.g. 18), or unset for no AOT cache", e.getMessage());
        }
    }

    @Test
    void aClassPathWithADirectoryIsRefusedNamingIt() throws Exception {
        Path dir = Files.createTempDirectory("aot-cp");
        Path jar = Files.createFile(dir.resolve("a.jar"));
        try {
            AotTraining.checkClassPath(jar.toString());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AotTraining.checkClassPath(jar + java.io.File.pathSeparator + dir));
            assertTrue(e.getMessage().contains("'" + dir + "' is not a file") && e.getMessage().contains("JAR files"), e.getMessage());
        } finally {
            Files.delete(jar);
            Files.delete(dir);
        }
    }

    /** Every contender, G1's as gort's, gets the cache's flags, before the main class and after its own. */
    @Test
    void theCacheFlagsGoToEveryContenderBeforeTheMainClass() {
        Path cache = Path.of("/tmp/c.aot");
        for (List<String> contender : List.of(List.of("-Xmx64m", "gort"), List.of("-XX:+UseG1GC", "jvm"))) {
            List<String> use = BinaryTreesRun.command("java", "cp", contender, 21, ForcedGcModes.NONE, AotTraining.useFlags(cache));
            int main = use.indexOf(BinaryTrees.class.getName());
            assertTrue(use.indexOf("-XX:AOTCache=/tmp/c.aot") > use.indexOf(contender.getFirst()), use.toString());
            assertTrue(use.indexOf("-XX:+AOTCompileEagerly") < main && use.contains("-XX:AOTMode=on"), use.toString());
            List<String> train = BinaryTreesRun.command("java", "cp", contender, 18, ForcedGcModes.NONE, AotTraining.trainFlags(cache));
            assertEquals(train.indexOf(BinaryTrees.class.getName()) - 1, train.indexOf("-XX:AOTCacheOutput=/tmp/c.aot"), train.toString());
            assertEquals("18", train.getLast());
        }
        assertEquals(BinaryTreesRun.command("java", "cp", List.of("-Xmx64m", "gort"), 21, ForcedGcModes.NONE),
                BinaryTreesRun.command("java", "cp", List.of("-Xmx64m", "gort"), 21, ForcedGcModes.NONE, List.of()));
    }

    @Test
    void theTrainingTimeoutIsWholeSecondsOrUnset() {
        assertEquals(600, AotTraining.trainingTimeoutSeconds(null));
        assertEquals(90, AotTraining.trainingTimeoutSeconds("90"));
        for (String bad : List.of("0", "-5", "1.5", "soon", "86401")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AotTraining.trainingTimeoutSeconds(bad));
            assertEquals("-Dgort.bench.aot.timeout=" + bad + " is not valid; accepted: the seconds one contender's AOT training run"
                    + " may take before it is killed, a whole number 1..86400 (default 600)", e.getMessage());
        }
    }

    /** A training run that outlives its bound is killed, and its row says so (it waited for ever before). */
    @Test
    void aTrainingRunPastItsTimeoutIsKilledAndSaysSo() throws Exception {
        Path dir = Files.createTempDirectory("aot-train");
        Path cache = dir.resolve("c.aot");
        try {
            long t0 = System.nanoTime();
            String why = AotTraining.train(List.of("/bin/sh", "-c", "echo started > " + cache + "; exec sleep 60"), cache, 1);
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("AOT training timed out after 1 s and was killed (-Dgort.bench.aot.timeout=SECONDS)", why);
            assertTrue(took < 30_000, "the wait took " + took + " ms");
            assertFalse(Files.exists(cache), "a killed training's partial cache was left");
            assertEquals("AOT training: exit 3, no cache", AotTraining.train(List.of("/bin/sh", "-c", "exit 3"), cache, 30));
            assertNull(AotTraining.train(List.of("/bin/sh", "-c", "echo x > " + cache), cache, 30));
        } finally {
            AotTraining.deleteCacheDirectory(dir);
        }
    }

    /** The caches' directory goes however the run ends: a run that threw left it (and its 20 MB caches) in /tmp. */
    @Test
    void theCacheDirectoryIsDeletedWhenTheRunThrows() throws Exception {
        Path jarDir = Files.createTempDirectory("aot-cp");
        Path jar = Files.createFile(jarDir.resolve("a.jar"));
        Path[] seen = new Path[1];
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> AotTraining.withCacheDirectory(jar.toString(), 18, dir -> {
                seen[0] = dir;
                Files.writeString(dir.resolve("contender-0.aot"), "cache");
                throw new IllegalStateException("a contender's output could not be parsed");
            }));
            assertEquals("a contender's output could not be parsed", e.getMessage());
            assertNotNull(seen[0]);
            assertFalse(Files.exists(seen[0]), seen[0] + " was left behind");
            AotTraining.withCacheDirectory(jar.toString(), 0, dir -> assertNull(dir));
        } finally {
            Files.delete(jar);
            Files.delete(jarDir);
        }
    }
}
