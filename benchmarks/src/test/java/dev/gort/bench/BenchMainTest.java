package dev.gort.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Optional;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchMainTest {

    @Test
    void regexQuickAndJmhOptionsAreSeparated() {
        BenchMain.Args a = BenchMain.Args.parse(new String[] {"NativeCall", "--quick", "-p", "size=1", "-prof", "gc"});
        assertEquals("NativeCall", a.regex());
        assertTrue(a.quick());
        assertFalse(a.help());
        assertEquals(List.of("-p", "size=1", "-prof", "gc"), a.jmhArgs(), "an option's value is never taken for the regex");

        BenchMain.Args b = BenchMain.Args.parse(new String[] {"--quick", "Arena.*"});
        assertEquals("Arena.*", b.regex(), "--quick may come first");

        BenchMain.Args c = BenchMain.Args.parse(new String[] {"-f", "2", "Later"});
        assertNull(c.regex(), "after a JMH option a bare word belongs to JMH");
        assertEquals(List.of("-f", "2", "Later"), c.jmhArgs());

        assertTrue(BenchMain.Args.parse(new String[] {"--help"}).help());
        assertNull(BenchMain.Args.parse(new String[0]).regex());
    }

    @Test
    void forksGetGortsFlags() {
        List<String> flags = List.of(BenchMain.forkFlags());
        assertTrue(flags.containsAll(List.of("--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED")), flags.toString());
        assertTrue(flags.containsAll(dev.gort.JvmFlags.ALLOCATION_CALL), flags.toString());
    }

    /**
     * The collector's allocation benchmarks fork with the allocation-call flags of their own too
     * (run through JMH's main, without BenchMain's forkFlags, they would measure another build of
     * the caller): their {@code @Fork} names JvmFlags' constants, checked here as JMH reads them.
     */
    @Test
    void collectorAllocationBenchmarksForkWithTheAllocationCallFlags() {
        for (Class<?> bench : List.of(dev.gort.bench.gc.CollectorAllocBench.class, dev.gort.bench.gc.CollectorMarkingAllocBench.class)) {
            org.openjdk.jmh.annotations.Fork fork = bench.getAnnotation(org.openjdk.jmh.annotations.Fork.class);
            assertTrue(fork != null && List.of(fork.jvmArgsPrepend()).containsAll(dev.gort.JvmFlags.ALLOCATION_CALL),
                    bench.getSimpleName() + "'s @Fork lacks " + dev.gort.JvmFlags.ALLOCATION_CALL);
            // A method's own @Fork replaces the class's in JMH: it must carry the flags as well.
            for (java.lang.reflect.Method m : bench.getDeclaredMethods()) {
                org.openjdk.jmh.annotations.Fork own = m.getAnnotation(org.openjdk.jmh.annotations.Fork.class);
                assertTrue(own == null || List.of(own.jvmArgsPrepend()).containsAll(dev.gort.JvmFlags.ALLOCATION_CALL),
                        bench.getSimpleName() + "." + m.getName() + "'s @Fork lacks " + dev.gort.JvmFlags.ALLOCATION_CALL);
            }
        }
    }

    /**
     * The JVM peer {@code jvmNew32} forks with a fixed Java heap: on a growing heap some iterations
     * measured first touches of fresh memory (124-147 ns an object, no GC) instead of {@code new}.
     */
    @Test
    void theJvmPeerForksWithAFixedWarmHeap() throws NoSuchMethodException {
        org.openjdk.jmh.annotations.Fork own = dev.gort.bench.gc.CollectorAllocBench.class.getMethod("jvmNew32")
                .getAnnotation(org.openjdk.jmh.annotations.Fork.class);
        assertTrue(own != null && List.of(own.jvmArgsAppend()).containsAll(List.of("-Xms256m", "-Xmx256m", "-Xmn64m")),
                "jvmNew32's @Fork: " + (own == null ? "none" : List.of(own.jvmArgsAppend())));
    }
    private static java.util.SortedSet<BenchmarkListEntry> inTree(String regex) {
        return BenchmarkList.defaultList().find(OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                List.of(regex), List.of());
    }

    /** The options a run would get from {@code args} (JMH's own) over {@code selected}, and BenchMain's warnings. */
    private static Options budget(List<String> warnings, boolean quick, java.util.Collection<BenchmarkListEntry> selected, String... args)
            throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        ChainedOptionsBuilder opts = new OptionsBuilder().parent(cli);
        warnings.addAll(Budget.apply(opts, cli, quick, selected));
        return opts.build();
    }

    /**
     * Every in-tree benchmark declares its forks, iterations and their length, so BenchMain never
     * has to set one for a whole run (which would override the others' annotations).
     */
    @Test
    void everyBenchmarkDeclaresItsOwnBudgetAndBenchMainSetsNone() throws Exception {
        java.util.SortedSet<BenchmarkListEntry> all = inTree("dev\\.gort\\.bench\\..*");
        assertTrue(all.size() > 20, "the benchmark list was read: " + all.size());
        List<String> warnings = new ArrayList<>();
        Options o = budget(warnings, false, all);
        assertEquals(List.of(), warnings);
        assertFalse(o.getWarmupIterations().hasValue(), "no -wi for the run: each class's @Warmup applies");
        assertFalse(o.getMeasurementIterations().hasValue());
        assertFalse(o.getForkCount().hasValue());
        assertFalse(o.getWarmupTime().hasValue());
        assertFalse(o.getMeasurementTime().hasValue());
    }

    /** CollectorMarkingAllocBench's ten warm-ups (its figure falls for about eight) are what a run uses now. */
    @Test
    void aClassesOwnWarmupWinsUnlessTheCommandLineOrQuickChooses() throws Exception {
        java.util.SortedSet<BenchmarkListEntry> marking = inTree("CollectorMarkingAllocBench");
        assertFalse(marking.isEmpty());
        for (BenchmarkListEntry e : marking) {
            assertEquals(10, e.getWarmupIterations().get(), e.getUsername());
        }
        List<String> warnings = new ArrayList<>();
        assertFalse(budget(warnings, false, marking).getWarmupIterations().hasValue(), "the annotation's 10 stand");

        Options explicit = budget(warnings, false, marking, "-wi", "4", "-i", "2");
        assertEquals(4, explicit.getWarmupIterations().get(), "-wi on the command line wins");
        assertEquals(2, explicit.getMeasurementIterations().get());
        assertFalse(explicit.getForkCount().hasValue());

        Options quick = budget(warnings, true, marking);
        assertEquals(2, quick.getWarmupIterations().get(), "--quick's budget over the annotations");
        assertEquals(3, quick.getMeasurementIterations().get());
        assertEquals(1, quick.getForkCount().get());
        assertEquals(TimeValue.seconds(1), quick.getMeasurementTime().get());

        Options quickWithWi = budget(warnings, true, marking, "-wi", "7");
        assertEquals(7, quickWithWi.getWarmupIterations().get(), "the command line wins over --quick too");
        assertEquals(3, quickWithWi.getMeasurementIterations().get());
        assertEquals(List.of(), warnings);
    }

    /** A benchmark without annotations gets BenchMain's default budget, not JMH's 5 forks of 10 s iterations, and a warning. */
    @Test
    void aBenchmarkThatDeclaresNothingGetsTheDefaultBudgetWithAWarning() throws Exception {
        Optional<Integer> none = Optional.none();
        BenchmarkListEntry bare = new BenchmarkListEntry("x.Bare", "x.jmh_generated.Bare_run_jmhTest", "run", Mode.AverageTime,
                none, new int[] {1}, Optional.none(), none, Optional.none(), none, none, Optional.none(), none, none, none,
                Optional.none(), Optional.none(), Optional.none(), Optional.none(), Optional.none(), Optional.none(), none,
                Optional.none());
        assertFalse(bare.getWarmupIterations().hasValue() || bare.getForks().hasValue() || bare.getMeasurementTime().hasValue());
        List<BenchmarkListEntry> selected = new ArrayList<>(inTree("CollectorMarkingAllocBench"));
        selected.add(bare);
        List<String> warnings = new ArrayList<>();
        Options o = budget(warnings, false, selected, "-i", "6");
        assertEquals(3, o.getWarmupIterations().get());
        assertEquals(6, o.getMeasurementIterations().get(), "the command line still wins");
        assertEquals(1, o.getForkCount().get());
        assertEquals(TimeValue.seconds(1), o.getWarmupTime().get());
        assertEquals(4, warnings.size(), warnings.toString());      // -f, -wi, -w, -r: not -i, which the command line set
        assertTrue(warnings.get(1).contains("[x.Bare.run] declare no @Warmup(iterations): -wi 3 for every benchmark of this run"),
                warnings.toString());
    }
}
