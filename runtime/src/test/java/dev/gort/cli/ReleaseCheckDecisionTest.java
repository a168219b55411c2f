package dev.gort.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The PASS/FAIL rules on synthetic figures: each rule can fail. */
class ReleaseCheckDecisionTest {
    static final long MIB = 1 << 20;
    static final long SIZE = 256 * MIB;

    static ReleaseCheck.Step step(String n, long rss, long arena, long lazy, long released) {
        return new ReleaseCheck.Step(n, rss, arena, lazy, 300 * MIB, 0, 0, released, 1);
    }

    static List<ReleaseCheck.Step> steps(long rssAfterRelease, long arenaAfterRelease, long lazyAfterRelease, long releasedAfter) {
        return List.of(step("start", 100 * MIB, 0, 0, 0), step("allocate", 101 * MIB, 0, 0, 0),
                step("touch", 360 * MIB, SIZE, 0, 0), step("free", 360 * MIB, SIZE, 0, 0),
                step("release", rssAfterRelease, arenaAfterRelease, lazyAfterRelease, releasedAfter));
    }

    @Test
    void dontneedPassesOnARealDrop() {
        ReleaseCheckArgs a = ReleaseCheckArgs.parse("--size", "256MiB");
        List<ReleaseCheck.Check> c = ReleaseCheck.decide(a, steps(104 * MIB, MIB, 0, SIZE));
        assertTrue(c.stream().allMatch(ReleaseCheck.Check::pass), c.toString());
        assertEquals(5, c.size());
    }

    @Test
    void dontneedFailsWhenRssStays() {
        ReleaseCheckArgs a = ReleaseCheckArgs.parse("--size", "256MiB");
        List<ReleaseCheck.Check> c = ReleaseCheck.decide(a, steps(350 * MIB, SIZE, 0, SIZE));
        ReleaseCheck.Check rss = c.stream().filter(x -> x.name().equals("RSS dropped")).findFirst().orElseThrow();
        assertFalse(rss.pass());
        assertEquals("RSS fell 10.0 MiB, expected >= 230.4 MiB", rss.detail());
        assertFalse(c.stream().filter(x -> x.name().startsWith("arena pages")).findFirst().orElseThrow().pass());
    }

    @Test
    void unaccountedReleaseFails() {
        ReleaseCheckArgs a = ReleaseCheckArgs.parse("--size", "256MiB");
        List<ReleaseCheck.Check> c = ReleaseCheck.decide(a, steps(104 * MIB, 0, 0, 0));
        assertFalse(c.stream().filter(x -> x.name().startsWith("HeapReleased")).findFirst().orElseThrow().pass());
    }

    @Test
    void freeAcceptsLazyFreeInsteadOfAnRssDrop() {
        ReleaseCheckArgs a = ReleaseCheckArgs.parse("--size", "256MiB", "--advice", "free");
        List<ReleaseCheck.Check> c = ReleaseCheck.decide(a, steps(360 * MIB, SIZE, SIZE, SIZE));
        assertTrue(c.stream().allMatch(ReleaseCheck.Check::pass), c.toString());
        List<ReleaseCheck.Check> bad = ReleaseCheck.decide(a, steps(360 * MIB, SIZE, 0, SIZE));
        assertFalse(bad.stream().allMatch(ReleaseCheck.Check::pass));
    }

    @Test
    void untouchedMemoryProvesNothing() {
        ReleaseCheckArgs a = ReleaseCheckArgs.parse("--size", "256MiB");
        List<ReleaseCheck.Step> s = List.of(step("start", 100 * MIB, 0, 0, 0), step("allocate", 101 * MIB, 0, 0, 0),
                step("touch", 102 * MIB, 0, 0, 0), step("free", 102 * MIB, 0, 0, 0), step("release", 102 * MIB, 0, 0, SIZE));
        List<ReleaseCheck.Check> c = ReleaseCheck.decide(a, s);
        assertFalse(c.get(0).pass());
        assertFalse(c.get(1).pass());
    }

    @Test
    void tableAndJson() {
        ReleaseCheckArgs a = ReleaseCheckArgs.parse("--size", "256MiB");
        List<ReleaseCheck.Step> s = steps(104 * MIB, MIB, 0, SIZE);
        ReleaseCheck.Report r = new ReleaseCheck.Report(a, "linux/amd64", s, ReleaseCheck.decide(a, s));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ReleaseCheck.printTable(r, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(table.startsWith("gort release-check --size 256.0 MiB --advice dontneed on linux/amd64\n"), table);
        assertTrue(table.contains("release        104.0        1.0"), table);
        assertTrue(table.contains("PASS  RSS dropped: RSS fell 256.0 MiB, expected >= 230.4 MiB"), table);
        assertTrue(table.endsWith("PASS\n"), table);
        String json = ReleaseCheck.json(r);
        assertTrue(json.startsWith("{\"size\":268435456,\"advice\":\"dontneed\",\"platform\":\"linux/amd64\",\"steps\":[{\"step\":\"start\""), json);
        assertTrue(json.endsWith("],\"pass\":true}"), json);
    }
}
