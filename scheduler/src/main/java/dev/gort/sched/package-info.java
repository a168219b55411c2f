/**
 * The G-M-P scheduler: goroutines as {@code jdk.internal.vm.Continuation}s on platform threads,
 * with Go's run queues, channels, select, timers, syscall hand-off and stop-the-world.
 *
 * <h2>Structures</h2>
 * <ul>
 * <li><b>G</b> ({@link dev.gort.sched.G}): a goroutine = a continuation + a native descriptor
 *     (goid, status numbered as Go's, wait reason, preempt flag, schedlink, shadow-stack bounds;
 *     layout in {@code GDescriptor}). Every G ever made sits in a table (Go's allgs); queues hold
 *     {@code index + 1} ("G refs") and link Gs through the descriptors' schedlink, so run queues and
 *     free lists are native memory. Dead Gs are reused: per-P free list, spilled to / refilled from
 *     a global list in batches of 32 (Go's gfput/gfget, 64/32). goids come from a global counter
 *     in batches of 16 per P (Go's goidcache); the main goroutine is goid 1.</li>
 * <li><b>P</b> ({@link dev.gort.sched.P}): GOMAXPROCS of them (changeable at run time, below). Each has a native block
 *     ({@code PDescriptor}) with a 256-slot ring + runnext driven by Go's lock-free
 *     runqput/runqget/runqgrab/runqsteal ({@code RunQueue}), tick counters sysmon reads, the goid
 *     cache and free-G list; and Java-side the allocator's mcache (an Object supplied by
 *     {@link dev.gort.sched.McacheSource}) and a timer heap.</li>
 * <li><b>M</b>: a {@code Thread} subclass, so the carrier thread of a goroutine's continuation is
 *     the M: M -> P -> mcache is two loads. The lookup ({@code Scheduler.currentM()}) is kept out
 *     of line on purpose: C2 treats {@code Thread.currentThread()} as a constant within a compiled
 *     method, and a goroutine resumes on another M after a yield, so an inlined read could name
 *     the old M (found the hard way: a goroutine spawning after gosched at GOMAXPROCS=2 used an M
 *     without a P). After a yield, code holding its G reads {@code g.m}. Its run() is g0, the
 *     scheduling loop. Ms are created on demand (cap {@code maxThreads}, Go's 10000, then
 *     "fatal error: thread exhaustion") and optionally pinned to CPUs (GORT_AFFINITY).</li>
 * <li>The sched state ({@link dev.gort.sched.Scheduler}): idle P and M lists, the global run
 *     queue, spinning count, stop-the-world state, under one short spin lock (Go's sched.lock).
 *     The global run queue ({@code GlobalRunQueue}) is a growable ring of G refs, not Go's list
 *     linked through the Gs: with thousands of goroutines queued, every link written or followed
 *     was a cache miss on a descriptor, and a batch now moves with one array copy.
 *     {@code Scheduler} keeps the public API and the hot paths (the M loop, execute, findRunnable,
 *     park / ready, syscall entry and exit); the other jobs of Go's proc.go are package-private
 *     classes: {@code WorldStop} (stop-the-world), {@code ForEachP} (Go's forEachP: a function
 *     run once for every P at its safe point, the world running), {@code ProcResize} (GOMAXPROCS),
 *     {@code SyscallRetaker}, {@code GFreeList} (dead Gs), {@code NetpollReadyList} (what a poll
 *     readied), {@code AllPs} (every P ever made, the per-P counters summed), {@code MPool} (the
 *     Ms: startm, stopm, the idle list, CPU pinning), {@code IdlePs} (the idle P list, handoffp,
 *     sysmon's wake-up), {@code LockedM} (a goroutine that keeps its M: stoplockedm,
 *     startlockedm), {@code GoroutineLifecycle} (newproc, goexit0), {@code DeadlockCheck}
 *     (checkdead), {@code SchedulerLifecycle} (run once, exit once, fatal errors),
 *     {@code SchedTracer} (the schedtrace thread) and {@code Shutdown}. Those called from the
 *     switch path (LockedM, GoroutineLifecycle) are static methods taking the scheduler, so their
 *     call sites have the bytecode of the private methods they were.</li>
 * </ul>
 *
 * <h2>The main path</h2>
 * <ol>
 * <li>{@link dev.gort.sched.Go#go}: take a free G (or allocate), give it a goid from the P's
 *     cache and its function (no continuation yet), put it in the P's runnext (the old runnext goes to the ring;
 *     a full ring moves 128 + 1 to the global queue), and {@code wakep()} a spinning M if a P is
 *     idle and nobody spins.</li>
 * <li>g0 runs {@code schedule()}: {@code findRunnable} in Go's order: due timers of this P; the GC
 *     hook's worker; every 61st schedtick one G from the global queue; runnext, local ring; a batch
 *     from the global queue; a non-blocking netpoll; stealing (if spinning Ms &lt; (GOMAXPROCS -
 *     idle Ps)/2): 4 passes over the Ps from a random start, timers and runnext only on the last;
 *     an idle GC worker; then release the P, re-check every queue (the "delicate dance"), and
 *     either sleep until the next timer / block in netpoll (one M at a time) or park on the idle
 *     list.</li>
 * <li>{@code execute}: status RUNNING, schedtick++ unless the G inherits the time slice (runnext;
 *     no clock read: sysmon times a slice from its first sight of a new schedtick, as in Go. So a
 *     pair handing off through runnext is one long runner to sysmon, which preempts it after
 *     forcePreempt, 10 ms; the preempted G goes to the global queue behind whatever waits there:
 *     runtime's RunnextStarvationTest. A Scheduler used without sysmon has nothing to break such
 *     a chain, the 61st-tick check never comes: a G readied onto the global queue waited over
 *     20 s in a probe, as it would in Go without sysmon),
 *     {@code continuation.run()} (a G that never ran gets a new continuation here, a
 *     <em>runner</em>: see Spawning). The goroutine runs until it yields; the yield returns to g0,
 *     which performs what the goroutine asked for in {@code M.yieldAction}: requeue (gosched,
 *     preemption: back of the global queue, then {@code wakep()} as Go's goschedImpl does, so an
 *     idle P gets an M for it; a G preempted while a stop-the-world is pending goes to runnext
 *     of its own P instead, as in Go tip, and runs first there after the restart), park (status WAITING, then the park's commit function
 *     releases the channel lock or arms the timer; only then can a waker see it), exitsyscall
 *     (no P: queue globally, M goes idle), or, when the continuation is done, goexit (free list).
 *     The G that yielded or ended is {@code mp.curg}, not necessarily the one execute resumed (a
 *     runner may have adopted others meanwhile).
 *     After a park or an exit g0 takes the next G straight from its P's runnext or ring
 *     ({@code runqgetFast}) when findRunnable would choose that same G: no stop-the-world
 *     pending, no timer on the P, the global queue empty (the GC hook is asked first, as there).
 *     Otherwise (and always after a gosched, whose G is on the global queue) it goes round
 *     {@code schedule()}.</li>
 * <li>Waking ({@link dev.gort.sched.Go#ready}): WAITING -> RUNNABLE, into runnext of the waker's P,
 *     {@code wakep()}. A channel send to a parked receiver hands the value to its sudog directly.
 *     A waker that dequeued the sudog under the channel lock stores RUNNABLE without a CAS
 *     ({@code readyWaiter}): the G is certainly WAITING (g0 stores that before the park commit
 *     releases the lock) and the dequeue decided who wakes it.</li>
 * </ol>
 *
 * <h2>What a switch costs, and why the hot path looks the way it does</h2>
 * A goroutine switch is a continuation yield to g0 plus a resume of the next one: the raw
 * {@code Continuation} resume+yield is the floor (about 110 ns of CPU on the 2-core EPYC VM this
 * was built on), a channel ping-pong round trip is two of them. Everything else is bookkeeping,
 * kept to a few stores per switch:
 * <ul>
 * <li>No reference stores into long-lived objects where avoidable. Under G1 (JDK 25) a reference
 *     store into an old object that crosses regions is a card-marking write barrier with a
 *     StoreLoad fence, and Ms, Gs, sudogs and channels are old after a few collections (Go's
 *     scheduler uses guintptr/muintptr to skip its write barriers for the same reason). So a
 *     plain send/recv uses the G's own {@code chanSudog} (its {@code g} never changes, its
 *     {@code c} is written only when the channel differs), parks with {@code YIELD_PARK_CHAN}
 *     (g0 finds the lock through the sudog: nothing stored in the M), {@code WaitQueue} counts
 *     waiters and leaves stale first/last, {@code g.param} is written for select only and
 *     {@code g.m} only when it changes. A ping-pong half trip went from about 11 barriered
 *     stores to 2 ({@code sudog.elem}, {@code m.curg}). Under {@code -XX:+UseParallelGC} (a
 *     plain card store, no fence) the probe's round trip is 12-15 ns (5 %) shorter, but not
 *     through those two: taking the {@code m.curg} store away (a G index) gained nothing.</li>
 * <li>Few atomics: channel hand-offs skip the status CAS (above); with GOMAXPROCS=1 nobody
 *     steals, so runnext and the ring head are updated with plain stores
 *     ({@code RunQueue.put/get(..., stealable=false)}); goroutine counts are per-P plain
 *     counters summed by readers; newG stores no volatile field (each is a full fence).</li>
 * <li>No clock reads per switch (System.nanoTime was about 20 ns of a 180 ns gosched).</li>
 * <li>A G descriptor is one 64-byte-aligned cache line: with thousands of goroutines queued,
 *     spawn, switch and exit each touch one line of it. Lists of Gs (free lists) find a
 *     descriptor from the G's ref by arithmetic ({@code GTable.desc}), not through the G object.</li>
 * <li>A spawn stores one reference into the (old) G: its function. A goroutine that ends
 *     without yielding stores none of its continuation (g0 stores it into the G only at a
 *     yield). A dead G keeps its {@code m}, so the next run on the same M stores nothing
 *     there.</li>
 * </ul>
 * Cost against the number of goroutines queued at once (SwitchProbe {@code -Dprobe.wave}): up to
 * a few hundred queued, a spawn+exit stays near 70 ns of CPU; at 20,000 queued before any runs it
 * is 4-6 times that, because each goroutine's G object, descriptor, continuation and sudog (about
 * eight cache lines between spawn and run) have left the caches by the time it runs. That is the
 * working set, not a lock or a list walk (those were removed).</p>
 * <p>Measured with {@code dev.gort.bench.sched.SwitchProbe} (thread CPU time, best of N, which
 * survives a loaded machine) and the JMH benchmarks in the same package; README has the current
 * figures and docs/performance.md every run. What remains per round trip beyond the two floors, measured apart
 * ({@code SwitchProbe ... parts}): 45-55 ns of switch bookkeeping (the same alternation through
 * {@code Go.ready}/{@code Go.park} without a channel is 2.4-2.5 floors), spread over some forty
 * loads and stores per switch with none dominant, and 20-30 ns for the four channel operations.
 * Measured not to matter (A/B, unsafe variants for measurement only): the four channel-lock
 * CASes (a plain-store lock changed nothing), the four out-of-line carrier lookups (about 10 ns
 * in all; an inlined {@code Thread.currentThread()} changed nothing beyond noise), the G1
 * barriers of the {@code m.curg} stores (a G index instead made the reads cost more than the
 * barriers did). What does matter is the number of physical frames between the resumed frame
 * and {@code yield0}: 5-10 ns per frame per switch (the JDK freezes and thaws each; frames
 * below the resumed one are thawed lazily and cost nothing), so the park path
 * ({@code Chan.recv} -> {@code goparkChan} -> {@code switchOut} -> {@code Continuation.yield})
 * is kept small enough for C2 to inline into its caller, as it does. A lock-free channel at
 * GOMAXPROCS=1 was considered and rejected: with one P, other threads still touch channels
 * ({@code offer}, {@code close} and {@code trySend} from any thread, timer functions, goroutines
 * of Ms in syscalls), so the lock must stay an atomic (and it is not where the time goes).
 *
 * <h2>Spawning: runner continuations</h2>
 * A goroutine that has never run has no frames, so it needs a continuation only as a place to run
 * its function. A spawn therefore stores just the function ({@code G.fn}); {@code execute} makes a
 * continuation when it first runs such a G, and that continuation's entry ({@code G.run}) is a
 * loop: when the goroutine's function returns, the continuation is still mounted, and
 * {@code Scheduler.adoptNext} asks whether the G findRunnable would pick next is fresh too. If so,
 * it does the ended G's goexit0 there, starts the next one exactly as execute would (curg, m, MID,
 * RUNNING, schedtick unless it inherits the slice, the per-P adoption counter) and the loop calls
 * its function: no new continuation, no yield, no return to g0. This is Go's reuse of a dead G's
 * stack for the next G, done at the continuation level; a wave of short goroutines runs in one
 * continuation, and per goroutine a spawn+exit is newproc, a run-queue take, the function call
 * and goexit0.
 * <ol>
 * <li>The adoption point declines (the continuation finishes, g0 ends the G and picks as before)
 *     whenever findRunnable could choose otherwise or the M must stop: a stop-the-world or exit
 *     pending, a timer on the P, the global queue's every-61st-tick turn, an empty local queue;
 *     and when the ended G is main (its exit ends the program), is locked to its M, or was asked
 *     to yield (then g0 goes through {@code schedule()} for the next slice).</li>
 * <li>The run-queue take is the usual atomic one ({@code RunQueue.get}). A G taken that is not
 *     fresh (it has frames: it resumes in its own continuation) and a GC worker the hook returns
 *     cannot run here; they go to g0 in {@code M.runnerNext}, never back to the queue, where a
 *     thief may have moved on.</li>
 * <li>A G that yields inside a runner owns that continuation from then on: g0 stores it as the
 *     G's {@code cont} before it acts on the yield (park, requeue), so whoever resumes the G,
 *     on any M, resumes the runner; when its function returns, the runner adopts again. Which G
 *     a continuation belongs to is always the M's {@code curg}: execute reads it when
 *     {@code run()} returns, and {@code onPinned} records a failed yield on it.</li>
 * <li>Panics and {@code Go.goexit()} end only the function's call ({@code G.runFunction}); the
 *     report names the adopted G, which is the current one.</li>
 * </ol>
 * Measured (SwitchProbe, thread CPU, best of 100, alternated with the previous main): spawn+exit
 * in waves of 64 from 82-89 to 61-68 ns, all 20,000 queued first from 367-389 to 286-363 ns;
 * allocation per spawn from 56 B (a continuation each) to under 1.2 B (JMH {@code -prof gc}).
 * Alternatives rejected: parking a dead G's continuation in a loop to reuse it for the next G
 * (a freeze and a thaw, one floor of ~110 ns, to save a 16 ns fresh continuation: a finished
 * continuation cannot restart, but a running one can simply call the next function);
 * adopting any runnable G (one with frames must resume its own continuation: continuations
 * nest, they cannot be spliced); running the next goroutine nested inside the ending one's
 * function (recursion: the stack grows with every adoption).
 *
 * <h2>Channels and select</h2>
 * {@link dev.gort.sched.Chan} is Go's hchan: a lock, a ring buffer, recvq and sendq of sudogs.
 * Blocked operations enqueue a sudog and park; the peer completes the operation on the sudog and
 * readies the goroutine, so nothing polls. close wakes every receiver (null, ok=false) and every
 * sender (which panics "send on closed channel"). {@link dev.gort.sched.Select} is Go's selectgo:
 * random poll order, lock order by channel id, three passes, and a per-G {@code selectDone} CAS so
 * exactly one channel completes a select. Channels implemented elsewhere (the collector's PtrChan)
 * join a select through {@link dev.gort.sched.SelectableChan}: same lock order (one id sequence),
 * same three passes ({@code selectgoMixed}, so a select over Chans alone pays nothing), their
 * waiters claimed through {@link dev.gort.sched.SelectWaiter} (the selectDone CAS); the select
 * pushes a frame with one pointer slot per case so values in flight stay collector roots.
 *
 * <h2>Timers</h2>
 * Per-P binary heaps ({@code TimerHeap}) under their own lock. A timer function runs on g0 holding
 * a P (sleep readies its goroutine, channel timers do a non-blocking send, afterFunc starts a
 * goroutine). Due timers run in findRunnable of their P and in the last stealing pass by other Ps;
 * an M with nothing to do sleeps until the earliest timer of all Ps; adding an earlier timer wakes
 * it. Stopped timers are removed at once, so "a heap is non-empty" means a timer is pending.
 *
 * <h2>Syscalls, locked and pinned goroutines</h2>
 * {@link dev.gort.sched.Go#syscall}: entersyscall detaches the P (status SYSCALL, syscallwhen
 * recorded) but leaves it for the M to take back; a retaker (the built-in thread, period
 * {@code SchedConfig.syscallRetake}, until sysmon takes the job through
 * {@link dev.gort.sched.Scheduler#retake}) CASes it to IDLE and {@code handoffp}s it to another M.
 * The built-in thread follows Go's retake for a P in a syscall: a call is aged from the first
 * round that saw it (Go's pd.syscallwhen); the hand-off rules (keep the P while its own queue is
 * empty, a P idles or an M spins, and the call was first seen under 10 ms ago) apply to a call
 * seen for at least the period, and to a P whose 10 ms slice ended in a syscall, whose G it flags
 * first (a loop of short calls is one long runner); running Ps it leaves to sysmon. Each pass also
 * wakes an M for goroutines a failed startm left in the global queue beside an idle P, or for a
 * wake-up a failed startm owes to a timer or network waiter the queue does not show
 * ({@link dev.gort.sched.Scheduler#wakeForGlobalWork}), and a pass whose step throws is reported
 * and the thread goes on, an OutOfMemoryError included (the Java heap exhausted while making an M:
 * {@link dev.gort.sched.Scheduler#isResourceExhaustion}); any other Error ends it. Failed startm
 * calls are counted ({@link dev.gort.sched.Scheduler#startmFailures}, schedtrace's
 * {@code startmfailures=}, printed once non-zero) and the first is reported on stderr.
 * exitsyscall takes its old P back if still SYSCALL, else any idle P, else yields to g0 which
 * queues the G globally and parks the M.
 * <p>A goroutine locked with {@link dev.gort.sched.Go#lockOSThread} never leaves its M: when it
 * blocks, its M hands the P off and sleeps ({@code stoplockedm}); when it becomes runnable, the M
 * that dequeues it hands that M its P ({@code startlockedm}). A continuation that cannot yield
 * (pinned by a native frame, e.g. inside an FFM upcall) is treated the same way, temporarily:
 * onPinned records the reason instead of throwing, the false yield turns into a stoplockedm on the
 * spot, so the goroutine keeps its M, its P goes to other goroutines, and nothing hangs.
 *
 * <h2>Preemption and stop-the-world</h2>
 * Cooperative, as Go before 1.14: {@link dev.gort.sched.Scheduler#preempt(int)} sets the running
 * G's preempt flag; the G yields at its next safepoint (channel and timer operations, park,
 * syscall entry/exit, {@link dev.gort.sched.Go#gosched}, {@link dev.gort.sched.Go#poll}; the
 * allocator's entry points call {@code Go.poll()}). {@link dev.gort.sched.Scheduler#stopTheWorld}
 * takes idle Ps and Ps in syscalls at once, and from its first timed pass (0.1 ms) Ps that
 * {@code startm} handed to an M which has still not taken them (woken, but with no CPU: the M and
 * the stopper race for the P with a CAS, and an M that lost parks again; Go waits for such an M),
 * preempts the running ones, and waits
 * until each M gives its P up in the scheduler ({@code gcstopm}); a goroutine that never reaches a safepoint
 * delays it. A goroutine an M starts while a stop is pending is flagged by {@code execute} (the
 * stop's preempt pass found that M on g0, with nothing to flag), so it yields at its first
 * safepoint. The last M to stop wakes the stopper; the stopper's timed sleeps only re-preempt (a G
 * that started after the first pass without being seen), backing off from 100 us to 1.6 ms: on two cores every
 * wake-up took a CPU slice a stopping goroutine might be waiting for. The syscall retaker sleeps
 * while the world is stopped (there is nothing to retake: the stopper took every P in a syscall)
 * and {@code startTheWorld} wakes it, as Go's sysmon sleeps while {@code gcwaiting}. While the world is stopped nothing about a G changes: no M holds a P, and an M whose
 * goroutine returns from a syscall waits on its own note, the G still in SYSCALL, until
 * {@code startTheWorld} (Go lets exitsyscall0 queue the G meanwhile; the stronger promise costs
 * nothing and lets the collector read statuses and frames without racing). The one exception is
 * {@link dev.gort.sched.Go#ready} from a thread that is not an M (WAITING to RUNNABLE, as in Go).
 * Code inside {@link dev.gort.sched.Go#syscall} keeps running during a stop, as C code does in Go,
 * so it must not push frames or store into frame slots.
 * <p>Why a stop waited ({@code StopHolders}, on under {@code -Dgort.gc.pausetrace=true} or
 * {@code -Dgort.sched.stoptrace=true}, a static final otherwise): each M counts its preemption
 * checks in a plain field ({@code Go.poll}, the runtime's safepoints, {@code worldStopping()}, the
 * collector's check); a stop still waiting at a timed re-preempt pass samples every P not stopped
 * (M, goroutine, its status and kind as the GC hook names it, the check count, the M's /proc
 * state and schedstat, read through files each M opened at its start: no allocation, tens of
 * microseconds a pass), and the stop's description ({@code describeLastStop}) names what held the
 * last pass: e.g. {@code held at the last of 10 timed passes (28.953 ms) by P0: M2 running
 * goroutine 5 (user goroutine, running) at every pass from 1.185 ms; no preemption check from
 * 1.185 to 28.953 ms (checks 0 in that time); M2 running or runnable at 10 of 10 passes,
 * schedstat between the passes at 1.185 and 28.953 ms: ran 0.000 ms, waited 28.150 ms; sampling
 * took 0.412 ms}, the last figure being the diagnostic's own time inside the stop. Nothing is
 * sampled for a stop that ends before its first pass (0.1 ms).
 *
 * <h2>GOMAXPROCS at run time (procresize)</h2>
 * {@link dev.gort.sched.Scheduler#setGomaxprocs} is Go's runtime.GOMAXPROCS: a flag (not a lock:
 * a goroutine waits for it inside a syscall) admits one resize at a time; every
 * {@link dev.gort.sched.ProcResizeHook} runs {@code beforeStop} (the collector waits here for a
 * marking cycle to end and holds the next off); the world stops; then, as Go's procresize:
 * <ol>
 * <li>Ps [old, n) are made, or revived from {@code allpEver} (Go's allp backing array; 1024
 *     references reserved, Ps created lazily), status GCSTOP, each with a new mcache.</li>
 * <li>If the caller's own P is among the dying, it releases it and acquires P 0.</li>
 * <li>Each dying P: hooks flush their per-P state ({@code destroyP}); runnext and the ring go to
 *     the global queue; timers move to the caller's P (P 0 from a non-goroutine) under both heap
 *     locks, so a concurrent stopTimer finds them on one side; free Gs go to the global list; an
 *     unused goid batch goes back to the counter if it is still the latest; the mcache is
 *     released (flushed to the mcentrals); status DEAD. The P object stays: an M in a syscall may
 *     still hold it as its oldp (its exitsyscall CAS from SYSCALL fails on DEAD and takes the slow
 *     path), and stale readers of an old {@code allp} or of {@code p(id)} see an empty dead P.</li>
 * <li>Under the sched lock: the new {@code allp} array, {@code gomaxprocs}, the GOMAXPROCS=1
 *     CAS-free run-queue mode ({@code stealable}) and a generation number change together.</li>
 * </ol>
 * startTheWorld then idles or starts every GCSTOP P of the new array. {@code gomaxprocs} and
 * {@code allp} are plain fields (schedule() reads them): every M sees the new values after the
 * restart through the sched lock; threads that are not Ms (the syscall retaker, schedtrace, a
 * timer started from a plain thread) and an M that released its P read volatile copies
 * ({@code gomaxprocs()}, {@code allpPublished}): a plain read without that edge could see a new
 * array before its elements.
 * Alternatives rejected: resizing without a stop (every per-P structure would need a hand-off
 * protocol with its owner, for an operation programs do once or rarely); freeing dead Ps (an M in
 * a syscall may still name one: Go keeps them too).
 *
 * <h2>Hooks installed by other modules</h2>
 * <ul>
 * <li>{@link dev.gort.sched.NetpollHook}: non-blocking poll in findRunnable, blocking poll with a
 *     timeout (until the next timer) for the one idle polling M, {@code wakeup()} to break it,
 *     {@code hasWaiters()} for findRunnable and the deadlock detector. Parked I/O goroutines are
 *     returned through a ready list; sysmon can inject with {@code injectNetpoll()}.</li>
 * <li>{@link dev.gort.sched.GcHook}: findRunnableGCWorker / findIdleGCWorker (the workers are
 *     system goroutines, {@link dev.gort.sched.Go#goSystem}, like Go's ngsys ones); STW via
 *     {@code stopTheWorld(reason)} / {@code startTheWorld()}; roots: every G's shadow stack
 *     ({@link dev.gort.sched.G#stackLo()}, {@link dev.gort.sched.G#topFrame()}, frames linked as
 *     described in {@code ShadowStack}).</li>
 * <li>sysmon surface: per P {@code status(), schedtick(), schedwhen(), syscalltick(),
 *     syscallwhen()}; {@code preempt(pid)}, {@code retake(pid, force)}, {@code injectNetpoll()},
 *     {@code schedtrace(detailed)}.</li>
 * <li>{@link dev.gort.sched.ProcResizeHook}: per-P state flushed before a P is destroyed
 *     (collector, sync.Pool; sysmon watches {@code procresizeGeneration()} instead).</li>
 * <li>{@link dev.gort.sched.StackSource} and {@link dev.gort.sched.McacheSource}: the arena's
 *     stack allocator and mcaches (the defaults are malloc and none).</li>
 * </ul>
 *
 * <h2>Failures</h2>
 * A throwable escaping a goroutine is a panic: unless the {@link dev.gort.sched.PanicHandler}
 * recovers it, the report {@code panic: <text>\n\ngoroutine N [running]:\n<stack>} goes to the
 * {@link dev.gort.sched.FatalHandler} (default: stderr and exit code 2). When every M is idle or
 * waiting for its locked G, no timer is pending, no goroutine is in a syscall or waiting on I/O,
 * yet goroutines exist: {@code fatal error: all goroutines are asleep - deadlock!} with every
 * goroutine's state and stack (Go's checkdead).
 *
 * <h2>After run() returns</h2>
 * Shutdown frees the shadow stacks (the heap's), releases the mcaches and frees the P blocks and
 * G descriptor chunks. Threads other than the scheduler's Ms read those through a gate
 * ({@code NativeReaders}); once every M was joined, shutdown takes the world lock, closes the
 * gate, waits for the readers inside, copies every P's and G's final figures into its handle and
 * frees, so a P from {@code p(id)}, a G handle, sysmon racing the shutdown or the scheddetail
 * printer read the final figures, never freed memory (they once did: {@code status=37
 * runqsize=-2}). If an M, a stop or a reader does not end, the blocks stay until the scheduler
 * is unreachable ({@code NativeBlocks}: a phantom reference polled when the next scheduler is
 * made; no thread). A {@link
 * dev.gort.sched.Frame} checks that it is still pushed and that the stacks are not freed before
 * each access, and throws IllegalStateException otherwise.
 *
 * <h2>Alternatives rejected</h2>
 * <ul>
 * <li>Virtual threads: their scheduler is a ForkJoinPool we cannot shape into Go's P/runnext/
 *     stealing order, cannot pin Ms to CPUs, and gives no run-queue or G descriptors in native
 *     memory for the collector and sysmon to read.</li>
 * <li>java.util.concurrent locks for channels: they allocate queue nodes under contention and
 *     track an owner; a channel lock is taken by a goroutine and released by g0 after the park,
 *     so a plain spin-then-yield lock fits (held for a few dozen instructions).</li>
 * <li>Lazy timer deletion (Go's): simpler, but would make the deadlock detector see stopped
 *     timers as pending; eager removal keeps "heap non-empty" exact.</li>
 * <li>Polling channel waiters: forbidden; every wait is a sudog and a park.</li>
 * <li>A direct switch from one goroutine to the next (Go's gogo after mcall): continuations
 *     nest, so a yield always returns to the parent (g0); every switch is a yield plus a run.</li>
 * <li>Nested hand-off: a goroutine that parks runs the goroutine it just readied nested on its
 *     own stack instead of yielding; when that one parks, its yield returns into the first, which
 *     continues without a thaw if it was readied meanwhile. A channel ping-pong costs one
 *     freeze/thaw instead of two (a measurement-only prototype: 1.8 floors instead of 2.8).
 *     Rejected: while nested, neither goroutine can move to another M, so a nested goroutine that
 *     blocks its M while it waits for its host (inside {@code Go.syscall}, or pinned by a native
 *     frame) deadlocks a program that works today. It would also need every waker to know that
 *     the host is mounted (never queue it, or another M would resume a mounted
 *     continuation).</li>
 * <li>Deferring wakep while the readied G sits in runnext (a thief may take runnext only after a
 *     3 us back-off anyway): it would save the futex wake of a spinning M per hand-off at
 *     GOMAXPROCS &gt; 1, but a waker that keeps running without a safepoint would leave the G
 *     waiting until preemption (10 ms). Not done; Go wakes too.</li>
 * </ul>
 */
package dev.gort.sched;
