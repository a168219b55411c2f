package dev.gort.sys;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class ForcedGcModesTest {

    private static final String ACCEPTED =
            "accepted: a comma-separated list of gccheckmark=0|1, gcstoptheworld=0|1|2, gcpoison=0|1";

    private final ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(warnings, true, StandardCharsets.UTF_8);

    private String warned() {
        return warnings.toString(StandardCharsets.UTF_8);
    }

    @Test
    void unsetOrBlankForcesNothing() {
        assertSame(ForcedGcModes.NONE, ForcedGcModes.parse(null, out));
        assertSame(ForcedGcModes.NONE, ForcedGcModes.parse("  ", out));
        assertFalse(ForcedGcModes.NONE.any());
        assertEquals("", warned());
        // Nothing forced: every built value passes through.
        assertTrue(ForcedGcModes.NONE.checkmark(true));
        assertFalse(ForcedGcModes.NONE.checkmark(false));
        assertEquals(1, ForcedGcModes.NONE.stopTheWorld(1));
        assertTrue(ForcedGcModes.NONE.poison(true));
    }

    @Test
    void eachModeAndAListAreTakenAndReplaceTheBuiltValue() {
        ForcedGcModes c = ForcedGcModes.parse("gccheckmark=1", out);
        assertEquals(new ForcedGcModes(1, ForcedGcModes.UNSET, ForcedGcModes.UNSET), c);
        assertTrue(c.checkmark(false));
        assertEquals(0, c.stopTheWorld(0));
        assertFalse(c.poison(false));

        ForcedGcModes s = ForcedGcModes.parse("gcstoptheworld=2", out);
        assertEquals(2, s.stopTheWorld(0));
        assertEquals(2, s.stopTheWorld(1));
        assertFalse(s.checkmark(false));

        ForcedGcModes all = ForcedGcModes.parse(" gcpoison=1 , gcstoptheworld=0,gccheckmark=0 ", out);
        assertEquals(new ForcedGcModes(0, 0, 1), all);
        assertFalse(all.checkmark(true), "a forced 0 turns a built-in mode off");
        assertEquals(0, all.stopTheWorld(2));
        assertTrue(all.poison(false));
        assertEquals("gccheckmark=0,gcstoptheworld=0,gcpoison=1", all.toString());
        assertEquals("", warned());
    }

    @Test
    void malformedEntriesAreRefusedOneByOneNamingWhatIsAccepted() {
        ForcedGcModes f = ForcedGcModes.parse("gccheckmark=1,gcstoptheworld=3,gcchekmark=1,gcpoison", out);
        // The good entry still applies; each bad one is ignored with its own warning.
        assertEquals(new ForcedGcModes(1, ForcedGcModes.UNSET, ForcedGcModes.UNSET), f);
        String[] lines = warned().split("\n");
        assertEquals(3, lines.length, warned());
        String prefix = "gort: warning: -Dgort.gc.force=gccheckmark=1,gcstoptheworld=3,gcchekmark=1,gcpoison: entry ";
        assertEquals(prefix + "'gcstoptheworld=3' has a value outside 0..2 and is ignored; " + ACCEPTED, lines[0]);
        assertEquals(prefix + "'gcchekmark=1' names an unknown mode 'gcchekmark' and is ignored; " + ACCEPTED, lines[1]);
        assertEquals(prefix + "'gcpoison' has no '=' and is ignored; " + ACCEPTED, lines[2]);
    }

    @Test
    void nonNumbersAndNegativesAreRefused() {
        for (String bad : new String[] {"gccheckmark=yes", "gccheckmark=2", "gcpoison=-1", "gcstoptheworld=", "gcpoison=1.0"}) {
            warnings.reset();
            assertFalse(ForcedGcModes.parse(bad, out).any(), bad);
            assertTrue(warned().contains("entry '" + bad + "' has a value outside"), warned());
            assertTrue(warned().contains(ACCEPTED), warned());
        }
    }

    @Test
    void theRecordRefusesOutOfRangeValues() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ForcedGcModes(0, 3, 0));
        assertEquals("gcstoptheworld must be 0..2 or UNSET (-1), got 3", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ForcedGcModes(-2, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ForcedGcModes(0, 0, 2));
    }

    @Test
    void getReadsThePropertyOfThisJvmOnceAndAgreesWithParse() {
        ForcedGcModes f = ForcedGcModes.get();
        assertSame(f, ForcedGcModes.get());
        assertEquals(ForcedGcModes.parse(System.getProperty(ForcedGcModes.PROPERTY), new PrintStream(new ByteArrayOutputStream())), f);
    }

    @Test
    void childJvmFlagsCarryTheAcceptedEntriesOnly() {
        assertEquals(java.util.List.of(), ForcedGcModes.NONE.childJvmFlags(), "nothing forced, no flag");
        assertEquals(java.util.List.of("-Dgort.gc.force=gcstoptheworld=2"),
                ForcedGcModes.parse("gcstoptheworld=2", out).childJvmFlags());
        ForcedGcModes partly = ForcedGcModes.parse("gcpoison=yes, gccheckmark=1", out);
        assertEquals(java.util.List.of("-Dgort.gc.force=gccheckmark=1"), partly.childJvmFlags(),
                "the refused entry is not passed on (the child would warn about it again)");
        ForcedGcModes all = ForcedGcModes.parse("gcpoison=1,gcstoptheworld=0,gccheckmark=0", out);
        assertEquals(all, ForcedGcModes.parse(all.childJvmFlags().get(0).substring("-Dgort.gc.force=".length()), out),
                "the flag parses back to the same modes");
    }
}
