package dev.gort.bench.gc;

import dev.gort.sys.ForcedGcModes;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * BinaryTreesRun's contenders under a forced collector mode: the gort one gets the harness JVM's
 * {@code -Dgort.gc.force} (before its own flags), the JVM-heap ones, which run no gort code, do not.
 */
class BinaryTreesRunTest {
    static final ForcedGcModes STW2 = new ForcedGcModes(ForcedGcModes.UNSET, 2, ForcedGcModes.UNSET);

    @Test
    void theGortContenderRunsUnderTheForcedModeBeforeItsOwnFlags() {
        List<String> cmd = BinaryTreesRun.command("java", "cp", List.of("-Xmx64m", "gort"), 18, STW2);
        int forced = cmd.indexOf("-Dgort.gc.force=gcstoptheworld=2");
        assertTrue(forced > 0, cmd.toString());
        assertTrue(forced < cmd.indexOf("-Xmx64m") && cmd.indexOf("-Xmx64m") < cmd.indexOf(BinaryTrees.class.getName()),
                cmd.toString());
        assertEquals(List.of(BinaryTrees.class.getName(), "gort", "18"), cmd.subList(cmd.size() - 3, cmd.size()));
    }

    @Test
    void theJvmHeapContendersAndAnUnforcedRunGetNoProperty() {
        List<String> jvm = BinaryTreesRun.command("java", "cp", List.of("-XX:+UseG1GC", "jvm"), 18, STW2);
        List<String> plain = BinaryTreesRun.command("java", "cp", List.of("-Xmx64m", "gort"), 18, ForcedGcModes.NONE);
        for (List<String> cmd : List.of(jvm, plain)) {
            assertTrue(cmd.stream().noneMatch(a -> a.startsWith("-D" + ForcedGcModes.PROPERTY)), cmd.toString());
        }
    }

    @Test
    void onlyGortContendersKeepTheAllocationCallOutOfLine() {
        List<String> jvm = BinaryTreesRun.command("java", "cp", List.of("-XX:+UseG1GC", "jvm"), 18, ForcedGcModes.NONE);
        List<String> gort = BinaryTreesRun.command("java", "cp", List.of("-Xmx64m", "gort"), 18, ForcedGcModes.NONE);
        assertTrue(gort.containsAll(dev.gort.JvmFlags.ALLOCATION_CALL), gort.toString());
        assertTrue(jvm.stream().noneMatch(dev.gort.JvmFlags.ALLOCATION_CALL::contains), jvm.toString());
    }

    /**
     * Beside default G1 (the peer, and the ratios' base) runs G1 with a fixed heap pretouched
     * at start-up, above default G1's peak at that depth: on this VM a growing heap's first touches
     * are a large part of default G1's time, and the table must show G1 without them too.
     */
    @Test
    void g1RunsAlsoWithAFixedPretouchedHeapSizedByDepth() {
        var c21 = BinaryTreesRun.contenders(21);
        assertEquals(List.of("-XX:+UseG1GC", "jvm"), c21.get("JVM G1"));
        assertEquals(List.of("-XX:+UseG1GC", "-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch", "jvm"),
                c21.get(BinaryTreesRun.G1_PRETOUCHED + " 4g"));
        assertTrue(BinaryTreesRun.contenders(18).containsKey(BinaryTreesRun.G1_PRETOUCHED + " 1g"));
        assertEquals(5, c21.size(), c21.keySet().toString());
        List<String> cmd = BinaryTreesRun.command("java", "cp", c21.get(BinaryTreesRun.G1_PRETOUCHED + " 4g"), 21, STW2);
        assertTrue(cmd.contains("-XX:+AlwaysPreTouch") && cmd.stream().noneMatch(dev.gort.JvmFlags.ALLOCATION_CALL::contains),
                cmd.toString());
    }

    /**
     * {@code -Dgort.bench.rtstop=N} adds one gort row run with the real-time stop at N, the plain gort
     * row and the JVM rows unchanged; 0 (the default) adds none.
     */
    @Test
    void theRealTimeStopRowIsTheGortRowWithTheStopperFlag() {
        var plain = BinaryTreesRun.contenders(21);
        assertEquals(plain, BinaryTreesRun.contenders(21, 0));
        var rt = BinaryTreesRun.contenders(21, 10);
        assertEquals(plain.size() + 1, rt.size(), rt.keySet().toString());
        var added = rt.entrySet().stream().filter(e -> !plain.containsKey(e.getKey())).toList();
        assertEquals(1, added.size(), added.toString());
        assertTrue(added.getFirst().getKey().startsWith(BinaryTreesRun.GORT_RT_STOP) && added.getFirst().getKey().contains("rtprio=10"),
                added.getFirst().getKey());
        var gortRow = plain.entrySet().iterator().next().getValue();
        var expected = new java.util.ArrayList<>(gortRow.subList(0, gortRow.size() - 1));
        expected.add("-Dgort.gc.stopper.rtprio=10");
        expected.add("gort");
        assertEquals(expected, added.getFirst().getValue());
        for (var e : plain.entrySet()) {
            assertEquals(e.getValue(), rt.get(e.getKey()), e.getKey());
        }
    }

    /**
     * {@code -Dgort.bench.gomemlimit=SIZE} adds one labelled gort row, the default gort row with the
     * limit's property, the other rows unchanged; a malformed limit is refused before any row runs.
     */
    @Test
    void theMemoryLimitRowIsTheGortRowWithTheLimitsProperty() {
        var plain = BinaryTreesRun.contenders(21);
        assertEquals(plain, BinaryTreesRun.contenders(21, 0, null));
        var lim = BinaryTreesRun.contenders(21, 0, "300MiB");
        var added = lim.entrySet().stream().filter(e -> !plain.containsKey(e.getKey())).toList();
        assertEquals(1, added.size(), added.toString());
        assertTrue(added.getFirst().getKey().startsWith(BinaryTreesRun.GORT_MEMORY_LIMIT + "300MiB")
                && added.getFirst().getKey().contains("extra row"), added.getFirst().getKey());
        var gortRow = plain.entrySet().iterator().next().getValue();
        var expected = new java.util.ArrayList<>(gortRow.subList(0, gortRow.size() - 1));
        expected.add("-Dgort.gomemlimit=300MiB");
        expected.add("gort");
        assertEquals(expected, added.getFirst().getValue());
        for (var e : plain.entrySet()) {
            assertEquals(e.getValue(), lim.get(e.getKey()), e.getKey());
        }
        String old = System.getProperty("gort.bench.gomemlimit");
        try {
            System.setProperty("gort.bench.gomemlimit", " 300MiB ");
            assertEquals("300MiB", BinaryTreesRun.memoryLimitRow());
            System.setProperty("gort.bench.gomemlimit", "300MB");
            RuntimeException e = assertThrows(RuntimeException.class, BinaryTreesRun::memoryLimitRow);
            assertTrue(e.getMessage().contains("300MB"), e.getMessage());
            System.clearProperty("gort.bench.gomemlimit");
            assertEquals(null, BinaryTreesRun.memoryLimitRow());
        } finally {
            if (old == null) {
                System.clearProperty("gort.bench.gomemlimit");
            } else {
                System.setProperty("gort.bench.gomemlimit", old);
            }
        }
    }

    /** A depth that is not a whole number in 4..22 is refused naming what is accepted (was a bare NumberFormatException). */
    @Test
    void badDepthsAreRefusedNamingWhatIsAccepted() {
        assertEquals(21, BinaryTreesRun.parseDepth(" 21 "));
        assertEquals("8g", BinaryTreesRun.pretouchedHeap(22));
        for (String bad : List.of("x", "3", "23", "", "-1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BinaryTreesRun.parseDepth(bad));
            assertTrue(e.getMessage().contains("\"" + bad + "\"") && e.getMessage().contains("4..22"), e.getMessage());
        }
    }

    /**
     * A gort row's host-JVM collections get a note under the table (they stop the mutator, yet no
     * pause column counts them); a JVM-heap row (-1: its collections are its pauses) or a result
     * line without the figures (an older BinaryTrees on an A/B arm) gets none.
     */
    @Test
    void aGortRowsHostCollectionsAreNotedUnderTheTable() {
        String note = BinaryTreesRun.hostCollectionsNote("gort (ThreadWorld)", java.util.Map.of("host_gcs", 6L, "host_gc_ms", 17L));
        assertNotNull(note);
        assertTrue(note.contains("gort (ThreadWorld)") && note.contains(" 6 times, 17 ms"), note);
        assertNull(BinaryTreesRun.hostCollectionsNote("JVM G1", java.util.Map.of("host_gcs", -1L, "host_gc_ms", -1L)));
        assertNull(BinaryTreesRun.hostCollectionsNote("gort (older classes)", java.util.Map.of("wall_ms", 1L)));
        assertTrue(!note.contains("start-up"), "no start-up figure without startup_ms: " + note);
        String withStartup = BinaryTreesRun.hostCollectionsNote("gort (ThreadWorld)",
                java.util.Map.of("host_gcs", 4L, "host_gc_ms", 11L, "startup_ms", 412L));
        assertTrue(withStartup.endsWith("; start-up (JVM start to the first tree) 412 ms"), withStartup);
    }

    /** The start-up figure: the JVM's uptime at a past nanoTime reading is its uptime then (not now, not negative). */
    @Test
    void startupIsTheJvmsUptimeAtTheFirstTree() throws Exception {
        long mark = System.nanoTime();
        long before = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        Thread.sleep(300);
        long at = BinaryTrees.jvmUptimeMillisAt(mark);
        // the uptime read beside the mark, not now (300 ms later): a descheduled reader gets 250 ms of slack
        assertTrue(at >= 0 && Math.abs(at - before) < 250, "uptime at the mark " + at + " ms, read beside it " + before + " ms");
    }

    /** The host-collection figures count this JVM's own collections: a System.gc() adds one. */
    @Test
    void hostCollectionsCountThisJvmsOwnCollections() {
        long[] before = BinaryTrees.hostCollections();
        assertTrue(before[0] >= 0 && before[1] >= 0, java.util.Arrays.toString(before));
        System.gc();
        long[] after = BinaryTrees.hostCollections();
        assertTrue(after[0] > before[0] && after[1] >= before[1],
                java.util.Arrays.toString(before) + " -> " + java.util.Arrays.toString(after));
    }
}
