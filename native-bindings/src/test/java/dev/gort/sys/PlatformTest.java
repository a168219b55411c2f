package dev.gort.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Platform detection from Java's os.name/os.arch spellings, and the constant table each gets. */
class PlatformTest {

    @Test
    void macOsNamesSelectTheMacOsTable() {
        for (String[] names : new String[][] {{"Mac OS X", "aarch64"}, {"Mac OS X", "x86_64"}, {"Darwin", "arm64"}}) {
            Platform p = Platform.detect(names[0], names[1]);
            assertEquals(Platform.Os.MACOS, p.os(), String.join("/", names));
            assertSame(OsConstants.MACOS, p.constants());
            assertTrue(p.isMacOS() && !p.isLinux());
        }
        assertEquals(Platform.Arch.AARCH64, Platform.detect("Mac OS X", "aarch64").arch());
        assertEquals("macos/x86_64", Platform.detect("Mac OS X", "x86_64").toString());
        OsConstants mac = Platform.detect("Mac OS X", "aarch64").constants();
        assertEquals(0x1000, mac.MAP_ANONYMOUS(), "MAP_ANON is 0x1000 on macOS");
        assertEquals(7, mac.MADV_FREE_REUSABLE());
        assertEquals(OsConstants.ABSENT, mac.MADV_HUGEPAGE(), "macOS has no MADV_HUGEPAGE");
        assertEquals(OsConstants.ABSENT, mac.CPU_SETSIZE(), "macOS has no cpu_set_t");
    }

    @Test
    void linuxNamesSelectTheLinuxTable() {
        Platform x86 = Platform.detect("Linux", "amd64");
        assertEquals(Platform.Os.LINUX, x86.os());
        assertEquals(Platform.Arch.X86_64, x86.arch());
        assertSame(OsConstants.LINUX, x86.constants());
        assertEquals(0x20, x86.constants().MAP_ANONYMOUS(), "MAP_ANONYMOUS is 0x20 on Linux");
        assertEquals(Platform.Arch.AARCH64, Platform.detect("Linux", "aarch64").arch());
        assertEquals(OsConstants.ABSENT, x86.constants().MADV_FREE_REUSABLE());
    }

    @Test
    void unsupportedPlatformsAreNamedInTheMessage() {
        assertNull(Platform.detect("Windows 11", "amd64"));
        assertNull(Platform.detect("Linux", "x86"), "32-bit: pointers are not longs");
        assertNull(Platform.detect("FreeBSD", "amd64"));
        assertNull(Platform.detect(null, null));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Platform.require("Windows 11", "amd64"));
        assertEquals("gort runs on 64-bit Linux (x86_64, aarch64) and macOS (x86_64, arm64); this JVM reports"
                + " os.name=Windows 11, os.arch=amd64", e.getMessage());
        assertTrue(assertThrows(UnsupportedOperationException.class, () -> Platform.require("Linux", "riscv64"))
                .getMessage().contains("os.arch=riscv64"));
    }

    @Test
    void currentIsThisJvmsPlatform() {
        Platform p = Platform.current();
        assertEquals(Platform.require(System.getProperty("os.name"), System.getProperty("os.arch")).toString(), p.toString());
        assertSame(p, Platform.current());
    }
}
