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
}
