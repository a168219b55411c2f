package dev.gort;

/** Public access to Go's byte-count syntax (1GiB, 512MiB, 4096) for the command-line tools. */
public final class Sizes {
    private Sizes() {
    }

    /** The byte count {@code s} denotes in Go's syntax, or -1 when malformed. */
    public static long parseBytes(String s) {
        long n = GoSyntax.parseByteCount(s);
        return n == GoSyntax.MALFORMED ? -1 : n;
    }
}
