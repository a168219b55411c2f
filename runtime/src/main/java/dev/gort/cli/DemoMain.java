package dev.gort.cli;

import dev.gort.JvmFlags;

/** {@code ./gort demo [--depth N]}: see {@link Demo}. */
public final class DemoMain {
    private DemoMain() {
    }

    public static void main(String[] args) {
        JvmFlags.check();
        int depth = 16;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--depth") && i + 1 < args.length) {
                try {
                    depth = Integer.parseInt(args[++i]);
                } catch (NumberFormatException e) {
                    depth = -1;
                }
                if (depth < 6 || depth > 21) {
                    System.err.println("gort demo: --depth " + args[i] + " is out of range; accepted: 6..21 (default 16)");
                    System.exit(2);
                }
            } else {
                System.err.println("gort demo: unknown argument '" + args[i] + "'\nusage: ./gort demo [--depth N]");
                System.exit(2);
            }
        }
        try {
            System.exit(Demo.run(depth, 256L << 20, System.out));
        } catch (dev.gort.ConfigException e) {
            System.err.println("gort: " + e.getMessage());
            System.exit(2);
        }
    }
}
