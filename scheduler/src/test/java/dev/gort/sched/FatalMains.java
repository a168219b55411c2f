package dev.gort.sched;

import java.time.Duration;

/** Programs for the child-JVM tests: each main runs a scheduler with the default (exiting) fatal handler. */
final class FatalMains {
    private FatalMains() {
    }

    static Scheduler sched() {
        return Scheduler.create(SchedConfig.fromEnvironment());
    }

    /** main blocks on a channel nobody sends to. */
    static final class Deadlock {
        public static void main(String[] args) {
            sched().run(() -> {
                Chan<Integer> c = new Chan<>();
                Go.go(() -> new Select().recv(new Chan<>()).select());
                c.recv();
            });
            System.out.println("unreachable");
        }
    }

    /** A goroutine panics with an exception. */
    static final class Panic {
        public static void main(String[] args) {
            sched().run(() -> {
                Chan<Integer> c = new Chan<>();
                Go.go(() -> {
                    throw new IllegalStateException("boom");
                });
                c.recv();
            });
        }
    }

    /** Close of a closed channel escapes main. */
    static final class CloseClosed {
        public static void main(String[] args) {
            sched().run(() -> {
                Chan<Integer> c = new Chan<>(1);
                c.close();
                c.close();
            });
        }
    }

    /** Sleeping and syscall-blocked goroutines are not a deadlock: main returns normally. */
    static final class NotDeadlocked {
        public static void main(String[] args) {
            sched().run(() -> {
                Chan<Boolean> done = new Chan<>(2);
                Go.go(() -> {
                    Time.sleep(Duration.ofMillis(100));
                    done.send(true);
                });
                Go.go(() -> {
                    Go.syscall(() -> {
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    done.send(true);
                });
                done.recv();
                done.recv();
            });
            System.out.println("ok");
        }
    }

    /** Prints schedtrace lines while goroutines run (GORT_DEBUG from the environment). */
    static final class Trace {
        public static void main(String[] args) {
            sched().run(() -> {
                Chan<Boolean> done = new Chan<>(4);
                for (int i = 0; i < 4; i++) {
                    Go.go(() -> {
                        Time.sleep(Duration.ofMillis(250));
                        done.send(true);
                    });
                }
                for (int i = 0; i < 4; i++) {
                    done.recv();
                }
            });
        }
    }
}
