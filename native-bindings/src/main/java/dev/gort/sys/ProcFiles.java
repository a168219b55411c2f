package dev.gort.sys;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads /proc and /sys files correctly. Files.readString is wrong for them: they report size 0,
 * so it starts with a 1-byte read, and the kernel's integer sysctls (proc_dointvec:
 * /proc/sys/vm/max_map_count ...) answer any read at a non-zero offset with EOF, leaving "6" of
 * "65530". Reading with a buffer larger than the file gets it in one read.
 */
final class ProcFiles {
    private ProcFiles() {
    }

    static String read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    static String read(String path) throws IOException {
        return read(Path.of(path));
    }
}
