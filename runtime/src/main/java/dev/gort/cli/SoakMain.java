package dev.gort.cli;

import dev.gort.JvmFlags;

/** {@code ./gort soak [minutes] [options]}: see {@link Soak}. Exit 0 pass, 1 a check failed, 2 bad arguments. */
public final class SoakMain {
    private SoakMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        JvmFlags.check();
        SoakSettings settings;
        try {
            settings = SoakSettings.parse(args);
        } catch (UsageException e) {
            System.err.println("gort soak: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(new Soak(settings, System.out, System.err).run());
    }
}
