package dev.gort.bench.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.StackAllocator;
import dev.gort.gc.Collector;
import dev.gort.gc.GcOptions;
import dev.gort.gc.Type;
import dev.gort.sys.PosixOsMemory;
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
 * What following the stacks under a memory limit costs under goroutine churn (review36a F2): one
 * op is a round of {@code goroutines} short-lived goroutines whose grown 8 KiB stacks are freed at exit (with eight
 * a 32 KiB stack span is taken and one returned every round) and which allocate {@code nodes} 32-byte
 * objects between them (256: one span refill a round, so every refill re-arms the trigger: the
 * worst case; 4096: one re-arm in 16 refills). {@code limit}: "none", or 1 GiB, far above what the
 * benchmark holds, so the limit never sets the goal and the two arms run the same cycles; the
 * difference is the re-arm (a heap-lock acquisition, the pacer's arithmetic, setNextGC, under ctl).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        dev.gort.JvmFlags.COMPILE_COMMAND_QUIET, dev.gort.JvmFlags.DONTINLINE_ALLOCATION})
@State(Scope.Thread)
public class StackChurnAllocBench {
    static final Type NODE = Type.struct("Node").pointer("next").longField("id").longField("a").longField("b").build();
    static final long GROWN_STACK = 8L << 10;
    /** Stack segments of GROWN_STACK a 32 KiB stack span holds. */
    static final int PER_SPAN = 4;

    @Param({"none", "1GiB"})
    public String limit;
    @Param({"256", "4096"})
    public int nodes;
    /**
     * Goroutines a round: 8 take a second stack span and return one every round; 4 fit in the one
     * span kept for the order, so no span moves and nothing is re-armed (the control: what else
     * the limit costs, the figures read at each revise during the mark and at each commit).
     */
    @Param({"8", "4"})
    public int goroutines;

    private Heap heap;
    private Collector gc;
    private StackAllocator stacks;
    private long[] live;

    @Setup(Level.Trial)
    public void setUp() {
        GcOptions options = switch (limit) {
            case "none" -> GcOptions.DEFAULT;
            case "1GiB" -> GcOptions.DEFAULT.withMemoryLimit(1L << 30);
            default -> throw new IllegalArgumentException("limit " + limit + ": accepted none or 1GiB");
        };
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(4L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, options, 2);
        gc.threadWorld().register(1);       // setup runs on the benchmark thread (Scope.Thread)
        stacks = heap.stacks();
        if (goroutines != 2 * PER_SPAN && goroutines != PER_SPAN) {
            throw new IllegalArgumentException("goroutines " + goroutines + ": accepted " + PER_SPAN + " or " + 2 * PER_SPAN);
        }
        live = new long[goroutines];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        gc.threadWorld().unregister();
        gc.close();
        heap.close();
    }

    @Benchmark
    public long churnRound() {
        long last = 0;
        for (int g = 0; g < goroutines; g++) {
            live[g] = stacks.alloc(GROWN_STACK);
        }
        for (int i = 0; i < nodes; i++) {
            last = gc.alloc(NODE);
        }
        for (int g = 0; g < goroutines; g++) {
            stacks.free(live[g], GROWN_STACK);
        }
        return last;
    }
}
