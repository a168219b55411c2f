package dev.gort.cli;

/** {@code ./gort release-check ...}: see {@link ReleaseCheck}. */
public final class ReleaseCheckMain {
    private ReleaseCheckMain() {
    }

    public static void main(String[] args) {
        dev.gort.JvmFlags.check();
        System.exit(ReleaseCheck.main(args, System.out, System.err, ArenaReleaseSubject::new));
    }
}
