package dev.gort.bench.gc;

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
}
