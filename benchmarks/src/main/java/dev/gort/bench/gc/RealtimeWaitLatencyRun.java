package dev.gort.bench.gc;

import dev.gort.sys.CpuAffinity;
import dev.gort.sys.CpuClock;
import dev.gort.sys.RealtimeBoost;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Release-to-acquire latency of a waiter raised to SCHED_FIFO (the real-time stop's waits: RtLock,
 * SpinLock, the world's lock, the store gate) behind a normal holder. The holder takes a CAS lock,
 * keeps it for a random 0.1 - 2 ms of busy wall time, notes the time and lets go; the waiter,
 * raised with {@link RealtimeBoost}, waits as the runtime's raised waits do (100 spins, then
 * parks that start at 20 us and double to a cap, trying the lock after each), and notes when it
 * got it. Arms: {@code product} ({@link RealtimeBoost#parkRaised} itself, cap
 * {@link RealtimeBoost#PARK_MAX_NANOS}), {@code capN} (the same turn with cap N us), and
 * {@code unparkN} (cap N us, and the releaser unparks a waiter that published itself parked:
 * what a lock would do with a waiter field read after its release store). Prints, per arm, the
 * latency's p50 / p90 / p99 / max, the waiter's wake-ups and CPU per wait, and how much longer
 * than its 0.1 - 2 ms the holder took in wall (the waiter's wake-ups preempt it when they share
 * a CPU). Needs SCHED_FIFO (CAP_SYS_NICE or RLIMIT_RTPRIO); arms alternate round by round.
 *
 * <pre>java ... dev.gort.bench.gc.RealtimeWaitLatencyRun [same|apart] [ROUNDS=2000] [ARM...]</pre>
 * {@code same}: both threads pinned to the last CPU (the case the raised waits exist for);
 * {@code apart}: the waiter on the last CPU, the holder on CPU 0.
 */
public final class RealtimeWaitLatencyRun {
    private static final AtomicInteger LOCK = new AtomicInteger();
    private static volatile long releasedAt;
    private static volatile int round = -1;        // the holder's current round (the waiter starts on it)
    private static volatile boolean held;
    private static volatile Thread parkedWaiter;
    private static volatile boolean done;

    public static void main(String[] args) throws Exception {
        String placement = args.length > 0 ? args[0] : "same";
        int rounds = args.length > 1 ? (int) wholeAtLeast(args[1], "ROUNDS", 1) : 2000;
        String[] arms = args.length > 2 ? Arrays.copyOfRange(args, 2, args.length) : new String[] {"product", "cap100", "unpark500"};
        if (!placement.equals("same") && !placement.equals("apart")) {
            throw new IllegalArgumentException("placement '" + placement + "': accepted same or apart");
        }
        long[] caps = new long[arms.length];
        boolean[] unpark = new boolean[arms.length];
        for (int i = 0; i < arms.length; i++) {
            String a = arms[i];
            if (a.equals("product")) {
                caps[i] = -1;
            } else if (a.startsWith("cap")) {
                caps[i] = wholeAtLeast(a.substring(3), "arm '" + a + "': its cap in us", 1) * 1000;
            } else if (a.startsWith("unpark")) {
                caps[i] = wholeAtLeast(a.substring(6), "arm '" + a + "': its cap in us", 1) * 1000;
                unpark[i] = true;
            } else {
                throw new IllegalArgumentException("arm '" + a + "': accepted product, capN, unparkN (N in us)");
            }
        }
        if (arms.length > rounds) {
            throw new IllegalArgumentException(rounds + " rounds for " + arms.length + " arms: accepted ROUNDS >= the number of arms (arms alternate round by round)");
        }
        String load0 = BinaryTreesRun.loadAverage();
        int last = CpuAffinity.mask().length() - 1;
        int holderCpu = placement.equals("same") ? last : 0;
        long[][] latency = new long[arms.length][rounds];
        long[][] overrun = new long[arms.length][rounds];
        long[] wakeups = new long[arms.length], waiterCpu = new long[arms.length];
        int[] n = new int[arms.length];
        long[] holdFor = new long[rounds];
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < rounds; i++) {
            holdFor[i] = 100_000 + r.nextLong(1_900_000);
        }
        Thread holder = Thread.ofPlatform().name("normal-holder").start(() -> {
            CpuAffinity.pin(holderCpu);
            for (int i = 0; i < rounds; i++) {
                while (!LOCK.compareAndSet(0, 1)) {
                    Thread.onSpinWait();
                }
                int arm = i % arms.length;
                held = true;
                round = i;
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < holdFor[i]) {
                    Thread.onSpinWait();
                }
                long t1 = System.nanoTime();
                overrun[arm][i / arms.length] = t1 - t0 - holdFor[i];
                releasedAt = t1;
                LOCK.set(0);
                if (unpark[arm]) {
                    Thread w = parkedWaiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
                while (held) {
                    LockSupport.parkNanos(50_000);      // until the waiter took and let go
                }
            }
            done = true;
        });
        Thread waiter = Thread.ofPlatform().name("raised-waiter").start(() -> {
            CpuAffinity.pin(last);
            RealtimeBoost boost = RealtimeBoost.forCurrentThread(10);
            if (!boost.raise()) {
                throw new IllegalStateException("not raised: the real-time registry is full");
            }
            try {
                int seen = -1;
                while (!done) {
                    int i = round;
                    if (i == seen || !held) {
                        LockSupport.parkNanos(20_000);
                        if (done) {
                            break;
                        }
                        continue;
                    }
                    seen = i;
                    int arm = i % arms.length;
                    long c0 = CpuClock.threadCpuNanos();
                    long wakes = 0;
                    int spins = 0;
                    long park = RealtimeBoost.PARK_FIRST_NANOS;
                    while (!(LOCK.get() == 0 && LOCK.compareAndSet(0, 1))) {
                        if (++spins < 100) {
                            Thread.onSpinWait();
                        } else if (caps[arm] < 0) {
                            park = RealtimeBoost.parkRaised(park);
                            wakes++;
                        } else {
                            if (unpark[arm]) {
                                parkedWaiter = Thread.currentThread();
                                if (LOCK.get() == 0) {
                                    parkedWaiter = null;
                                    continue;
                                }
                            }
                            LockSupport.parkNanos(park);
                            if (unpark[arm]) {
                                parkedWaiter = null;
                            }
                            park = Math.min(2 * park, caps[arm]);
                            wakes++;
                        }
                    }
                    long got = System.nanoTime();
                    latency[arm][n[arm]] = got - releasedAt;
                    n[arm]++;
                    wakeups[arm] += wakes;
                    waiterCpu[arm] += CpuClock.threadCpuNanos() - c0;
                    LOCK.set(0);
                    held = false;
                }
            } finally {
                boost.lower();
            }
        });
        holder.join();
        waiter.join();
        System.out.printf(Locale.ROOT, "RealtimeWaitLatencyRun %s, %d rounds, holder 0.1 - 2 ms, load %s -> %s%n", placement, rounds, load0,
                BinaryTreesRun.loadAverage());
        System.out.printf(Locale.ROOT, "%-10s %6s %9s %9s %9s %9s %10s %12s %14s%n", "arm", "waits", "p50 us", "p90 us", "p99 us", "max us",
                "wakes/wait", "cpu us/wait", "holder +us p50/p99");
        for (int a = 0; a < arms.length; a++) {
            long[] l = Arrays.copyOf(latency[a], n[a]);
            long[] o = Arrays.copyOf(overrun[a], n[a]);
            Arrays.sort(l);
            Arrays.sort(o);
            System.out.printf(Locale.ROOT, "%-10s %6d %9.1f %9.1f %9.1f %9.1f %10.1f %12.1f %7.1f/%.1f%n", arms[a], n[a], pct(l, 50), pct(l, 90),
                    pct(l, 99), l.length == 0 ? 0 : l[l.length - 1] / 1e3, n[a] == 0 ? 0 : (double) wakeups[a] / n[a],
                    n[a] == 0 ? 0 : waiterCpu[a] / 1e3 / n[a], pct(o, 50), pct(o, 99));
        }
    }

    private static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) ((long) sorted.length * p / 100))] / 1e3;
    }

    /** {@code v} as a whole number >= {@code min} (up to 1,000,000,000), or an IllegalArgumentException naming {@code what} and what is accepted. */
    static long wholeAtLeast(String v, String what, long min) {
        try {
            long n = Long.parseLong(v.trim());
            if (n >= min && n <= 1_000_000_000L) {
                return n;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException(what + " '" + v + "': accepted a whole number " + min + "..1000000000");
    }
}
