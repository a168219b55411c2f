package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sys.NativeMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The collector's guarantee: after stopTheWorld returns (called from a thread that is not an M),
 * no goroutine and no g0 code touching G descriptors or frames runs until startTheWorld, while
 * goroutines push/pop (growing) shadow frames, enter and leave syscalls, spawn and exit. Also the
 * regression for a false "all goroutines are asleep" while every M was parked by such a STW.
 */
@Timeout(120)
class StopTheWorldStressTest {

    @Test
    void nothingMovesWhileTheWorldIsStopped() throws Exception {
        int rounds = Integer.getInteger("gort.stress.stw", 200);
        AtomicLong ops = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> err = new AtomicReference<>();
        AtomicReference<Throwable> died = new AtomicReference<>();
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(2).fatalHandler(FatalHandler.THROW)
                .stackSizes(2048, 1 << 20));
        Thread runner = new Thread(() -> {
            try {
                s.run(() -> workers(stop, ops, err));
            } catch (Throwable t) {
                died.set(t);
            }
        });
        runner.start();
        Thread.sleep(50);
        int done = 0;
        long stoppedSyscallers = 0;
        for (int r = 0; r < rounds && err.get() == null && died.get() == null; r++) {
            s.stopTheWorld("stress");
            if (died.get() != null) {
                break;
            }
            List<long[]> snap = snapshot(s);
            int running = s.runningMs();
            if (running != 0) {
                err.compareAndSet(null, running + " Ms hold a P or run a goroutine while the world is stopped (round " + r + ")");
            }
            for (long[] x : snap) {
                if (x[2] != 0 && x[3] == 0) {
                    err.compareAndSet(null, "G index " + x[0] + " has frames but no stack during stop-the-world");
                }
            }
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < 300_000) {
                Thread.onSpinWait();
            }
            // ops may move inside syscalls (Java code running without a P, as C code does in Go);
            // G descriptors and frames must not.
            List<long[]> again = snapshot(s);
            if (snap.size() != again.size()) {
                err.compareAndSet(null, "goroutine set changed during stop-the-world: " + snap.size() + " -> " + again.size());
            } else {
                for (int i = 0; i < snap.size(); i++) {
                    long[] a = snap.get(i);
                    long[] b = again.get(i);
                    if (a[0] != b[0] || a[2] != b[2] || a[3] != b[3] || a[4] != b[4]) {
                        err.compareAndSet(null, "G index " + a[0] + " frames changed during stop-the-world (round " + r + ")");
                    }
                    if (a[1] != b[1]) {
                        err.compareAndSet(null, "G index " + a[0] + " changed status during stop-the-world: "
                                + GStatus.name((int) a[1]) + " -> " + GStatus.name((int) b[1]) + " (round " + r + ")");
                    }
                }
            }
            if (s.runningMs() != 0) {
                err.compareAndSet(null, "an M started running during stop-the-world (round " + r + ")");
            }
            stoppedSyscallers += snap.stream().filter(x -> x[1] == GStatus.SYSCALL).count();
            s.startTheWorld();
            done++;
            Thread.sleep(1);
        }
        stop.set(true);
        runner.join(60_000);
        assertEquals(null, died.get());
        assertEquals(null, err.get());
        assertEquals(rounds, done);
        assertTrue(ops.get() > 0);
        // The rounds must have caught goroutines in syscalls that returned during the stop, or
        // the syscall exit path was not exercised.
        assertTrue(stoppedSyscallers > 0, "no round saw a goroutine in a syscall");
        System.out.println("StopTheWorldStressTest: " + done + " rounds, " + stoppedSyscallers
                + " goroutines seen in syscalls while stopped, " + ops.get() + " ops");
    }

    private static List<long[]> snapshot(Scheduler s) {
        List<long[]> out = new ArrayList<>();
        s.forEachG(g -> out.add(new long[] {g.index, g.status(), g.topFrame(), g.stackLo(),
            NativeMemory.getLong(g.desc + GDescriptor.STACK_TOP)}));
        return out;
    }

    private static void workers(AtomicBoolean stop, AtomicLong ops, AtomicReference<String> err) {
        Chan<Boolean> done = new Chan<>(8);
        for (int w = 0; w < 4; w++) {
            final int worker = w;
            Go.go(() -> {
                int i = 0;
                while (!stop.get()) {
                    i++;
                    try (Frame f = Frame.push(4 + (i % 300))) {
                        f.set(0, i);
                        ops.incrementAndGet();
                        if (i % 7 == worker) {
                            Go.syscall(() -> {
                                ops.incrementAndGet();
                                if (ops.get() % 3 == 0) {
                                    // long enough to return while a stop-the-world is in effect
                                    java.util.concurrent.locks.LockSupport.parkNanos(150_000);
                                } else {
                                    Thread.onSpinWait();
                                }
                            });
                        }
                        if (i % 5 == 0) {
                            Go.go(() -> {
                                try (Frame g = Frame.push(600)) { // a grown stack, freed at exit
                                    g.set(599, 1);
                                    ops.incrementAndGet();
                                }
                            });
                        }
                        Go.poll();
                        if (f.get(0) != i) {
                            err.compareAndSet(null, "frame slot changed under its goroutine");
                        }
                    }
                    if (i % 64 == 0) {
                        Go.gosched();
                    }
                }
                done.send(true);
            });
        }
        for (int w = 0; w < 4; w++) {
            done.recv();
        }
    }
}
