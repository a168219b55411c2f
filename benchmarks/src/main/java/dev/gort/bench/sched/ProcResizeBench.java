package dev.gort.bench.sched;

import dev.gort.sched.Go;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one GOMAXPROCS change costs (ns/op, lower is better): {@code Scheduler.setGomaxprocs}
 * alternating between 1 and 2 (a stop-the-world, Go's procresize: one P destroyed or revived, its
 * mcache released or made) from the main goroutine of an otherwise idle scheduler, and between 2
 * and 4. The JDK's nearest thing, {@code ForkJoinPool.setParallelism} (no stop, no per-worker
 * state to move), is the reference point, not a like-for-like peer. There is no Go toolchain on
 * this machine to measure runtime.GOMAXPROCS itself.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class ProcResizeBench {
    static final int N = 200;

    private GortHarness gort;
    private ForkJoinPool fjp;

    @Setup(Level.Trial)
    public void setUp() {
        gort = new GortHarness(2);
        fjp = new ForkJoinPool(2);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        gort.close();
        fjp.shutdownNow();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void resize_gort_1_2() {
        gort.run(() -> {
            for (int i = 0; i < N / 2; i++) {
                Go.scheduler().setGomaxprocs(1);
                Go.scheduler().setGomaxprocs(2);
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void resize_gort_2_4() {
        gort.run(() -> {
            for (int i = 0; i < N / 2; i++) {
                Go.scheduler().setGomaxprocs(4);
                Go.scheduler().setGomaxprocs(2);
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void resize_forkJoinPool_1_2() {
        for (int i = 0; i < N / 2; i++) {
            fjp.setParallelism(1);
            fjp.setParallelism(2);
        }
    }
}
