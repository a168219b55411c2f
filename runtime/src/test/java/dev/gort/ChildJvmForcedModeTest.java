package dev.gort;

import dev.gort.testing.ChildJvm;
import dev.gort.sys.ForcedGcModes;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Child JVMs that tests start inherit the forced debug mode ({@code ./gort test --gc-mode=...},
 * {@code -Dgort.gc.force}): before session 11 the fatal-case and start-up children ran every
 * collector in the normal mode whatever the suite forced. {@link ChildJvm} passes this JVM's
 * forced modes first, so a test's own {@code -Dgort.gc.force} still wins.
 */
class ChildJvmForcedModeTest {

    /** Prints the forced modes its JVM runs under. */
    public static final class PrintModes {
        public static void main(String[] args) {
            System.out.println("forced=" + ForcedGcModes.get());
        }
    }

    /** Starts {@link PrintModes} through {@link ChildJvm} and prints what it printed. */
    public static final class Relay {
        public static void main(String[] args) throws Exception {
            ChildJvm.Result r = ChildJvm.run(List.of(), Map.of(), PrintModes.class.getName());
            System.out.print(r.stdout());
            System.exit(r.exitCode());
        }
    }

    @Test
    void aChildRunsUnderThisJvmsForcedModes() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), Map.of(), PrintModes.class.getName());
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("forced=" + ForcedGcModes.get(), r.stdout().strip(), r.toString());
    }

    @Test
    void aChildOfAJvmUnderAForcedModeInheritsIt() throws Exception {
        // The middle JVM is forced explicitly, so this fails without the inheritance in a plain run too.
        ChildJvm.Result r = ChildJvm.run(List.of("-D" + ForcedGcModes.PROPERTY + "=gcstoptheworld=2"), Map.of(),
                Relay.class.getName());
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("forced=gcstoptheworld=2", r.stdout().strip(), r.toString());
    }
}
