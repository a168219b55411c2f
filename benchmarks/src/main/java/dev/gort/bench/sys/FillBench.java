package dev.gort.bench.sys;

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

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * Zeroing a small native range, the ways {@link NativeMemory#fill} could do it (its callers: a
 * span descriptor's 256 B at each span's set-up, a P's or G table's block, the spans region's
 * entries of a span; session 24, hostgc24):
 * <ul>
 * <li>{@code slice}: the old code, {@code ALL.asSlice(address, bytes).fill(0)}: a MemorySegment
 *     per call unless C2 removes it.</li>
 * <li>{@code stores}: word stores through the all-memory segment, then the tail's bytes.</li>
 * <li>{@code memsetCritical}: libc's memset as a {@code critical(false)} downcall.</li>
 * <li>{@code fill}: NativeMemory.fill as it is now (stores up to its threshold, memset above).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class FillBench {
    private static final MethodHandle MEMSET = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("memset").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
            Linker.Option.critical(false));

    @Param({"8", "16", "32", "64", "256", "4096"})
    public int bytes;

    private long block;

    @Setup(Level.Trial)
    public void setUp() {
        block = LibC.malloc(8192);
        NativeMemory.fill(block, 8192, (byte) 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        LibC.free(block);
    }

    @Benchmark
    public void slice() {
        NativeMemory.ALL.asSlice(block, bytes).fill((byte) 0);
    }

    @Benchmark
    public void stores() {
        long end = block + bytes;
        long a = block;
        for (; end - a >= 8; a += 8) {
            NativeMemory.ALL.set(NativeMemory.LONG, a, 0L);
        }
        for (; a < end; a++) {
            NativeMemory.ALL.set(ValueLayout.JAVA_BYTE, a, (byte) 0);
        }
    }

    @Benchmark
    public long memsetCritical() throws Throwable {
        return (long) MEMSET.invokeExact(block, 0, (long) bytes);
    }

    @Benchmark
    public void fill() {
        NativeMemory.fill(block, bytes, (byte) 0);
    }
}
