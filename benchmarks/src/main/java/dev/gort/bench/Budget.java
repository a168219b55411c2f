package dev.gort.bench;

import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * How many forks and iterations of what length {@code ./gort bench} runs, setting by setting. JMH
 * takes a run's options over a benchmark's annotations, so a value BenchMain set for every run
 * used to override a class's own {@code @Warmup} (CollectorMarkingAllocBench's ten warm-ups ran
 * three: session 17). The order here: the command line ({@code -wi}, {@code -i}, {@code -w},
 * {@code -r}, {@code -f}), then {@code --quick}'s budget, then the benchmark's annotation, then
 * {@link #DEFAULT} for a selected benchmark that declares none (JMH's own defaults, 5 forks of
 * 5 + 5 iterations of 10 s, are far too long for the shared machines).
 *
 * @param forks                 JMH's {@code -f}
 * @param warmupIterations      {@code -wi}
 * @param measurementIterations {@code -i}
 * @param iterationSeconds      {@code -w} and {@code -r}
 */
record Budget(int forks, int warmupIterations, int measurementIterations, int iterationSeconds) {
    /** Where neither the command line nor the benchmark chose. */
    static final Budget DEFAULT = new Budget(1, 3, 5, 1);
    /** {@code --quick}: for every benchmark, over its annotations. */
    static final Budget QUICK = new Budget(1, 2, 3, 1);

    /** One setting: whether the command line set it, what a benchmark declared, and how to set it. */
    private record Setting(String flag, String annotation, Function<Options, Boolean> onCommandLine,
                           Function<BenchmarkListEntry, Boolean> declared, Function<Budget, Object> value,
                           java.util.function.BiConsumer<ChainedOptionsBuilder, Budget> set) {
    }

    private static final List<Setting> SETTINGS = List.of(
            new Setting("-f", "@Fork(value)", o -> o.getForkCount().hasValue(), e -> e.getForks().hasValue(), v -> v.forks,
                    (b, v) -> b.forks(v.forks)),
            new Setting("-wi", "@Warmup(iterations)", o -> o.getWarmupIterations().hasValue(),
                    e -> e.getWarmupIterations().hasValue(), v -> v.warmupIterations, (b, v) -> b.warmupIterations(v.warmupIterations)),
            new Setting("-i", "@Measurement(iterations)", o -> o.getMeasurementIterations().hasValue(),
                    e -> e.getMeasurementIterations().hasValue(), v -> v.measurementIterations, (b, v) -> b.measurementIterations(v.measurementIterations)),
            new Setting("-w", "@Warmup(time)", o -> o.getWarmupTime().hasValue(),
                    e -> e.getWarmupTime().hasValue() || timeUnused(e), v -> v.iterationSeconds + "s", (b, v) -> b.warmupTime(TimeValue.seconds(v.iterationSeconds))),
            new Setting("-r", "@Measurement(time)", o -> o.getMeasurementTime().hasValue(),
                    e -> e.getMeasurementTime().hasValue() || timeUnused(e), v -> v.iterationSeconds + "s", (b, v) -> b.measurementTime(TimeValue.seconds(v.iterationSeconds))));

    /** A single-shot benchmark's iteration is one call: it has no time to declare. */
    private static boolean timeUnused(BenchmarkListEntry e) {
        return e.getMode() == org.openjdk.jmh.annotations.Mode.SingleShotTime;
    }

    /**
     * Sets on {@code opts} what neither {@code cli} nor every one of {@code selected} chose: with
     * {@code quick}, {@link #QUICK}'s value; otherwise {@link #DEFAULT}'s, only when a selected
     * benchmark declares none (JMH has one value per run, so the others get it too). Returns a
     * warning per such setting, naming the benchmarks without the annotation.
     */
    static List<String> apply(ChainedOptionsBuilder opts, Options cli, boolean quick, Collection<BenchmarkListEntry> selected) {
        List<String> warnings = new ArrayList<>();
        for (Setting s : SETTINGS) {
            if (s.onCommandLine.apply(cli)) {
                continue;
            }
            if (quick) {
                s.set.accept(opts, QUICK);
                continue;
            }
            List<String> without = new ArrayList<>();
            for (BenchmarkListEntry e : selected) {
                if (!s.declared.apply(e)) {
                    without.add(e.getUsername());
                }
            }
            if (!without.isEmpty()) {
                s.set.accept(opts, DEFAULT);
                warnings.add(without + " declare no " + s.annotation + ": " + s.flag + " " + s.value.apply(DEFAULT)
                        + " for every benchmark of this run, over their annotations (pass " + s.flag + " to choose)");
            }
        }
        return warnings;
    }
}
