package dev.gort.sys;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MemoryMapsTest {

    @Test
    void parsesEveryLineShape() {
        List<MemoryMaps.Region> rs = MemoryMaps.parse("""
                55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1312  /usr/lib/jvm/bin/java
                7f1c00000000-7f2c00000000 ---p 00000000 00:00 0
                7ffd5c1e0000-7ffd5c201000 rw-p 00000000 00:00 0                          [stack]
                ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
                7f00aa000000-7f00aa100000 rw-s 00000000 00:05 99 /memfd:name with spaces (deleted)
                """);
        assertEquals(5, rs.size());
        MemoryMaps.Region java = rs.get(0);
        assertEquals(0x55d0c0a00000L, java.start());
        assertEquals(0x55d0c0a01000L, java.end());
        assertEquals("r--p", java.perms());
        assertEquals("/usr/lib/jvm/bin/java", java.path());
        assertTrue(java.readable() && !java.writable() && !java.executable() && java.isPrivate());
        MemoryMaps.Region reserved = rs.get(1);
        assertTrue(reserved.inaccessible());
        assertEquals("", reserved.path());
        assertEquals(64L << 30, reserved.size());
        assertTrue(reserved.contains(0x7f1c00000000L) && !reserved.contains(0x7f2c00000000L));
        assertEquals("[stack]", rs.get(2).path());
        assertEquals(0xffffffffff600000L, rs.get(3).start(), "addresses above 2^63 parse as unsigned");
        assertTrue(rs.get(3).contains(0xffffffffff600800L));
        assertTrue(rs.get(3).executable());
        assertFalse(rs.get(4).isPrivate());
        assertEquals("/memfd:name with spaces (deleted)", rs.get(4).path());
    }

    @Test
    void malformedLinesSayWhatIsExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryMaps.parse("garbage\n"));
        assertTrue(e.getMessage().contains("malformed /proc/self/maps line: 'garbage'")
                && e.getMessage().contains("start-end perms offset dev inode [path]"), e.getMessage());
    }

    @Test
    void findsTheLiveMappingsOfThisProcess() {
        assumeTrue(Platform.current().isLinux());
        List<MemoryMaps.Region> all = MemoryMaps.regions();
        assertTrue(all.size() > 10, "a JVM has many mappings");
        for (int i = 1; i < all.size(); i++) {
            assertTrue(Long.compareUnsigned(all.get(i - 1).end(), all.get(i).start()) <= 0, "sorted, disjoint");
        }
        assertTrue(all.stream().anyMatch(r -> r.path().equals("[stack]")));
        long page = PosixOsMemory.get().pageSize();
        long base = PosixOsMemory.get().reserve(page);
        assertEquals("---p", MemoryMaps.perms(base));
        PosixOsMemory.get().unmap(base, page);
        assertTrue(MemoryMaps.find(base).isEmpty());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> MemoryMaps.perms(base));
        assertTrue(e.getMessage().contains("is not mapped"), e.getMessage());
    }
}
