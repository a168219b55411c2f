package dev.gort.bench.arena;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.sys.Advice;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.PosixOsMemory;
import dev.gort.sys.ProcessMemory;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Release throughput: before each measured call, 256 MiB of small objects (16 B to 4 KiB) are
 * allocated, touched and freed; the measured call is {@code Heap.freeOSMemory()} (fold pending
 * frees, return empty spans, madvise every free run). Single-shot time per call; MiB/s = 256 /
 * seconds. The aux counters report what each call released and the arena residency after it
 * (mincore), so the table shows that the time bought a real release.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class ReleaseBench {
    static final long MiB = 1L << 20;
    static final long TOTAL = 256 * MiB;
    static final int[] SIZES = {16, 48, 64, 112, 256, 512, 1024, 2048, 4096};

    @Param({"DONTNEED", "FREE"})
    public String advice;

    private Heap heap;
    private long[] objs;
    private int count;

    /** Figures of the last measured call, reported next to the time. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Released {
        public double releasedMiB;
        public double arenaResidentAfterKiB;
        public double lazyFreeMiB;
    }

    @Setup(Level.Trial)
    public void setUp() {
        heap = Heap.create(HeapConfig.defaults().withAdvice(Advice.parse(advice)), PosixOsMemory.get());
        objs = new long[(int) (TOTAL / 16)];
    }

    @Setup(Level.Iteration)
    public void fill() {
        MCache cache = heap.newCache();
        long done = 0;
        count = 0;
        while (done < TOTAL) {
            int size = SIZES[count % SIZES.length];
            long p = cache.alloc(size, true);
            NativeMemory.putLong(p, p);
            NativeMemory.putLong(p + size - 8, p);
            objs[count++] = p;
            done += size;
        }
        for (int i = 0; i < count; i++) {
            cache.free(objs[i]);
        }
        heap.releaseCache(cache);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        heap.close();
    }

    @Benchmark
    public long freeOSMemory(Released r) {
        long released = heap.freeOSMemory();
        r.releasedMiB = released / (double) MiB;
        r.arenaResidentAfterKiB = heap.arenaResidentBytes() / 1024.0;
        r.lazyFreeMiB = ProcessMemory.read().lazyFree() / (double) MiB;
        return released;
    }
}
