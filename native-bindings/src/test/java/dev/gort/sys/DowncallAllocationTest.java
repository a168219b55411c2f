package dev.gort.sys;

import dev.gort.testing.ChildJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The memory syscall wrappers (madvise, mprotect, mincore, munmap, mmap) allocate no Java heap
 * per call in the interpreter and in C1, not only once C2 has compiled their callers. The
 * scavenger calls madvise once per released run: with errno capture on every call, the JDK sliced
 * the capture buffer into a new MemorySegment per call (40 bytes; session 31 saw 112 KB over an
 * age pass's first 785 releases), which only C2's escape analysis removes.
 */
class DowncallAllocationTest {
    /** Bytes per call accepted: a stray allocation amortised over the 2,000 calls would pass; one per call would not. */
    static final double MAX_BYTES_PER_CALL = 1.0;

    @ParameterizedTest
    @ValueSource(strings = {"-Xint", "-XX:TieredStopAtLevel=1"})
    void memorySyscallsAllocateNothingPerCallBeforeC2(String compilerMode) throws Exception {
        ChildJvm.Result r = ChildJvm.run(DowncallAllocationChild.class, List.of(compilerMode), Map.of());
        assertEquals(0, r.exitCode(), r.toString());
        Map<String, Double> perCall = new LinkedHashMap<>();
        for (String line : r.stdout().strip().split("\n")) {
            String[] f = line.strip().split(" ");
            perCall.put(f[0], Double.parseDouble(f[1]));
        }
        assertEquals(List.of("empty", "madvise-short", "madvise-long", "mprotect", "mincore-short", "mincore-long", "munmap+mmap"),
                List.copyOf(perCall.keySet()), r.toString());
        double empty = perCall.get("empty");
        for (Map.Entry<String, Double> e : perCall.entrySet()) {
            assertTrue(e.getValue() - empty <= MAX_BYTES_PER_CALL, "under " + compilerMode + ", " + e.getKey()
                    + " allocated " + e.getValue() + " bytes of Java heap per call (an empty call: " + empty + "); all: " + perCall);
        }
    }
}
