package dev.gort.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TuningPropertyTest {

    @Test
    void unsetGivesTheDefaultAndGoodValuesAreTaken() {
        assertEquals(200, TuningProperty.parseMicros("gort.x.us", null, 200, 1, 1000));
        assertEquals(50, TuningProperty.parseMicros("gort.x.us", " 50 ", 200, 1, 1000));
        assertEquals(1000, TuningProperty.parseMicros("gort.x.us", "1000", 200, 1, 1000));
    }

    @Test
    void malformedAndOutOfRangeValuesAreRefusedWithWhatIsAccepted() {
        for (String bad : new String[] {"abc", "", "1.5", "0", "-3", "1001", "99999999999999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TuningProperty.parseMicros("gort.x.us", bad, 200, 1, 1000));
            assertEquals("-Dgort.x.us=" + bad + " is not valid; accepted: whole microseconds 1..1000 (default 200)", e.getMessage());
        }
    }

    @Test
    void aRefusedPropertyFallsBackToTheDefaultWithAWarning() {
        String name = "gort.test.tuningproperty.us";
        System.setProperty(name, "lots");
        try {
            assertEquals(200_000, TuningProperty.microsAsNanos(name, 200, 1, 1000));
            System.setProperty(name, "7");
            assertEquals(7_000, TuningProperty.microsAsNanos(name, 200, 1, 1000));
        } finally {
            System.clearProperty(name);
        }
        assertEquals(200_000, TuningProperty.microsAsNanos(name, 200, 1, 1000));
    }

    @Test
    void flagsAcceptTrueOrFalseAndRefuseTheRestWithWhatIsAccepted() {
        assertTrue(TuningProperty.parseFlag("gort.x.on", null, true));
        assertFalse(TuningProperty.parseFlag("gort.x.on", " FALSE ", true));
        assertTrue(TuningProperty.parseFlag("gort.x.on", "True", false));
        for (String bad : new String[] {"", "ture", "1", "yes"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TuningProperty.parseFlag("gort.x.on", bad, false));
            assertEquals("-Dgort.x.on=" + bad + " is not valid; accepted: true or false (default false)", e.getMessage());
        }
        String name = "gort.test.tuningproperty.flag";
        System.setProperty(name, "ture");
        try {
            assertFalse(TuningProperty.flag(name, false), "a refused value means the default");
            System.setProperty(name, "true");
            assertTrue(TuningProperty.flag(name, false));
        } finally {
            System.clearProperty(name);
        }
    }

    @Test
    void aFlagWithAContextDefaultIsNullWhenUnsetOrRefused() {
        String name = "gort.test.tuningproperty.contextflag";
        assertNull(TuningProperty.flagOrContextDefault(name, "on over threads"));
        try {
            System.setProperty(name, " TRUE ");
            assertEquals(Boolean.TRUE, TuningProperty.flagOrContextDefault(name, "on over threads"));
            System.setProperty(name, "false");
            assertEquals(Boolean.FALSE, TuningProperty.flagOrContextDefault(name, "on over threads"));
            for (String bad : new String[] {"", "ture", "1"}) {
                System.setProperty(name, bad);
                assertNull(TuningProperty.flagOrContextDefault(name, "on over threads"), "a refused value leaves the context's default: " + bad);
            }
        } finally {
            System.clearProperty(name);
        }
    }
}
