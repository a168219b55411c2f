/**
 * sysmon: the runtime's monitor thread (Go's {@code runtime.sysmon}, proc.go).
 *
 * <h2>What it is</h2>
 * One platform thread, {@code gort-sysmon}, that owns no P and so never runs goroutines. It
 * watches the scheduler, the collector, the scavenger and the network poller and nudges them when
 * nobody else will: a goroutine hogging its P, a P stuck with an M blocked in a syscall, a heap
 * nobody has collected for minutes, free memory nobody has returned, network readiness nobody
 * has polled.
 *
 * <h2>A round ({@link dev.gort.sysmon.Sysmon#round(long)})</h2>
 * <ol>
 * <li>Sleep: 20 us while there is work; after 50 rounds in a row that retook nothing, double each
 *     round up to 10 ms. {@link dev.gort.sysmon.Sysmon#wake()} cuts a sleep short. While every P
 *     is idle and the global queue empty, a deep sleep instead (Go's sysmonwait): sysmon arms a wake-up in the scheduler
 *     (run when a P next leaves the idle list, i.e. anything starts running: a timer, network
 *     readiness, a syscall returning, a goroutine readied from outside) and parks until then, or
 *     until half the forced-GC period or the next scavenger age pass, whichever comes first.
 *     Unlike Go it need not wake for timers: a timer that readies a goroutine takes a P, and
 *     that wakes sysmon. Not with schedtrace on (Go neither).</li>
 * <li>Netpoll: if the poller's last poll is older than 10 ms, poll without blocking and inject the
 *     ready goroutines into run queues.</li>
 * <li>Retake, per P (Go's sysmontick bookkeeping: last schedtick/syscalltick seen and when):
 *     a running P, or a P in a syscall, whose schedtick did not move for 10 ms gets its G's
 *     preempt flag set (the G yields at its next safepoint, for a G in a syscall the one after the
 *     call returns: cooperative, as Go before 1.14); a P in a syscall seen across two rounds, or
 *     whose slice is over (Go's sysretake), is retaken and handed off when it has local work (its
 *     own run queue: the global queue does not count, as in Go), or nobody spins or idles, or the
 *     syscall has lasted 10 ms since the round that first saw it (with the slice over: since the
 *     last call a round saw; none seen since the P was idle or taken counts as old, as Go's stale
 *     pd.syscallwhen).</li>
 * <li>Stranded work: goroutines in the global queue while a P is idle and no M spins (left by a
 *     startm that could not make an M: gort throws there where Go's newm dies) get a spinning M
 *     ({@link dev.gort.sysmon.SchedulerPort#wakeForGlobalWork}); so does a wake-up such a startm
 *     owes for work the global queue does not show, a timer or a network waiter (session 33: the
 *     spinning M runs due timers or sleeps for the earliest). A wake-up that fails (an
 *     OutOfMemoryError included: the Java heap exhausted while making the M) is a failed duty,
 *     counted and retried next round; any other Error ends the thread.</li>
 * <li>Forced GC: no cycle ended for 2 minutes (forcegcperiod) and GOGC is not off: ask the
 *     collector to start one in the background. The collector re-tests the request before the
 *     start (Go's gcStart) and drops it if GOGC went off or a cycle ended after it; sysmon counts
 *     (forcedGcs, the ForcedGc JFR event) the forced cycles that started
 *     ({@link dev.gort.sysmon.GcPort#forcedCyclesStarted}). Go's gctrace marks them with the
 *     {@code GC forced} line only: no {@code (forced)} suffix, not in NumForcedGC (Gort.gc()'s).</li>
 * <li>Scavenger: every 2.5 minutes release free page runs idle for 5 minutes (Go 1.0-1.12's
 *     policy, the seed's); release down to heap goal + 10 % (Go 1.13+'s retain target, set by
 *     each GC cycle) paced as Go's background scavenger (1 ms batches of 64 KiB releases, 1 % of
 *     GOMAXPROCS CPUs) while the retained heap is above it; with a memory limit keep the retained heap at or below 95 % of it (Go
 *     1.19). With scavtrace=1 Go's {@code scav} line is printed.</li>
 * <li>schedtrace: with GORT_DEBUG=schedtrace=N, the scheduler's SCHED line every N ms (Go's sysmon
 *     prints it too).</li>
 * </ol>
 *
 * <h2>Seams</h2>
 * sysmon sees the rest of the runtime through four small ports it declares:
 * {@link dev.gort.sysmon.SchedulerPort}, {@link dev.gort.sysmon.GcPort},
 * {@link dev.gort.sysmon.ScavengerPort}, {@link dev.gort.sysmon.NetpollPort}. The runtime's
 * bootstrap installs adapters over the real modules. The ports keep every state change in the
 * module that owns the state (only the scheduler CASes a P's status), and let the policy be
 * tested round by round with an injected {@link dev.gort.sysmon.SysmonClock}.
 *
 * <h2>Alternatives rejected</h2>
 * <ul>
 * <li>A ScheduledExecutorService per duty: more threads, and the duties share observations (a
 *     round that retook a P shortens the next sleep).</li>
 * <li>Signals for preemption (Go 1.14+ SIGURG): a JVM thread cannot be interrupted at an arbitrary
 *     instruction to run Java code; preemption stays cooperative (see DESIGN.md).</li>
 * </ul>
 */
package dev.gort.sysmon;
