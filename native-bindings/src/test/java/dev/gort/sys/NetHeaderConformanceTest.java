package dev.gort.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Compiles {@code src/test/c/net_probe.c} (which includes {@code src/main/c/gort_net.h}) with gcc,
 * runs it, and compares every constant, size and offset it prints with {@link NetConstants} for
 * this platform and with {@link Errno}. Also requires that every constant the Java table defines
 * for this OS was printed by the probe, so a new constant cannot skip the check.
 */
class NetHeaderConformanceTest {

    private static Map<String, Long> probe() throws IOException, InterruptedException {
        Path base = Path.of(System.getProperty("user.dir"));
        Path src = base.resolve("src/test/c/net_probe.c");
        Path include = base.resolve("src/main/c");
        Path out = base.resolve("target/net_probe");
        Files.createDirectories(out.getParent());
        Process cc;
        try {
            cc = new ProcessBuilder("gcc", "-Wall", "-Werror", "-I", include.toString(), "-o", out.toString(), src.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "gcc is not installed; the header conformance check needs it (" + e.getMessage() + ")");
            throw e;
        }
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS), "gcc did not finish");
        assertEquals(0, cc.exitValue(), "gcc failed:\n" + ccOut);
        Process run = new ProcessBuilder(out.toString()).redirectErrorStream(true).start();
        String text = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(run.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, run.exitValue(), text);
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] parts = line.trim().split(" ");
            if (parts.length == 2) {
                values.put(parts[0], Long.parseLong(parts[1]));
            }
        }
        return values;
    }

    @Test
    void constantsAndLayoutsMatchTheSystemHeaders() throws Exception {
        assumeTrue(Platform.current().isLinux(), "the probe is a Linux build; the macOS table is documented as not run");
        Map<String, Long> c = probe();
        NetConstants table = NetConstants.current();
        List<String> mismatches = new ArrayList<>();
        List<String> unchecked = new ArrayList<>();
        int checked = 0;
        for (RecordComponent rc : NetConstants.class.getRecordComponents()) {
            int javaValue = (int) rc.getAccessor().invoke(table);
            Long cValue = c.get(rc.getName());
            if (cValue == null) {
                if (javaValue != OsConstants.ABSENT) {
                    unchecked.add(rc.getName());
                }
                continue;
            }
            checked++;
            if ((int) (long) cValue != javaValue) {
                mismatches.add(rc.getName() + ": C says " + cValue + ", Java says " + javaValue);
            }
        }
        for (String errno : List.of("EAGAIN", "EINTR", "EINPROGRESS", "ECONNRESET", "ECONNREFUSED", "EPIPE", "EADDRINUSE",
                "EMFILE", "ENFILE", "ENOTCONN", "ECONNABORTED", "EBADF", "ETIMEDOUT", "EADDRNOTAVAIL")) {
            checked++;
            if (c.get(errno) != Errno.value(errno)) {
                mismatches.add(errno + ": C says " + c.get(errno) + ", Java says " + Errno.value(errno));
            }
        }
        assertTrue(mismatches.isEmpty(), "constants differ from the headers: " + mismatches);
        assertTrue(unchecked.isEmpty(), "Java defines constants the probe does not print (add them to net_probe.c): " + unchecked);
        assertTrue(checked >= 60, "only " + checked + " values compared");
    }

    @Test
    void epollEventLayoutIsPackedOnX86AndNaturalOnAarch64() {
        assertEquals(12, NetConstants.LINUX_X86_64.sizeof_epoll_event());
        assertEquals(4, NetConstants.LINUX_X86_64.offsetof_epoll_event_data());
        assertEquals(16, NetConstants.LINUX_AARCH64.sizeof_epoll_event());
        assertEquals(8, NetConstants.LINUX_AARCH64.offsetof_epoll_event_data());
        if (Platform.current().isLinux()) {
            assertEquals(Platform.current().arch() == Platform.Arch.X86_64 ? 12 : 16, EpollEvent.SIZE);
        }
    }
}
