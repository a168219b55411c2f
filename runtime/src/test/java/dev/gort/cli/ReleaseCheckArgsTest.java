package dev.gort.cli;

import dev.gort.sys.Advice;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ReleaseCheckArgsTest {
    @Test
    void defaultsAndForms() {
        ReleaseCheckArgs d = ReleaseCheckArgs.parse();
        assertEquals(1L << 30, d.size());
        assertEquals(Advice.DONTNEED, d.advice());
        assertFalse(d.json());
        ReleaseCheckArgs a = ReleaseCheckArgs.parse("--size", "256MiB", "--advice", "free", "--json");
        assertEquals(256L << 20, a.size());
        assertEquals(Advice.FREE, a.advice());
        assertTrue(a.json());
        ReleaseCheckArgs b = ReleaseCheckArgs.parse("--size=2GiB", "--advice=DONTNEED");
        assertEquals(2L << 30, b.size());
        assertEquals(Advice.DONTNEED, b.advice());
        assertEquals("--size 2.0 GiB --advice dontneed", b.toString());
    }

    @Test
    void badArguments() {
        assertEquals("release-check: unknown argument '--sise'", first(assertThrows(UsageException.class,
                () -> ReleaseCheckArgs.parse("--sise", "1GiB"))));
        assertEquals("release-check: --size needs a value", first(assertThrows(UsageException.class,
                () -> ReleaseCheckArgs.parse("--size"))));
        assertEquals("release-check: --size 1GB is not a byte count; accepted: an integer with an optional suffix B, KiB, MiB, GiB or TiB, e.g. 256MiB",
                first(assertThrows(UsageException.class, () -> ReleaseCheckArgs.parse("--size", "1GB"))));
        assertEquals("release-check: --size 1MiB is below 16MiB: too small to tell a release from the JVM's own noise",
                first(assertThrows(UsageException.class, () -> ReleaseCheckArgs.parse("--size", "1MiB"))));
        assertTrue(first(assertThrows(UsageException.class, () -> ReleaseCheckArgs.parse("--advice", "lazy")))
                .startsWith("release-check: --advice lazy: unknown release advice 'lazy'; accepted: dontneed, free"));
        assertEquals("release-check: --json takes no value", first(assertThrows(UsageException.class,
                () -> ReleaseCheckArgs.parse("--json=yes"))));
        UsageException e = assertThrows(UsageException.class, () -> ReleaseCheckArgs.parse("extra"));
        assertTrue(e.getMessage().contains("usage: ./gort release-check [--size 1GiB] [--advice dontneed|free"), e.getMessage());
        assertTrue(e.getMessage().contains("exit code: 0 every check passed, 1 a check failed, 2 bad arguments"), e.getMessage());
    }

    private static String first(Exception e) {
        return e.getMessage().lines().findFirst().orElse("");
    }
}
