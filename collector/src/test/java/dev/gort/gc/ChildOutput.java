package dev.gort.gc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM's whole output, read on another thread so that a child that hangs fails the test
 * after {@code seconds} (the child is killed) instead of blocking the suite in a pipe read.
 */
final class ChildOutput {
    private ChildOutput() {
    }

    static String await(Process p, long seconds) throws Exception {
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish in " + seconds + " s (killed)");
        }
        return out.get(30, TimeUnit.SECONDS);
    }
}
