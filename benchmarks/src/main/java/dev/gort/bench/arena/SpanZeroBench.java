package dev.gort.bench.arena;

import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Zeroing a freed span whole at its refill (MCache.zeroIfAllFree: binary-trees' 8 KiB spans of
 * 16-byte nodes, 4 % of the mutator's CPU at depth 21 in session 36's JFR), the two ways:
 * <ul>
 * <li>{@code copyFromZeros}: lead36's Zeroing.zero above 128 B, a {@code MemorySegment.copy} from
 *     a 32 KiB block of zeros (a load and a store per word).</li>
 * <li>{@code memset}: {@link NativeMemory#fill}, libc's memset (stores only).</li>
 * </ul>
 * {@code footprintMiB} is the memory the spans rotate through: 0 = one span, always hot in L1;
 * 256 = a binary-trees heap's size, far beyond this machine's 32 MiB L3, so each span is cold as
 * a span freed a cycle ago is.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class SpanZeroBench {
    private static final long ZERO_BYTES = 32 << 10;
    private static final MemorySegment ZEROS = Arena.global().allocate(ZERO_BYTES, 64);

    @Param({"8192"})
    public int spanBytes;

    @Param({"0", "256"})
    public int footprintMiB;

    private long base;
    private long spans;
    private long next;

    @Setup(Level.Trial)
    public void setUp() {
        long bytes = Math.max(spanBytes, (long) footprintMiB << 20);
        spans = bytes / spanBytes;
        base = LibC.malloc(bytes);
        NativeMemory.fill(base, bytes, (byte) 1);       // touched: no first-touch fault in the figure
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        LibC.free(base);
    }

    private long nextSpan() {
        long a = base + next * spanBytes;
        next = next + 1 == spans ? 0 : next + 1;
        return a;
    }

    @Benchmark
    public void copyFromZeros() {
        long address = nextSpan();
        long bytes = spanBytes;
        while (bytes > 0) {
            long n = Math.min(bytes, ZERO_BYTES);
            MemorySegment.copy(ZEROS, 0, NativeMemory.ALL, address, n);
            address += n;
            bytes -= n;
        }
    }

    @Benchmark
    public void memset() {
        NativeMemory.fill(nextSpan(), spanBytes, (byte) 0);
    }
}
