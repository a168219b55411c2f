package dev.gort.bench;

import org.junit.jupiter.api.Test;

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
}
