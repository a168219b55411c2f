package dev.gort.bench.gc;

/**
 * The {@code [OPS_MILLIONS] [ROUNDS]} arguments of the thread-CPU harnesses ({@link AllocCpuRun},
 * {@link MarkPhaseCpuRun}): whole numbers, checked, so a typo is refused with the accepted form
 * instead of a bare NumberFormatException or a count that overflowed.
 */
record CpuRunArgs(long ops, int rounds) {
    /** Above this many millions the operation count overflows a long. */
    static final long MAX_OPS_MILLIONS = Long.MAX_VALUE / 1_000_000L;

    /**
     * {@code args} of harness {@code harness}: OPS_MILLIONS in 1..{@link #MAX_OPS_MILLIONS}
     * (default {@code defaultOpsMillions}), ROUNDS at least {@code minRounds} (default
     * {@code defaultRounds}), nothing after them.
     */
    static CpuRunArgs parse(String harness, String[] args, long defaultOpsMillions, int defaultRounds, int minRounds) {
        String usage = harness + " [OPS_MILLIONS: 1.." + MAX_OPS_MILLIONS + ", default " + defaultOpsMillions + "] [ROUNDS: "
                + minRounds + ".." + Integer.MAX_VALUE + ", default " + defaultRounds + "]";
        if (args.length > 2) {
            throw new IllegalArgumentException(usage + ": got " + args.length + " arguments " + String.join(" ", args));
        }
        long millions = args.length > 0 ? whole(args[0], 1, MAX_OPS_MILLIONS, "OPS_MILLIONS", usage) : defaultOpsMillions;
        long rounds = args.length > 1 ? whole(args[1], minRounds, Integer.MAX_VALUE, "ROUNDS", usage) : defaultRounds;
        return new CpuRunArgs(millions * 1_000_000L, (int) rounds);
    }

    private static long whole(String value, long min, long max, String name, String usage) {
        try {
            long v = Long.parseLong(value.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException(usage + ": " + name + " '" + value + "' is not a whole number in " + min + ".." + max);
    }
}
