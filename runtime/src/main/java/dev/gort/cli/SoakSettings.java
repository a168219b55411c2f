package dev.gort.cli;

/**
 * What {@code ./gort soak} runs: parsed from its arguments, checked here so a mistake stops before
 * anything starts.
 *
 * @param millis        total run time
 * @param roundMillis   one round: its loads run for this long less the quiet time
 * @param quietMillis   the quiet end of a round, nothing allocating: sysmon's forced GC and
 *                      scavenger fire (their periods are shortened below it)
 * @param reportMillis  one report line this often (a minute by default)
 * @param seed          every round's loads take their seeds from it (printed; --seed replays the operations)
 * @param gogc          GOGC for both worlds (small: cycles back to back)
 * @param worlds        {@code both} (rounds alternate, goroutines first), {@code goroutines} or {@code threads}
 * @param treeHeight    the tree-swap load's tree height (G4: 14)
 */
record SoakSettings(long millis, long roundMillis, long quietMillis, long reportMillis, long seed, int gogc,
                    String worlds, int treeHeight) {

    static final String USAGE = "usage: ./gort soak [minutes] [--seed N] [--round-seconds N] [--quiet-seconds N]"
            + " [--report-seconds N] [--worlds both|goroutines|threads] [--gogc N] [--tree-height N]";

    SoakSettings {
        if (millis < 1_000) {
            throw new UsageException("soak time " + millis + " ms is too short; accepted: at least 1 second (minutes may be"
                    + " fractional, e.g. 0.5)\n" + USAGE);
        }
        if (quietMillis < 0 || roundMillis < quietMillis + 1_000) {
            throw new UsageException("round of " + roundMillis + " ms with " + quietMillis + " ms quiet; accepted: quiet >= 0"
                    + " and round >= quiet + 1 s\n" + USAGE);
        }
        if (reportMillis < 1_000) {
            throw new UsageException("report period " + reportMillis + " ms; accepted: at least 1 second\n" + USAGE);
        }
        if (!worlds.equals("both") && !worlds.equals("goroutines") && !worlds.equals("threads")) {
            throw new UsageException("--worlds " + worlds + "; accepted: both, goroutines or threads\n" + USAGE);
        }
        if (gogc < 1 || gogc > 1000) {
            throw new UsageException("--gogc " + gogc + "; accepted: 1..1000 (small values keep cycles back to back)\n" + USAGE);
        }
        if (treeHeight < 4 || treeHeight > 18) {
            throw new UsageException("--tree-height " + treeHeight + "; accepted: 4..18 (Go's TestGCOld uses 14)\n" + USAGE);
        }
    }

    /** Parses {@code ./gort soak}'s arguments; defaults: 30 minutes, 60 s rounds with 6 s quiet, both worlds. */
    static SoakSettings parse(String[] args) {
        double minutes = 30;
        long seed = System.nanoTime();
        double round = 60;
        double quiet = 6;
        double report = 60;
        String worlds = "both";
        int gogc = 10;
        int height = 14;
        boolean minutesSeen = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                if (minutesSeen) {
                    throw new UsageException("unexpected argument '" + a + "'\n" + USAGE);
                }
                minutes = number(a, "minutes");
                minutesSeen = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new UsageException(a + " needs a value\n" + USAGE);
            }
            String v = args[++i];
            switch (a) {
                case "--seed" -> seed = (long) whole(v, a);
                case "--round-seconds" -> round = number(v, a);
                case "--quiet-seconds" -> quiet = number(v, a);
                case "--report-seconds" -> report = number(v, a);
                case "--worlds" -> worlds = v;
                case "--gogc" -> gogc = (int) whole(v, a);
                case "--tree-height" -> height = (int) whole(v, a);
                default -> throw new UsageException("unknown option '" + a + "'\n" + USAGE);
            }
        }
        return new SoakSettings((long) (minutes * 60_000), (long) (round * 1000), (long) (quiet * 1000),
                (long) (report * 1000), seed, gogc, worlds, height);
    }

    private static double number(String v, String what) {
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(what + " '" + v + "' is not a number; accepted: a non-negative decimal, e.g. 30 or 0.5\n" + USAGE);
        }
        if (!(d >= 0) || Double.isInfinite(d)) {
            throw new UsageException(what + " '" + v + "' is negative, infinite or NaN; accepted: a non-negative decimal, e.g. 30 or 0.5\n" + USAGE);
        }
        return d;
    }

    private static double whole(String v, String what) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(what + " '" + v + "' is not an integer; accepted: e.g. " + what + " 42\n" + USAGE);
        }
    }

    /** The world of round {@code n}. */
    boolean goroutinesInRound(int n) {
        return switch (worlds) {
            case "goroutines" -> true;
            case "threads" -> false;
            default -> n % 2 == 0;
        };
    }
}
