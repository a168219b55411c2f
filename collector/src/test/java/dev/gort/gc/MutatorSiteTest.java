package dev.gort.gc;

import dev.gort.arena.MCache;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The names a slow stop prints for where its last mutator was when asked. */
class MutatorSiteTest {
    @Test
    void allocatorSitesCarryTheArenasStep() {
        assertEquals("its own code", Mutator.siteName(Mutator.SITE_USER));
        assertEquals("an assist", Mutator.siteName(Mutator.SITE_ASSIST));
        assertEquals("the allocator", Mutator.siteName(Mutator.SITE_ALLOC));
        assertEquals("the allocator (waiting for an mcentral lock)",
                Mutator.siteName(Mutator.SITE_ALLOC | MCache.STEP_LOCK_WAIT << 4));
        assertEquals("the allocator (sweeping a claimed span)",
                Mutator.siteName(Mutator.SITE_ALLOC | MCache.STEP_SWEEP << 4));
        assertEquals("?", Mutator.siteName(9));
    }
}
