package dev.gort.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * {@code ./gort bench [regex] [--quick] [jmh options]}: runs JMH benchmarks, writes JMH's JSON to
 * {@code <results dir>/<timestamp>.json} and prints a markdown table with a ratio column (see
 * {@link BenchTable} for the baseline rule).
 *
 * <p>Arguments: the results directory (the launcher passes benchmarks/results), then in any
 * order: {@code --quick}; a regex selecting benchmarks (a bare word before the first JMH option,
 * matched against fully qualified benchmark names as JMH does; default: all); any JMH command
 * line options ({@code -p size=1024}, {@code -prof gc}, {@code -f 2}, ...), which win over the
 * defaults below.
 *
 * <p>Budgets (the machines are shared, so modest): each benchmark's own {@code @Warmup},
 * {@code @Measurement} and {@code @Fork} (every class here declares them: 1 fork, mostly 3 warmup
 * and 5 measurement iterations of 1 s, more where a class needs it; BenchMainTest checks);
 * {@code -wi}/{@code -i}/{@code -w}/{@code -r}/{@code -f} on the command line win over them;
 * {@code --quick} is 1 fork, 2 warmup and 3 measurement iterations of 1 s for every benchmark
 * (what the command line does not set). A benchmark that declares none of a setting gets
 * {@link Budget#DEFAULT}'s, and since JMH has one value per run, so does every benchmark of that
 * run (a warning names them). Every fork gets gort's two JVM flags and the allocation-call flags;
 * {@code -jvmArgs}/{@code -jvmArgsAppend} on the command line add to them.
 */
public final class BenchMain {
    private BenchMain() {
    }

    /**
     * The flags every gort JVM needs, and the allocation call kept out of line
     * ({@link dev.gort.JvmFlags#ALLOCATION_CALL}); the launcher and Surefire pass the same.
     */
    static final String[] GORT_JVM_FLAGS = java.util.stream.Stream.concat(
            java.util.stream.Stream.of("--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"),
            dev.gort.JvmFlags.ALLOCATION_CALL.stream()).toArray(String[]::new);

    /** gort's flags, plus silencing JDK 23+'s sun.misc.Unsafe warning about JMH's own field access. */
    static String[] forkFlags() {
        if (Runtime.version().feature() < 23) {
            return GORT_JVM_FLAGS;
        }
        String[] flags = java.util.Arrays.copyOf(GORT_JVM_FLAGS, GORT_JVM_FLAGS.length + 1);
        flags[GORT_JVM_FLAGS.length] = "--sun-misc-unsafe-memory-access=allow";
        return flags;
    }

    /**
     * The arguments after the results directory: {@code --quick} anywhere, {@code -h}/{@code --help},
     * the regex (a bare word before the first JMH option), and everything else for JMH.
     */
    record Args(boolean quick, boolean help, String regex, List<String> jmhArgs) {
        static Args parse(String[] args) {
            boolean quick = false;
            boolean help = false;
            String regex = null;
            List<String> jmh = new ArrayList<>();
            for (String a : args) {
                if (a.equals("--quick")) {
                    quick = true;
                } else if (a.equals("-h") || a.equals("--help")) {
                    help = true;
                } else if (regex == null && jmh.isEmpty() && !a.startsWith("-")) {
                    regex = a;
                } else {
                    jmh.add(a);
                }
            }
            return new Args(quick, help, regex, List.copyOf(jmh));
        }
    }

    /** How long to wait for another JMH run on this machine (JMH's /tmp/jmh.lock) before giving up. */
    private static final long LOCK_WAIT_NANOS = 15L * 60 * 1_000_000_000L;

    /**
     * Runs, but first waits while another JMH run on this machine holds JMH's lock: the build
     * machines are shared, and two benchmark runs at once would spoil each other's figures.
     */
    static Collection<RunResult> runWhenNoOtherJmhRuns(Runner runner) throws RunnerException {
        long deadline = System.nanoTime() + LOCK_WAIT_NANOS;
        boolean told = false;
        while (true) {
            try {
                return runner.run();
            } catch (RunnerException e) {
                boolean locked = e.getMessage() != null && e.getMessage().contains("Unable to acquire the JMH lock");
                if (!locked || System.nanoTime() > deadline) {
                    throw e;
                }
                if (!told) {
                    System.err.println("gort bench: another JMH run holds /tmp/jmh.lock (someone else benchmarking on this"
                            + " machine); waiting up to 15 min for it to finish (-Djmh.ignoreLock=true in GORT_JAVA_OPTS skips this)");
                    told = true;
                }
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    public static void main(String[] args) throws IOException, RunnerException, CommandLineOptionException {
        if (args.length == 0) {
            System.err.println("usage: BenchMain <results dir> [regex] [--quick] [jmh options]   (./gort bench passes the dir)");
            System.exit(2);
        }
        Path resultsDir = Path.of(args[0]);
        Args parsed = Args.parse(Arrays.copyOfRange(args, 1, args.length));
        if (parsed.help()) {
            System.out.println("usage: ./gort bench [regex] [--quick] [jmh options]\n"
                    + "  regex     selects benchmarks by fully qualified name (default: all)\n"
                    + "  --quick   1 fork, 2 warmup + 3 measurement iterations of 1 s\n"
                    + "  jmh options as for JMH's own main (e.g. -p size=1024 -prof gc -f 2); JMH's list follows.\n");
            new CommandLineOptions("-h").showHelp();
            return;
        }
        boolean quick = parsed.quick();
        String regex = parsed.regex();
        List<String> jmhArgs = parsed.jmhArgs();

        CommandLineOptions cli;
        try {
            cli = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        } catch (CommandLineOptionException e) {
            System.err.println("gort bench: bad JMH option: " + e.getMessage() + " (./gort bench --help lists them)");
            System.exit(2);
            return;
        }

        Files.createDirectories(resultsDir);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path json = resultsDir.resolve(stamp + ".json").toAbsolutePath();

        ChainedOptionsBuilder opts = new OptionsBuilder().parent(cli)
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
        // Prepending overrides a class's @Fork(jvmArgsPrepend); an empty -jvmArgs stops JMH from
        // copying this JVM's own arguments into forks (which would repeat the flags).
        opts.jvmArgsPrepend(forkFlags());
        if (!cli.getJvmArgs().hasValue()) {
            opts.jvmArgs();
        }
        if (regex != null) {
            opts.include(regex);
        } else if (cli.getIncludes().isEmpty()) {
            opts.include("dev\\.gort\\.bench\\..*");
        }
        Options chosen = opts.build();      // the includes and excludes as the Runner will read them
        java.util.SortedSet<BenchmarkListEntry> selected = BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.err, VerboseMode.SILENT), chosen.getIncludes(), chosen.getExcludes());
        for (String warning : Budget.apply(opts, cli, quick, selected)) {
            System.err.println("gort bench: " + warning);
        }

        Runner runner = new Runner(opts.build());
        if (cli.shouldList() || cli.shouldListWithParams()) {
            if (cli.shouldListWithParams()) {
                runner.listWithParams(cli);
            } else {
                runner.list();
            }
            return;
        }
        Collection<RunResult> results;
        try {
            results = runWhenNoOtherJmhRuns(runner);
        } catch (NoBenchmarksException e) {
            System.err.println("gort bench: no benchmark matches " + (regex == null ? "the includes" : "'" + regex + "'")
                    + "; ./gort bench -l lists them");
            System.exit(1);
            return;
        }
        System.out.println();
        System.out.println("JMH JSON: " + json);
        System.out.println("JVM: " + Runtime.version() + " (" + System.getProperty("java.vendor") + "), "
                + Runtime.getRuntime().availableProcessors() + " CPUs" + (quick ? ", --quick budget" : ""));
        System.out.println();
        System.out.print(BenchTable.markdown(BenchTable.rows(results)));
    }
}
