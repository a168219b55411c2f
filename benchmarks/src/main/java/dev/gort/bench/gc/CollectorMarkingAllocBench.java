package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
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
 * {@link CollectorAllocBench#collectorNode16} while the collector marks: each measurement
 * iteration runs with the cycle held right after mark start (barrier on, allocate-black, assists
 * paid by stealing background credit the benchmark banks, at a low assist ratio as when the
 * workers keep up: GOGC so high that the goal, 4 MiB x GOGC/100 = 4 GiB, is never near). The
 * iteration's allocations (a few hundred MB) are freed by the cycle finishing between iterations.
 * Its own class because the write barrier's switch and shader are process-wide: one collector per
 * JMH fork. On a loaded machine prefer {@link AllocCpuRun} (thread CPU time, not wall).
 *
 * <p>Ten warm-ups: each iteration's figure falls for about eight (131, 119, 72, 68, 59, 56, 54,
 * 47 ns, then 40-50; the stores-of-new-nodes case 107 down to 26-33 ns), so with three the
 * measured five were still the warm-up's tail, 20-30 % above the steady figure (session 17, branch
 * leftovers, when BenchMain set {@code -wi 3} over every class's annotation; since session 18 the
 * annotation stands unless {@code -wi} or {@code --quick} is given; not traced: the JIT's later
 * tiers and the arena's first touches of the pages each faster iteration reaches are the candidates).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        dev.gort.JvmFlags.COMPILE_COMMAND_QUIET, dev.gort.JvmFlags.DONTINLINE_ALLOCATION})
@State(Scope.Thread)
public class CollectorMarkingAllocBench {
    static final Type NODE = Type.struct("Node").pointer("left").pointer("right").build();

    private Heap heap;
    private Collector gc;
    private long keep;
    /** The two nodes allocated last (this mark phase: black, named by the barrier's filter). */
    private long prev, prev2;

    @Setup(Level.Trial)
    public void setUp() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(8L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withGcPercent(100_000), 2);
        gc.threadWorld().register(8).roots().set(0, keep = gc.alloc(NODE));    // setup runs on the benchmark thread
    }

    @Setup(Level.Iteration)
    public void holdInMark() {
        gc.runTo(Collector.Breakpoint.AFTER_MARK_START, 60_000);
        gc.pacer().bgScanCredit.set(1L << 50);     // the workers "keep up": assists steal, never wait
        prev = prev2 = gc.alloc(NODE);
    }

    @TearDown(Level.Iteration)
    public void finishCycle() {
        gc.setBreakpoint(Collector.Breakpoint.NONE);
        gc.resume();
        gc.awaitIdle(60_000);
        gc.sweepAll();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        gc.threadWorld().unregister();
        gc.close();
        heap.close();
    }

    @Benchmark
    public long collectorNode16_marking() {
        long n = gc.alloc(NODE);
        Mem.storePtr(n, 0, keep);
        Mem.storePtr(n, 8, keep);
        return n;
    }

    /**
     * binary-trees' pattern: the stored pointers are this cycle's own (black) nodes, so the
     * barrier's allocated-black filter answers both halves without a shade.
     */
    @Benchmark
    public long collectorNode16_marking_storesOfNewNodes() {
        long n = gc.alloc(NODE);
        Mem.storePtr(n, 0, prev);
        Mem.storePtr(n, 8, prev2);
        prev2 = prev;
        prev = n;
        return n;
    }
}
