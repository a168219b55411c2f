package dev.gort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code ./gort demo}'s arguments: each mistake named with what is accepted (exit 2 in main). */
class DemoMainTest {

    @Test
    void depthIsReadOrItsMistakeNamed() {
        assertEquals(16, DemoMain.depth(new String[0]));
        assertEquals(21, DemoMain.depth(new String[] {"--depth", "21"}));
        refused(new String[] {"--depth", "x"}, "--depth 'x' is not a whole number; accepted: 6..21");
        refused(new String[] {"--depth", "22"}, "--depth 22 is out of range; accepted: 6..21");
        refused(new String[] {"--depth"}, "--depth needs a value");
        refused(new String[] {"--fast"}, "unknown argument '--fast'");
    }

    private static void refused(String[] args, String part) {
        UsageException e = assertThrows(UsageException.class, () -> DemoMain.depth(args));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertTrue(e.getMessage().contains("usage: ./gort demo"), e.getMessage());
    }
}
