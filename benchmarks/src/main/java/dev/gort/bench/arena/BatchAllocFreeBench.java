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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/**
 * The batch pattern: allocate 10,000 objects, then free them all (in allocation order). Scores
 * are per object (allocate + its free). Here gort's frees land in spans the mcache no longer
 * holds (remote-free path: one atomic announce + one atomic OR per free) and the spans are folded
 * at the next refill, so this measures the mcentral round trip too. The Arena peer allocates the
 * 10,000 segments from one confined arena and closes it once, its natural batch use.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class BatchAllocFreeBench {
    static final int BATCH = 10_000;

    @Param({"32", "256"})
    public int size;

    private Heap heap;
    private MCache cache;
    private final long[] addrs = new long[BATCH];
    private final ByteBuf[] bufs = new ByteBuf[BATCH];
    private final byte[][] arrays = new byte[BATCH][];

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
    @OperationsPerInvocation(BATCH)
    public void mallocFree_baseline() {
        for (int i = 0; i < BATCH; i++) {
            addrs[i] = LibC.malloc(size);
        }
        for (int i = 0; i < BATCH; i++) {
            LibC.free(addrs[i]);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void gort() {
        for (int i = 0; i < BATCH; i++) {
            addrs[i] = cache.alloc(size, true);
        }
        for (int i = 0; i < BATCH; i++) {
            cache.free(addrs[i]);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void arenaConfined(Blackhole bh) {
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < BATCH; i++) {
                bh.consume(a.allocate(size));
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void nettyPooled() {
        for (int i = 0; i < BATCH; i++) {
            bufs[i] = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        }
        for (int i = 0; i < BATCH; i++) {
            bufs[i].release();
            bufs[i] = null;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void newByteArray() {
        for (int i = 0; i < BATCH; i++) {
            arrays[i] = new byte[size];
        }
        for (int i = 0; i < BATCH; i++) {
            arrays[i] = null;
        }
    }
}
