package dev.gort.cli;

import dev.gort.Gort;
import dev.gort.sync.WaitGroup;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class RunMainTest {
    static final AtomicInteger RAN = new AtomicInteger();
    static volatile String seenArgs;

    /** A user program: its main runs as goroutine 1 and starts goroutines. */
    public static final class UserProgram {
        public static void main(String[] args) {
            seenArgs = String.join(" ", args);
            WaitGroup wg = new WaitGroup();
            wg.add(10);
            for (int i = 0; i < 10; i++) {
                Gort.go(() -> {
                    Gort.sleep(Duration.ofMillis(2));
                    RAN.incrementAndGet();
                    wg.done();
                });
            }
            wg.await();
        }
    }

    public static final class Exits5 {
        public static void main(String[] args) {
            Gort.exit(5);
        }
    }

    public static final class Panics {
        public static void main(String[] args) {
            throw new IllegalArgumentException("bad input from user code");
        }
    }

    public static final class NoMain {
    }

    @Test
    void runsTheUsersMainAsGoroutineOne() {
        RAN.set(0);
        assertEquals(0, RunMain.run(new String[]{UserProgram.class.getName(), "x", "y"}));
        assertEquals(10, RAN.get());
        assertEquals("x y", seenArgs);
    }

    @Test
    void exitCodes() {
        assertEquals(5, RunMain.run(new String[]{Exits5.class.getName()}));
        assertEquals(2, RunMain.run(new String[]{Panics.class.getName()}));
    }

    @Test
    void usageErrors() {
        assertEquals(2, RunMain.run(new String[0]));
        assertEquals("gort run: class com.example.Nope not found on the classpath",
                assertThrows(UsageException.class, () -> RunMain.findMain("com.example.Nope")).getMessage().split(" \\(")[0]);
        assertEquals("gort run: class " + NoMain.class.getName() + " has no public static void main(String[] args)",
                assertThrows(UsageException.class, () -> RunMain.findMain(NoMain.class.getName())).getMessage());
    }
}
