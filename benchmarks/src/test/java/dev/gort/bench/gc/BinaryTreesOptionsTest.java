package dev.gort.bench.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BinaryTreesOptionsTest {
    @Test
    void allocModeDefaultsToTheHeldMutatorAndAcceptsLookup() {
        assertTrue(BinaryTrees.heldMutator(null));
        assertTrue(BinaryTrees.heldMutator(" "));
        assertTrue(BinaryTrees.heldMutator("held"));
        assertFalse(BinaryTrees.heldMutator(" lookup "));
    }

    @Test
    void aBadAllocModeNamesTheValueAndWhatIsAccepted() {
        for (String bad : new String[] {"Held", "both", "1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BinaryTrees.heldMutator(bad));
            assertTrue(e.getMessage().contains("-Dgort.bt.alloc=" + bad) && e.getMessage().contains("'held'")
                    && e.getMessage().contains("'lookup'"), e.getMessage());
        }
    }

    @Test
    void theScavengerDefaultsToOffAndAcceptsRetain() {
        assertFalse(BinaryTrees.scavengeOn(null));
        assertFalse(BinaryTrees.scavengeOn(""));
        assertFalse(BinaryTrees.scavengeOn(" off "));
        assertTrue(BinaryTrees.scavengeOn("retain"));
        for (String bad : new String[] {"on", "Off", "0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BinaryTrees.scavengeOn(bad));
            assertTrue(e.getMessage().contains("-Dgort.bt.scavenge=" + bad) && e.getMessage().contains("'retain'")
                    && e.getMessage().contains("'off'"), e.getMessage());
        }
    }

    @Test
    void gomemlimitIsReadInGoSyntaxAndABadOneNamesTheKey() {
        assertEquals(dev.gort.gc.Pacer.INFINITE, BinaryTrees.memoryLimit(null, null));
        assertEquals(300L << 20, BinaryTrees.memoryLimit("300MiB", null));
        assertEquals(200L << 20, BinaryTrees.memoryLimit("300MiB", "200MiB"), "the property wins, as in a booted runtime");
        assertEquals(dev.gort.gc.Pacer.INFINITE, BinaryTrees.memoryLimit("9223372036854775807", null));
        RuntimeException e = assertThrows(RuntimeException.class, () -> BinaryTrees.memoryLimit("300MB", null));
        assertTrue(e.getMessage().contains("GOMEMLIMIT") && e.getMessage().contains("300MB"), e.getMessage());
    }
}
