package dev.gort;

import java.util.ArrayList;
import java.util.List;

/**
 * The two JVM flags every gort process needs, checked at start-up so an embedder who forgot one
 * reads which, instead of a warning per native call or an IllegalAccessError deep inside the
 * scheduler:
 * <ul>
 * <li>{@code --enable-native-access=ALL-UNNAMED}: FFM downcalls (mmap, madvise, ...) without it
 *     print a restricted-method warning on JDK 22-25 and fail on later JDKs;</li>
 * <li>{@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}: goroutines are
 *     {@code jdk.internal.vm.Continuation}s.</li>
 * </ul>
 */
public final class JvmFlags {
    private JvmFlags() {
    }

    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    public static final String ADD_EXPORTS = "--add-exports java.base/jdk.internal.vm=ALL-UNNAMED";

    /**
     * {@link #ALLOCATION_CALL}'s flags one by one, as constants: JMH's {@code @Fork} annotations take
     * only constant expressions, and a copy of the string there would miss a rename of the method.
     */
    public static final String COMPILE_COMMAND_QUIET = "-XX:CompileCommand=quiet";
    public static final String DONTINLINE_ALLOCATION = "-XX:CompileCommand=dontinline,dev.gort.gc.Collector::allocFor";

    /**
     * Recommended, not required: keeps C2 from inlining the collector's allocation fast path
     * ({@code Collector.allocFor}) into its callers, so an allocation is one call, as Go's mallocgc
     * is. Inlined, its ~7-10 thousand parse nodes (each FFM access through the all-memory segment
     * parses to ~650 before C2 folds it) push a recursive allocating caller over C2's
     * NodeCountInliningCutoff, and which calls C2 then leaves out of line depends on the profile at
     * compile time: binary-trees' mutator CPU varied by a third between runs of one build. Out of
     * line, the caller's compilation is the same every run (docs/performance.md, "Session 14, lead").
     * {@code quiet} keeps the JVM from printing the command at start-up. The launcher, Surefire, the
     * benchmark forks and the benchmark harnesses' child JVMs pass these.
     */
    public static final List<String> ALLOCATION_CALL = List.of(COMPILE_COMMAND_QUIET, DONTINLINE_ALLOCATION);

    /** The flags missing for the module gort runs in (empty when both are present). */
    public static List<String> missing() {
        return missing(JvmFlags.class.getModule());
    }

    static List<String> missing(Module gort) {
        List<String> out = new ArrayList<>(2);
        if (!gort.isNativeAccessEnabled()) {
            out.add(NATIVE_ACCESS);
        }
        if (!Object.class.getModule().isExported("jdk.internal.vm", gort)) {
            out.add(ADD_EXPORTS);
        }
        return out;
    }

    /** Throws {@link IllegalStateException} naming each missing flag and how to pass it. */
    public static void check() {
        List<String> missing = missing();
        if (missing.isEmpty()) {
            return;
        }
        String module = JvmFlags.class.getModule().isNamed() ? JvmFlags.class.getModule().getName() : "ALL-UNNAMED";
        StringBuilder sb = new StringBuilder("gort needs JVM flag");
        sb.append(missing.size() == 1 ? " " : "s ").append(String.join(" and ", missing)).append(", missing from this JVM");
        sb.append(" (module ").append(module).append(").");
        sb.append(" Add ").append(missing.size() == 1 ? "it" : "them").append(" to the java command line");
        sb.append(" (./gort run passes both; Surefire: <argLine>; or JDK_JAVA_OPTIONS).");
        throw new IllegalStateException(sb.toString());
    }
}
