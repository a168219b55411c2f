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

import java.util.concurrent.TimeUnit;

/**
 * The general path, not the last-allocation shortcut: 64 objects stay live in a ring; each
 * operation frees the oldest and allocates a new one in its place (FIFO). For gort every free is
 * an owner's free of an object that is not its last allocation (spans lookup, slot arithmetic,
 * double-free checks, a localFreed bit), and the span is folded each time its cursor runs out.
 * For malloc it is glibc's tcache/fastbin path. new byte[] is left out: a ring of arrays measures
 * the collector's card marking more than allocation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class AllocFreeRingBench {
    static final int RING = 64;

    @Param({"32", "256"})
    public int size;

    private Heap heap;
    private MCache cache;
    private final long[] gortRing = new long[RING];
    private final long[] mallocRing = new long[RING];
    private final ByteBuf[] nettyRing = new ByteBuf[RING];
    private int pos;

    @Setup(Level.Trial)
    public void setUp() {
        heap = Heap.create(HeapConfig.defaults(), PosixOsMemory.get());
        cache = heap.newCache();
        for (int i = 0; i < RING; i++) {
            gortRing[i] = cache.alloc(size, true);
            mallocRing[i] = LibC.malloc(size);
            nettyRing[i] = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (int i = 0; i < RING; i++) {
            cache.free(gortRing[i]);
            LibC.free(mallocRing[i]);
            nettyRing[i].release();
        }
        heap.releaseCache(cache);
        heap.close();
    }

    @Benchmark
    public long mallocFree_baseline() {
        int k = pos++ & (RING - 1);
        LibC.free(mallocRing[k]);
        return mallocRing[k] = LibC.malloc(size);
    }

    @Benchmark
    public long gort() {
        int k = pos++ & (RING - 1);
        cache.free(gortRing[k]);
        return gortRing[k] = cache.alloc(size, true);
    }

    @Benchmark
    public int nettyPooled() {
        int k = pos++ & (RING - 1);
        nettyRing[k].release();
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        nettyRing[k] = b;
        return b.capacity();
    }
}
