package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.MCache;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Mem;
import dev.gort.gc.Type;
import dev.gort.sys.PosixOsMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * A typed allocation through the collector ({@code Collector.alloc}: safepoint, pacing checks,
 * mcache, pointer bits; the garbage collected by background cycles at GOGC=100 over a small live
 * heap, so the figure includes the amortised cycles, sweeping and assists) against the arena's
 * own manual-mode alloc + free pair and the JVM's {@code new}, and the same node allocation while
 * the collector marks.
 *
 * <ul>
 * <li>{@code arenaPair_baseline}: {@code MCache.alloc(32) + free}, the allocator alone.</li>
 * <li>{@code collectorAlloc32}: a 32-byte object with one pointer field (pointer bits written).</li>
 * <li>{@code collectorNode16}: binary-trees' node (two pointers), both fields stored through the
 *     write barrier with a pointer to a rooted object, as the program links children. The live
 *     heap is tiny, so marking takes a small share of the time: mostly "not marking".</li>
 * <li>the same while marking: {@link CollectorMarkingAllocBench} (its own class: the write
 *     barrier's switch is process-wide, so one collector per JMH fork).</li>
 * <li>{@code jvmNew32}: a Java object of two references and two longs (TLAB bump + young GC), in
 *     a fork of its own with a fixed, warm Java heap.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        dev.gort.JvmFlags.COMPILE_COMMAND_QUIET, dev.gort.JvmFlags.DONTINLINE_ALLOCATION})
@State(Scope.Thread)
public class CollectorAllocBench {
    /** The JVM peer's fixed heap (see {@link #jvmNew32}). */
    static final String JVM_PEER_HEAP_MIN = "-Xms256m", JVM_PEER_HEAP_MAX = "-Xmx256m", JVM_PEER_YOUNG = "-Xmn64m";
    static final Type OBJ32 = Type.struct("Obj32").pointer("p").longField("a").longField("b").longField("c").build();
    static final Type NODE = Type.struct("Node").pointer("left").pointer("right").build();

    private Heap manualHeap;
    private MCache cache;
    private Heap heap;
    private Collector gc;
    private long keep;

    record JObj(Object p, Object q, long a, long b) {
    }

    @Setup(Level.Trial)
    public void setUp() {
        manualHeap = Heap.create(HeapConfig.defaults(), PosixOsMemory.get());
        cache = manualHeap.newCache();
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(4L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT, 2);
        gc.threadWorld().register(8).roots().set(0, keep = gc.alloc(NODE));   // setup runs on the benchmark thread (Scope.Thread)
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        gc.threadWorld().unregister();
        gc.close();
        heap.close();
        manualHeap.releaseCache(cache);
        manualHeap.close();
    }

    @Benchmark
    public long arenaPair_baseline() {
        long p = cache.alloc(32, false);
        cache.free(p);
        return p;
    }

    @Benchmark
    public long collectorAlloc32() {
        return gc.alloc(OBJ32);
    }

    @Benchmark
    public long collectorNode16() {
        long n = gc.alloc(NODE);
        Mem.storePtr(n, 0, keep);
        Mem.storePtr(n, 8, keep);
        return n;
    }

    /**
     * The JVM peer in steady state: a fixed Java heap with a 64 MB young generation, so eden is
     * reused, warm, after the first collections. With the default growing heap some iterations
     * allocated into memory never touched before and took 124-147 ns an object with no GC at all:
     * on this VM a first touch of a 4 KiB page costs 35-135 us (the host backs it only then; the
     * balloon's free page reporting hands freed guest memory back), so those iterations measured
     * the host's page faults, not {@code new} (docs/performance.md, "Session 15, lead").
     * Method-level {@code @Fork} replaces the class's, so the gort flags are repeated.
     */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            dev.gort.JvmFlags.COMPILE_COMMAND_QUIET, dev.gort.JvmFlags.DONTINLINE_ALLOCATION},
            jvmArgsAppend = {JVM_PEER_HEAP_MIN, JVM_PEER_HEAP_MAX, JVM_PEER_YOUNG})
    public Object jvmNew32() {
        return new JObj(null, null, 1, 2);
    }
}
