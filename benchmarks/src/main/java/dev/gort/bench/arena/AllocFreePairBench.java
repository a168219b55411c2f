package dev.gort.bench.arena;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.LibC;
import dev.gort.sys.PosixOsMemory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
 * One allocate + free pair (manual mode, single thread), the same size each time, against the
 * peers a JVM service would otherwise use:
 *
 * <ul>
 * <li>{@code mallocFree_baseline}: glibc malloc + free through FFM downcalls with
 *     {@code critical(false)} ({@code LibC.malloc/free}); the ratio column is relative to it.</li>
 * <li>{@code gort}: {@code MCache.alloc(n, noscan=true)} then {@code MCache.free}; the memory is
 *     zeroed when handed out (needzero), which malloc does not do.</li>
 * <li>{@code arenaConfined}: {@code Arena.ofConfined()}, allocate n, close (zeroed memory).</li>
 * <li>{@code nettyPooled}: {@code PooledByteBufAllocator.DEFAULT.directBuffer(n).release()}.</li>
 * <li>{@code newByteArray}: {@code new byte[n]}, the JVM's floor (TLAB bump, zeroing, and a
 *     young GC now and then).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class AllocFreePairBench {
    @Param({"16", "32", "64", "256", "4096"})
    public int size;

    private Heap heap;
    private MCache cache;

    @Setup(Level.Trial)
    public void setUp() {
        heap = Heap.create(HeapConfig.defaults(), PosixOsMemory.get());
        cache = heap.newCache();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        heap.releaseCache(cache);
        heap.close();
    }

    @Benchmark
    public long mallocFree_baseline() {
        long p = LibC.malloc(size);
        LibC.free(p);
        return p;
    }

    @Benchmark
    public long gort() {
        long p = cache.alloc(size, true);
        cache.free(p);
        return p;
    }

    @Benchmark
    public long arenaConfined() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(size);
            return s.address();
        }
    }

    @Benchmark
    public int nettyPooled() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        int cap = b.capacity();
        b.release();
        return cap;
    }

    @Benchmark
    public byte[] newByteArray() {
        return new byte[size];
    }
}
