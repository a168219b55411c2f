package dev.gort;

import dev.gort.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Start-up names the missing JVM flag (checked in child JVMs started without one or both). */
class JvmFlagsTest {
    /** Child main: runs the check and prints its verdict. */
    public static final class Probe {
        public static void main(String[] args) {
            try {
                JvmFlags.check();
                System.out.println("flags ok");
            } catch (IllegalStateException e) {
                System.err.println(e.getMessage());
                System.exit(3);
            }
        }
    }

    @Test
    void thisJvmHasBoth() {
        assertEquals(List.of(), JvmFlags.missing());
        JvmFlags.check();
    }

    @Test
    void bothPresent() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.GORT_FLAGS, Map.of(), Probe.class.getName());
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("flags ok", r.stdout().strip());
    }

    @Test
    void nativeAccessMissing() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"), Map.of(),
                Probe.class.getName());
        assertEquals(3, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("gort needs JVM flag --enable-native-access=ALL-UNNAMED, missing from this JVM (module ALL-UNNAMED)."),
                r.toString());
        assertFalse(r.stderr().contains("--add-exports java.base"), r.toString());
    }

    @Test
    void addExportsMissing() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED"), Map.of(), Probe.class.getName());
        assertEquals(3, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("gort needs JVM flag --add-exports java.base/jdk.internal.vm=ALL-UNNAMED, missing from this JVM"),
                r.toString());
    }

    @Test
    void bothMissing() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), Map.of(), Probe.class.getName());
        assertEquals(3, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("gort needs JVM flags --enable-native-access=ALL-UNNAMED and "
                + "--add-exports java.base/jdk.internal.vm=ALL-UNNAMED, missing from this JVM"), r.toString());
    }
}
