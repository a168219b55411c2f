/**
 * Goroutine-aware synchronization: {@link dev.gort.sync.Mutex}, {@link dev.gort.sync.RWMutex},
 * {@link dev.gort.sync.WaitGroup}, {@link dev.gort.sync.Once} and {@link dev.gort.sync.Pool}, with
 * Go's semantics and algorithms (sync/mutex.go, rwmutex.go, waitgroup.go, once.go, pool.go).
 *
 * <h2>Blocking without blocking the M</h2>
 * A goroutine that must wait is parked through the scheduler (gopark/goready via
 * {@link dev.gort.sync.Parking}), so its M and P run other goroutines. {@code synchronized} or
 * java.util.concurrent locks would block the carrier thread and, with it, a P. Every type is
 * also usable from plain threads (parked with LockSupport), so code outside goroutines (a main
 * thread waiting on a WaitGroup) works.
 *
 * <h2>The path of a contended Lock</h2>
 * <ol>
 * <li>Fast path: one CAS on the state word.</li>
 * <li>Spin a few rounds while the holder runs (multicore only, normal mode).</li>
 * <li>Count itself as a waiter in the state word, then {@link dev.gort.sync.Sema#acquire}: the
 *     waiter enqueues under a short spin lock, which the scheduler releases only after the
 *     goroutine is parked (the park commit), so a concurrent release cannot be lost.</li>
 * <li>Woken: compete again (normal mode), or own the lock outright (starvation mode handoff).</li>
 * </ol>
 *
 * <h2>Pool</h2>
 * Per-P private slot plus a per-P lock-free single-producer/multi-consumer chain of rings
 * ({@link dev.gort.sync.PoolChain}), stealing from other Ps' tails, and a victim cache moved on each
 * GC (Go 1.13+) by {@code Pool.cleanupAll}, which the runtime registers as the collector's
 * sweep-termination hook (Go's clearpools: world stopped, start of every cycle). Pool entries are
 * Java objects, not gort-heap pointers, so they are not roots of gort's collector (gort-heap
 * pointers go in {@code dev.gort.gc.PtrPool}, whose entries are roots). The P id comes from {@link dev.gort.sync.Procs}; with cooperative preemption no
 * pinning is needed between reading it and using the P's local.
 *
 * <p>Alternatives rejected: wrapping java.util.concurrent locks (they block the M); a single
 * global lock-free stack for Pool (contended CAS on one word from every P, no locality).
 */
package dev.gort.sync;
