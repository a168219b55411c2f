package dev.gort.bench.sched;

import dev.gort.sched.Chan;
import dev.gort.sched.Go;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Goroutines against the JDK's peers, per operation (ns/op, lower is better):
 * <ul>
 * <li>{@code pingpong_*}: one round trip between two parties (gort: unbuffered channels; virtual
 *     threads: SynchronousQueue, or a LockSupport park/unpark turn flag).</li>
 * <li>{@code spawn_*}: start and complete one trivial task (gort: a goroutine, all 20,000 queued
 *     before any runs, or in waves of 64; virtual thread; ForkJoinPool task).</li>
 * <li>{@code buffered_*}: one value through a 128-slot buffer from a producer to a consumer
 *     (gort: Chan(128); virtual threads: ArrayBlockingQueue(128)).</li>
 * <li>{@code yield_*}: one gosched of a lone goroutine vs Thread.yield() in a virtual thread.</li>
 * </ul>
 * {@code procs} is GOMAXPROCS for gort; the virtual-thread scheduler and ForkJoinPool use their
 * defaults (parallelism = available processors).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class GoroutineBench {
    static final int N = 20_000;

    @Param({"1"})
    public int procs;

    private GortHarness gort;
    private ForkJoinPool fjp;

    @Setup(Level.Trial)
    public void setUp() {
        gort = new GortHarness(procs);
        fjp = new ForkJoinPool(Runtime.getRuntime().availableProcessors());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        gort.close();
        fjp.shutdownNow();
    }

    // ---- ping-pong round trip ----

    @Benchmark
    @OperationsPerInvocation(N)
    public void pingpong_gort_chan() {
        gort.run(() -> {
            Chan<Integer> ping = new Chan<>();
            Chan<Integer> pong = new Chan<>();
            Go.go(() -> {
                for (int i = 0; i < N; i++) {
                    pong.send(ping.recv());
                }
            });
            for (int i = 0; i < N; i++) {
                ping.send(i);
                pong.recv();
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void pingpong_vthread_synchronousQueue() throws InterruptedException {
        SynchronousQueue<Integer> ping = new SynchronousQueue<>();
        SynchronousQueue<Integer> pong = new SynchronousQueue<>();
        Thread a = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < N; i++) {
                    pong.put(ping.take());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread b = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < N; i++) {
                    ping.put(i);
                    pong.take();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        a.join();
        b.join();
    }

    /** Turn-taking with a volatile flag and LockSupport.park/unpark: the cheapest JDK hand-off. */
    @Benchmark
    @OperationsPerInvocation(N)
    public void pingpong_vthread_lockSupport() throws InterruptedException {
        AtomicInteger turn = new AtomicInteger();
        Thread[] t = new Thread[2];
        Runnable[] body = new Runnable[2];
        for (int me = 0; me < 2; me++) {
            final int self = me;
            body[me] = () -> {
                for (int i = 0; i < N; i++) {
                    while (turn.get() != self) {
                        LockSupport.park();
                    }
                    turn.set(1 - self);
                    LockSupport.unpark(t[1 - self]);
                }
            };
        }
        t[0] = Thread.ofVirtual().unstarted(body[0]);
        t[1] = Thread.ofVirtual().unstarted(body[1]);
        t[0].start();
        t[1].start();
        t[0].join();
        t[1].join();
    }

    // ---- spawn + complete ----

    @Benchmark
    @OperationsPerInvocation(N)
    public void spawn_gort_goroutine() {
        gort.run(() -> {
            Chan<Boolean> done = new Chan<>();
            AtomicInteger left = new AtomicInteger(N);
            Runnable task = () -> {
                if (left.decrementAndGet() == 0) {
                    done.send(true);
                }
            };
            for (int i = 0; i < N; i++) {
                Go.go(task);
            }
            done.recv();
        });
    }

    /**
     * The same, but the spawner yields after every 64 spawns, so the run queue stays short and
     * cache-resident (a server spawning per request); the plain variant queues all 20,000 first.
     */
    @Benchmark
    @OperationsPerInvocation(N)
    public void spawn_gort_goroutine_waves64() {
        gort.run(() -> {
            Chan<Boolean> done = new Chan<>();
            AtomicInteger left = new AtomicInteger(N);
            Runnable task = () -> {
                if (left.decrementAndGet() == 0) {
                    done.send(true);
                }
            };
            for (int i = 0; i < N; i++) {
                Go.go(task);
                if ((i & 63) == 63) {
                    Go.gosched();
                }
            }
            done.recv();
        });
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void spawn_vthread() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger left = new AtomicInteger(N);
        Runnable task = () -> {
            if (left.decrementAndGet() == 0) {
                done.countDown();
            }
        };
        for (int i = 0; i < N; i++) {
            Thread.ofVirtual().start(task);
        }
        done.await();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void spawn_forkJoinPool() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger left = new AtomicInteger(N);
        Runnable task = () -> {
            if (left.decrementAndGet() == 0) {
                done.countDown();
            }
        };
        for (int i = 0; i < N; i++) {
            fjp.execute(task);
        }
        done.await();
    }

    // ---- buffered channel throughput ----

    @Benchmark
    @OperationsPerInvocation(N)
    public void buffered_gort_chan128() {
        gort.run(() -> {
            Chan<Integer> c = new Chan<>(128);
            Chan<Boolean> done = new Chan<>();
            Go.go(() -> {
                for (int i = 0; i < N; i++) {
                    c.recv();
                }
                done.send(true);
            });
            Integer v = 1;
            for (int i = 0; i < N; i++) {
                c.send(v);
            }
            done.recv();
        });
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void buffered_vthread_arrayBlockingQueue128() throws InterruptedException {
        ArrayBlockingQueue<Integer> q = new ArrayBlockingQueue<>(128);
        Thread consumer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < N; i++) {
                    q.take();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread producer = Thread.ofVirtual().start(() -> {
            try {
                Integer v = 1;
                for (int i = 0; i < N; i++) {
                    q.put(v);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        producer.join();
        consumer.join();
    }

    // ---- yield ----

    @Benchmark
    @OperationsPerInvocation(N)
    public void yield_gort_gosched() {
        gort.run(() -> {
            for (int i = 0; i < N; i++) {
                Go.gosched();
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void yield_vthread_threadYield() throws InterruptedException {
        Thread t = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < N; i++) {
                Thread.yield();
            }
        });
        t.join();
    }
}
