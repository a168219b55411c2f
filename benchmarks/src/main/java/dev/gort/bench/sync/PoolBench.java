package dev.gort.bench.sync;

import dev.gort.sync.Pool;
import dev.gort.sync.Procs;
import io.netty.util.Recycler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Get + put of a pooled object, gort's Pool against a ConcurrentLinkedQueue pool and Netty's
 * Recycler, on 1 and 2 threads, one at a time ({@code *_pair}) and in batches of 64
 * ({@code *_batch64}: 64 gets then 64 puts, which reaches the Pool's shared chain and the
 * Recycler's stack beyond their first slot).
 *
 * <p>Each JMH thread plays one P: the Procs source answers the thread's P id from a ThreadLocal
 * (about what the scheduler's lookup costs: a thread read and a field load), so the Pool's per-P
 * path is what is measured. Inside gort, goroutines on the same P share that P's private slot
 * and chain, exactly as the JMH thread does here.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class PoolBench {
    /** The pooled object: a small buffer, as pools usually hold. */
    public static final class Buf {
        final byte[] bytes = new byte[256];
        final Recycler.Handle<Buf> handle;

        Buf(Recycler.Handle<Buf> handle) {
            this.handle = handle;
        }
    }

    static final AtomicInteger NEXT_PID = new AtomicInteger();
    static final ThreadLocal<Integer> PID = ThreadLocal.withInitial(NEXT_PID::getAndIncrement);

    @State(Scope.Benchmark)
    public static class Pools {
        Pool<Buf> gort;
        ConcurrentLinkedQueue<Buf> clq;
        Recycler<Buf> recycler;

        @Setup(Level.Trial)
        public void setup() {
            NEXT_PID.set(0);
            Procs.install(new Procs.Source() {
                @Override
                public int currentP() {
                    return PID.get();
                }

                @Override
                public int count() {
                    return 2;
                }
            });
            gort = new Pool<>(() -> new Buf(null));
            clq = new ConcurrentLinkedQueue<>();
            recycler = new Recycler<>() {
                @Override
                protected Buf newObject(Handle<Buf> handle) {
                    return new Buf(handle);
                }
            };
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Procs.install(null);
        }

        Buf clqGet() {
            Buf b = clq.poll();
            return b != null ? b : new Buf(null);
        }
    }

    @State(Scope.Thread)
    public static class Batch {
        final Buf[] held = new Buf[64];
    }

    // ---- one get + put

    @Benchmark
    public Buf gortPool_pair(Pools p) {
        Buf b = p.gort.get();
        p.gort.put(b);
        return b;
    }

    @Benchmark
    public Buf clqPool_pair(Pools p) {
        Buf b = p.clqGet();
        p.clq.offer(b);
        return b;
    }

    @Benchmark
    public Buf nettyRecycler_pair(Pools p) {
        Buf b = p.recycler.get();
        b.handle.recycle(b);
        return b;
    }

    @Benchmark
    @Threads(2)
    public Buf gortPool_pair_2threads(Pools p) {
        return gortPool_pair(p);
    }

    @Benchmark
    @Threads(2)
    public Buf clqPool_pair_2threads(Pools p) {
        return clqPool_pair(p);
    }

    @Benchmark
    @Threads(2)
    public Buf nettyRecycler_pair_2threads(Pools p) {
        return nettyRecycler_pair(p);
    }

    // ---- 64 gets then 64 puts

    @Benchmark
    public Buf gortPool_batch64(Pools p, Batch b) {
        Buf[] h = b.held;
        for (int i = 0; i < h.length; i++) {
            h[i] = p.gort.get();
        }
        for (int i = 0; i < h.length; i++) {
            p.gort.put(h[i]);
        }
        return h[0];
    }

    @Benchmark
    public Buf clqPool_batch64(Pools p, Batch b) {
        Buf[] h = b.held;
        for (int i = 0; i < h.length; i++) {
            h[i] = p.clqGet();
        }
        for (int i = 0; i < h.length; i++) {
            p.clq.offer(h[i]);
        }
        return h[0];
    }

    @Benchmark
    public Buf nettyRecycler_batch64(Pools p, Batch b) {
        Buf[] h = b.held;
        for (int i = 0; i < h.length; i++) {
            h[i] = p.recycler.get();
        }
        for (int i = 0; i < h.length; i++) {
            h[i].handle.recycle(h[i]);
        }
        return h[0];
    }
}
