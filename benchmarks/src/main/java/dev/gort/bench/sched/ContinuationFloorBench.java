package dev.gort.bench.sched;

import java.util.concurrent.TimeUnit;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under every goroutine switch: one raw {@code Continuation.run()} that resumes a
 * continuation which immediately yields again (resume + yield, no scheduler at all).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class ContinuationFloorBench {
    private static final ContinuationScope SCOPE = new ContinuationScope("bench");
    private Continuation cont;

    @Setup
    public void setUp() {
        cont = new Continuation(SCOPE, () -> {
            for (;;) {
                Continuation.yield(SCOPE);
            }
        });
    }

    @Benchmark
    public void resumeYield_floor() {
        cont.run();
    }
}
