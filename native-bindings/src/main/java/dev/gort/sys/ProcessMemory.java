package dev.gort.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Process memory figures, in bytes, as the kernel reports them. Linux: VmRSS from
 * /proc/self/status; Rss, Anonymous, LazyFree and AnonHugePages from /proc/self/smaps_rollup.
 * On macOS only {@code rss} is filled (from getrusage's ru_maxrss it would be the peak, so it is
 * reported as -1 there: not yet measured on macOS) and the other figures are -1.
 *
 * @param vmRss          resident set size (/proc/self/status VmRSS)
 * @param rss            smaps_rollup Rss (should equal vmRss up to timing)
 * @param anonymous      anonymous resident bytes
 * @param lazyFree       bytes released with MADV_FREE that the kernel has not taken yet
 * @param anonHugePages  anonymous bytes backed by transparent huge pages
 */
public record ProcessMemory(long vmRss, long rss, long anonymous, long lazyFree, long anonHugePages) {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path SMAPS_ROLLUP = Path.of("/proc/self/smaps_rollup");

    /** Reads the figures now. */
    public static ProcessMemory read() {
        if (!Platform.current().isLinux()) {
            return new ProcessMemory(-1, -1, -1, -1, -1);
        }
        try {
            String status = ProcFiles.read(STATUS);
            String rollup = Files.exists(SMAPS_ROLLUP) ? ProcFiles.read(SMAPS_ROLLUP) : "";
            return new ProcessMemory(kib(status, "VmRSS:"), kib(rollup, "Rss:"), kib(rollup, "Anonymous:"),
                    kib(rollup, "LazyFree:"), kib(rollup, "AnonHugePages:"));
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/self/status or smaps_rollup", e);
        }
    }

    /** VmRSS alone (one small file): cheaper than {@link #read()}. */
    public static long rssBytes() {
        if (!Platform.current().isLinux()) {
            return -1;
        }
        try {
            return kib(ProcFiles.read(STATUS), "VmRSS:");
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/self/status", e);
        }
    }

    /** The value of a {@code Key:   N kB} line in bytes, or -1 when the key is absent. */
    static long kib(String text, String key) {
        int i = text.indexOf("\n" + key);
        int start = i >= 0 ? i + 1 : (text.startsWith(key) ? 0 : -1);
        if (start < 0) {
            return -1;
        }
        int p = start + key.length();
        while (p < text.length() && (text.charAt(p) == ' ' || text.charAt(p) == '\t')) {
            p++;
        }
        long v = 0;
        while (p < text.length() && Character.isDigit(text.charAt(p))) {
            v = v * 10 + (text.charAt(p++) - '0');
        }
        return v * 1024;
    }
}
