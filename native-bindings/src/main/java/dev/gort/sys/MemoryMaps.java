package dev.gort.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The process's mappings as Linux lists them in {@code /proc/self/maps}: how tests check a range's
 * protection without faulting on it (a fault on PROT_NONE would kill the JVM).
 *
 * <p>One line per VMA: {@code start-end perms offset dev inode [path]}, addresses in hex, perms
 * four characters {@code r w x} then {@code p} (private) or {@code s} (shared), e.g.
 * {@code 7f1c00000000-7f2c00000000 ---p 00000000 00:00 0}. The kernel merges neighbouring
 * anonymous mappings with equal flags into one VMA and splits a VMA where mprotect changes part
 * of it, so a committed sub-range of a reservation shows as its own {@code rw-p} region.
 * Linux only: elsewhere every method throws UnsupportedOperationException.
 */
public final class MemoryMaps {
    private MemoryMaps() {
    }

    private static final Path MAPS = Path.of("/proc/self/maps");

    /**
     * One mapping.
     *
     * @param start first address
     * @param end   one past the last address
     * @param perms the four permission characters, e.g. {@code "rw-p"}
     * @param path  the backing file or pseudo-name ({@code [heap]}, {@code [stack]}), empty for anonymous memory
     */
    public record Region(long start, long end, String perms, String path) {
        public boolean readable() {
            return perms.charAt(0) == 'r';
        }

        public boolean writable() {
            return perms.charAt(1) == 'w';
        }

        public boolean executable() {
            return perms.charAt(2) == 'x';
        }

        public boolean isPrivate() {
            return perms.charAt(3) == 'p';
        }

        /** No access at all: a reservation, or a decommitted range. */
        public boolean inaccessible() {
            return perms.startsWith("---");
        }

        public boolean contains(long address) {
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
        }

        public long size() {
            return end - start;
        }

        @Override
        public String toString() {
            return "0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end) + " " + perms + (path.isEmpty() ? "" : " " + path);
        }
    }

    /** Every mapping, in address order. */
    public static List<Region> regions() {
        requireLinux();
        try {
            return parse(ProcFiles.read(MAPS));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + MAPS, e);
        }
    }

    /**
     * The kernel's cap on this process's mappings ({@code vm.max_map_count}), or -1 when it cannot
     * be read (not Linux, no /proc). For messages: efence makes each fenced object a mapping.
     */
    public static long maxMapCount() {
        if (!Platform.current().isLinux()) {
            return -1;
        }
        try {
            return Long.parseLong(ProcFiles.read("/proc/sys/vm/max_map_count").strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The mapping that contains {@code address}, or empty when it is unmapped. */
    public static Optional<Region> find(long address) {
        for (Region r : regions()) {
            if (r.contains(address)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** The permissions of the mapping containing {@code address}, e.g. {@code "rw-p"}; throws when unmapped. */
    public static String perms(long address) {
        return find(address).map(Region::perms).orElseThrow(() ->
                new IllegalStateException("address 0x" + Long.toHexString(address) + " is not mapped (per " + MAPS + ")"));
    }

    /** Parses the text of a maps file. Visible for tests. */
    static List<Region> parse(String text) {
        List<Region> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            out.add(parseLine(line));
        }
        return out;
    }

    static Region parseLine(String line) {
        try {
            int dash = line.indexOf('-');
            int sp1 = line.indexOf(' ', dash);
            long start = Long.parseUnsignedLong(line, 0, dash, 16);
            long end = Long.parseUnsignedLong(line, dash + 1, sp1, 16);
            String perms = line.substring(sp1 + 1, sp1 + 5);
            // offset, dev and inode, then optional path after padding spaces
            int p = sp1 + 5;
            for (int field = 0; field < 3; field++) {
                while (p < line.length() && line.charAt(p) == ' ') {
                    p++;
                }
                while (p < line.length() && line.charAt(p) != ' ') {
                    p++;
                }
            }
            String path = p < line.length() ? line.substring(p).strip() : "";
            return new Region(start, end, perms, path);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("malformed /proc/self/maps line: '" + line
                    + "'; expected 'start-end perms offset dev inode [path]'", e);
        }
    }

    private static void requireLinux() {
        if (!Platform.current().isLinux()) {
            throw new UnsupportedOperationException("/proc/self/maps exists on Linux only; this is " + Platform.current());
        }
    }
}
