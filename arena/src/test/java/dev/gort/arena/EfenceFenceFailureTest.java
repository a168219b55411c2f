package dev.gort.arena;

import dev.gort.sys.FaultInjectingOsMemory;
import dev.gort.sys.MemoryMaps;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * efence's first failed fence tells the user what to do. Each fenced object splits the arena's
 * mapping, so a long efence run meets the kernel's cap on mappings (vm.max_map_count, 65,530 by
 * default): mprotect fails with ENOMEM and the freed object stays readable. Before session 32 the
 * warning said only that the object could not be made inaccessible, with the errno text.
 */
@Isolated    // replaces System.err for a moment
class EfenceFenceFailureTest {

    @Test
    void theFirstFailedFenceNamesTheSysctlItsValueAndTheCount() {
        FaultInjectingOsMemory os = new FaultInjectingOsMemory(PosixOsMemory.get());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        try (Heap heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30).withEfence(true), os)) {
            MCache cache = heap.newCache();
            long[] objects = new long[4];
            for (int i = 0; i < objects.length; i++) {
                objects[i] = cache.alloc(100, true);
            }
            cache.free(objects[0]);
            cache.free(objects[1]);                       // fenced objects 1 and 2 succeed
            os.failNext(FaultInjectingOsMemory.Op.DECOMMIT, 2, "ENOMEM");
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            cache.free(objects[2]);                       // fenced object 3 fails: printed
            cache.free(objects[3]);                       // fenced object 4 fails: counted only
            System.setErr(old);
            assertEquals(2, heap.fenceFailures);
            String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(1, text.lines().count(), "one warning for both failures: " + text);
            long cap = MemoryMaps.maxMapCount();
            assertNotEquals(-1, cap, "this Linux machine's vm.max_map_count is readable");
            assertTrue(text.startsWith("gort: warning: efence: the freed object at 0x" + Long.toHexString(objects[2])), text);
            assertTrue(text.contains("ENOMEM"), text);
            assertTrue(text.contains("this was fenced object 3"), "the count: " + text);
            assertTrue(text.contains("vm.max_map_count = " + cap + " mappings"), "the sysctl and its value: " + text);
            assertTrue(text.contains("sysctl -w vm.max_map_count="), "what to do: " + text);
            assertTrue(text.contains("Later failures are counted, not printed."), text);
            heap.verifyHeap();
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void anotherFailureSaysNothingAboutTheMappingCap() {
        String w = Heap.fenceFailureWarning(0x10000, 4096, 7, new IllegalStateException("refused"), 65530);
        assertTrue(w.startsWith("gort: warning: efence: the freed object at 0x10000 (4096 B) could not be made inaccessible"), w);
        assertTrue(!w.contains("max_map_count"), w);
        String enomem = Heap.fenceFailureWarning(0x10000, 4096, 7, new dev.gort.sys.NativeException("mprotect", "addr=0x10000", 12), -1);
        assertTrue(enomem.contains("vm.max_map_count = (unknown) mappings"), enomem);
        assertTrue(enomem.contains("sysctl -w vm.max_map_count=262144"), enomem);
    }
}
