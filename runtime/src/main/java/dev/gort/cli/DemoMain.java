package dev.gort.cli;

import dev.gort.JvmFlags;

/** {@code ./gort demo [--depth N]}: see {@link Demo}. */
public final class DemoMain {
    private DemoMain() {
    }

    static final String USAGE = "usage: ./gort demo [--depth N]   (N: 6..21, default 16)";

    public static void main(String[] args) {
        JvmFlags.check();
        int depth;
        try {
            depth = depth(args);
        } catch (UsageException e) {
            System.err.println("gort demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            System.exit(Demo.run(depth, 256L << 20, System.out));
        } catch (dev.gort.ConfigException e) {
            System.err.println("gort: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The tree depth {@code args} ask for (16 without {@code --depth}); a UsageException names what was wrong. */
    static int depth(String[] args) {
        int depth = 16;
        for (int i = 0; i < args.length; i++) {
            if (!args[i].equals("--depth")) {
                throw new UsageException("unknown argument '" + args[i] + "'\n" + USAGE);
            }
            if (i + 1 >= args.length) {
                throw new UsageException("--depth needs a value; accepted: a whole number 6..21\n" + USAGE);
            }
            String v = args[++i];
            try {
                depth = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new UsageException("--depth '" + v + "' is not a whole number; accepted: 6..21\n" + USAGE);
            }
            if (depth < 6 || depth > 21) {
                throw new UsageException("--depth " + v + " is out of range; accepted: 6..21\n" + USAGE);
            }
        }
        return depth;
    }
}
