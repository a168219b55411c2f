package dev.gort.bench.sys;

import dev.gort.sys.Advice;
import dev.gort.sys.CpuAffinity;
import dev.gort.sys.LibC;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.OsConstants;
import dev.gort.sys.Platform;
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
 * What one native call costs on the hot path, so later modules know their budget: the typed
 * layer (PosixOsMemory, CpuAffinity) over the raw LibC downcalls, against
 * {@code System.nanoTime()} as the floor (a JVM intrinsic reading the vDSO clock: the cheapest
 * thing that leaves Java). Ratios in ./gort bench's table are relative to that floor.
 *
 * <ul>
 * <li>{@code madvise_dontneed_page}: MADV_DONTNEED of one committed page that is already
 *     released (the syscall and VMA walk, no page freed: the steady state of a repeated release).</li>
 * <li>{@code touch_then_madvise_dontneed_page}: write the page (a minor fault and a zeroed page)
 *     then release it: what releasing a page that was really used costs.</li>
 * <li>{@code mincore_1MiB}: residency of 256 pages into a preallocated vector.</li>
 * <li>{@code sched_getcpu_critical} / {@code sched_getcpu_noncritical}: the same vDSO call with
 *     and without {@code Linker.Option.critical(false)}, i.e. the cost of the thread-state
 *     transition.</li>
 * <li>{@code gettid}, {@code clock_gettime_monotonic}, {@code clock_gettime_thread_cputime}:
 *     other per-M calls the scheduler and gctrace make.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class NativeCallBench {
    private static final long MiB = 1L << 20;

    private final PosixOsMemory os = PosixOsMemory.get();
    private final OsConstants c = Platform.current().constants();
    private long region;
    private long page;
    private long vec;
    private long timespec;

    @Setup(Level.Trial)
    public void setUp() {
        page = os.pageSize();
        region = os.reserve(2 * MiB);
        os.commit(region, 2 * MiB);
        NativeMemory.fill(region, MiB, (byte) 1); // the mincore range: resident
        vec = LibC.malloc(MiB / page);
        timespec = LibC.malloc(16);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        os.unmap(region, 2 * MiB);
        LibC.free(vec);
        LibC.free(timespec);
    }

    @Benchmark
    public long nanoTime_floor() {
        return System.nanoTime();
    }

    @Benchmark
    public boolean madvise_dontneed_page() {
        return os.release(region + MiB, page, Advice.DONTNEED);
    }

    @Benchmark
    public boolean touch_then_madvise_dontneed_page() {
        NativeMemory.putLong(region + MiB + page, 1);
        return os.release(region + MiB + page, page, Advice.DONTNEED);
    }

    @Benchmark
    public long mincore_1MiB() {
        LibC.mincore(region, MiB, vec);
        return NativeMemory.getLong(vec);
    }

    @Benchmark
    public int sched_getcpu_critical() {
        return LibC.sched_getcpu();
    }

    @Benchmark
    public int sched_getcpu_noncritical() {
        return LibC.sched_getcpu_noncritical();
    }

    @Benchmark
    public long gettid() {
        return CpuAffinity.threadId();
    }

    @Benchmark
    public long clock_gettime_monotonic() {
        LibC.clock_gettime(c.CLOCK_MONOTONIC(), timespec);
        return NativeMemory.getLong(timespec + 8);
    }

    @Benchmark
    public long clock_gettime_thread_cputime() {
        LibC.clock_gettime(c.CLOCK_THREAD_CPUTIME_ID(), timespec);
        return NativeMemory.getLong(timespec + 8);
    }
}
