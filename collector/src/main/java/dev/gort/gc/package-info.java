/**
 * The collector: Go's concurrent tri-colour mark-sweep with the hybrid write barrier and the pacer,
 * over objects that live in gort's native arena.
 *
 * <h2>Structures</h2>
 * <ul>
 *   <li>{@link dev.gort.gc.Type}: size + pointer mask. Allocation copies the mask into the arena's
 *       bitmap region (one bit per heap word); noscan types write nothing and live in noscan spans.</li>
 *   <li>{@link dev.gort.gc.Mem}: field access by address on the all-memory segment; pointer stores
 *       go through {@link dev.gort.gc.WriteBarrier} (one volatile flag on the fast path).</li>
 *   <li>Grey queue: native {@linkplain dev.gort.gc.WorkbufLayout workbufs} (2048 bytes, 253
 *       pointers), a per-P {@link dev.gort.gc.GcWork} with two of them (Go's wbuf1/wbuf2), and
 *       global full/empty lists in a {@link dev.gort.gc.WorkbufPool}, each a tagged lock-free
 *       stack ({@link dev.gort.gc.LfStack}) so a recycled buffer cannot cause ABA.</li>
 *   <li>{@link dev.gort.gc.Pacer}: heap goal, trigger, assist ratio, worker counts, memory limit.</li>
 *   <li>{@link dev.gort.gc.PtrChan}: a channel of managed pointers whose values in flight are roots:
 *       its ring slots are global root slots (scanned with the globals, stores barriered), a parked
 *       sender's value sits in a frame on its own shadow stack (Go's sudog.elem into the stack). It
 *       is a {@code SelectableChan}: in a {@code Select} every case's pointer sits in a slot of a
 *       frame the select pushes before its first safepoint, so a parked select's value in flight
 *       is a stack root too, and a peer delivers a received value into that slot.</li>
 *   <li>{@link dev.gort.gc.PtrPool}: Go's sync.Pool for managed pointers (issue 5's "Pool
 *       entries" root): per index (a P's id, or a registered thread's id mod GOMAXPROCS) a private
 *       slot and a ring of shared slots, all slots of the global root table (scanned with the
 *       globals; stores barriered, a get's clearing shades what it takes), each index's part under
 *       a CAS spin word; get steals the oldest entries of other indices, then the victim cache,
 *       then New. One sweep-termination hook per collector (world stopped, barrier off) clears the
 *       victims and makes the primaries the victims, so a pooled object outlives one cycle and is
 *       garbage at the second (Go 1.13+). Only goroutines and registered threads may put and get.
 *       {@code dev.gort.sync.Pool} stays the pool for Java objects.</li>
 *   <li>Handles outlive nothing: {@link dev.gort.gc.Global}, PtrChan and PtrPool check their
 *       {@link dev.gort.gc.GlobalRoots} table's volatile closed flag before any native access and
 *       throw IllegalStateException once it is closed (the runtime ended); the close leaves the
 *       committed slot pages mapped (MADV_DONTNEED: no memory) so an access racing the close
 *       reads a zero page, not an unmapped one. {@link dev.gort.gc.Mem} stays unchecked (raw
 *       addresses on the hot path) unless GORT_DEBUG=checkptr=1, which checks every access
 *       against the open heaps' arenas.</li>
 *   <li>Observability: {@link dev.gort.gc.GcCycle} figures per cycle, printed as Go's gctrace line
 *       by {@link dev.gort.gc.GcTrace}, accumulated in {@link dev.gort.gc.GcStats} (MemStats' GC
 *       fields) and emitted as JFR events ({@link dev.gort.gc.GcCycleEvent},
 *       {@link dev.gort.gc.GcPauseEvent}).</li>
 * </ul>
 *
 * <h2>The cycle ({@link dev.gort.gc.Collector})</h2>
 * <ol>
 *   <li>A cycle is requested by the heap trigger (the arena calls up through its HeapTrigger when
 *       heapLive reaches the pacer's trigger), by {@code gc()} or by {@code gcstress}. A coordinator
 *       thread runs it; an allocation past the goal waits until the requested cycle has started.
 *       The mutator whose allocation reached the trigger does not wake the coordinator there (it is
 *       inside the arena's refill): its next allocation enters runBlocking, wakes it and waits for
 *       sweep termination, so the coordinator runs on that CPU and the stop does not wait for that
 *       mutator (Go's gcStart runs on the allocating goroutine; {@code CycleControl.startOwedBy}).
 *       The default over ThreadWorld, and under the scheduler while sweep termination's stopped
 *       steps are handed to the M that stops the last P ({@code -Dgort.gc.sweepterm.handoff},
 *       default on; see {@code CycleControl.triggerGivesP}).
 *       Before a requested cycle starts, its trigger is tested again, as Go's gcStart re-tests
 *       {@code gcTrigger.test()} under its start lock: a request of the heap trigger (heapLive at or
 *       past the armed trigger, GOGC's or the memory limit's) or of sysmon's forced GC (GOGC on
 *       and no cycle ended since the request, as Go's {@code t.now - lastgc > forcegcperiod}: a
 *       request made in a cycle's tail is satisfied by that cycle's end) that no longer holds is
 *       dropped, its start waiters released and the allocation gate
 *       cleared; {@code gc()}, {@code runTo} and gcstress name their cycle and always run
 *       ({@code CycleControl.dropRequestIfTriggerGoneLocked}; by the coordinator before it takes a
 *       request, and at once by {@code setGcPercent} and {@code setMemoryLimit}).
 *       After a fatal collector error (bad pointer, checkmark) no cycle runs again, and an
 *       allocation past the goal fails with that error instead of growing a heap nobody collects
 *       (CollectorFailureTest).</li>
 *   <li>Sweep termination, world stopped: finish sweeping, start the pacer's cycle, barrier and
 *       allocate-black on. Under the scheduler (background mode) it only starts a stack-scan
 *       generation: no frame is read in the pause (see "Goroutine stacks" below). ThreadWorld's
 *       registered threads' root slots and the gcstoptheworld modes are still walked here.</li>
 *   <li>Concurrent mark: globals, goroutine stacks (the workers and the coordinator claim them as
 *       root jobs first, Go's markroot), then background workers sized by the pacer (25% of GOMAXPROCS:
 *       dedicated, fractional when not whole, idle ones on idle Ps); allocating mutators assist in
 *       proportion to what they allocate and, finding no work, park in the assist queue until background
 *       credit pays them ({@link dev.gort.gc.AssistQueue}, below). Under
 *       the scheduler the workers are goroutines that {@code schedule()} picks through the GcHook
 *       ({@link dev.gort.gc.GoroutineWorkers}: Go's findRunnableGCWorker and idle workers); over
 *       plain threads they are platform threads, which can be made to run on a P (below; opt-in).</li>
 *   <li>Mark completion (Go's gcMarkDone): when no worker has work, a ragged round asks every
 *       mutator to publish its grey buffers at its own next safepoint, the world running
 *       ({@link dev.gort.gc.World#forEachMutatorAtSafepoint}, Go's forEachP); while a round finds
 *       published work marking goes on. Only a round that found none leads to a stop-the-world,
 *       and that one is mark termination; its flush stays as the last check (work found there
 *       restarts the world, Go's issue 27993: a barrier shaded a white object between a mutator's
 *       flush and the stop). Under the scheduler the round is its forEachP
 *       ({@link dev.gort.sched.Scheduler#forEachP}, Go's): every P exactly once, an idle one on the
 *       caller, one in a syscall taken by the caller, a running one on its own M once its goroutine
 *       yielded; mark workers and assists stop draining when their P owes the round, as Go's
 *       gcDrain checks {@code runSafePointFn}.
 *       Over plain threads that stop's steps (the flush, mark termination, the restart) run on the
 *       last mutator to stop, not on the coordinator it would otherwise wake
 *       ({@link dev.gort.gc.StopHandOff}; Go runs gcMarkDone on the goroutine that found no work),
 *       and the request itself is made by the first running mutator at a safepoint after the
 *       coordinator posted it as wanted, so it is never made while the one mutator is descheduled
 *       (the coordinator requests when none runs, or after {@code -Dgort.gc.markdone.request.us}).</li>
 *   <li>Mark termination (still stopped): checkmark if asked, barrier off, sweepgen += 2 with
 *       every mcache's spans set aside whole for the sweeper (one table swap per mcache, no
 *       flush: {@code GcSupport.startSweepCycleDetached}), heapLive = bytes marked, a
 *       provisional trigger armed at the new goal ({@code Pacer.provisionalGoal}: the commit's
 *       goal arithmetic without cons/mark; until session 10 the trigger was disarmed, and a
 *       coordinator starved before the commit let mutators allocate unchecked past the goal).
 *       Right after the restart: the pacer's end of cycle and the next goal and
 *       trigger, the sweep pacing, the mutators' barrier filters cleared; then gctrace, JFR,
 *       MemStats.</li>
 *   <li>Sweep: lazily at mcentral refills, a background sweeper, and proportional sweep
 *       (Go's gcPaceSweeper): mark termination spreads the pages in use over the allocation up to
 *       the next trigger, and every 16 KiB a mutator allocates it sweeps until the pages swept keep
 *       up. Without it the heap grew while the last cycle's garbage waited for the background
 *       sweeper. GC sweeps do not lower heapLive: it was reset to the marked bytes, so the garbage
 *       they free was never counted. The pages swept toward a cycle's pacing are tagged with it
 *       ({@link dev.gort.gc.SweepCredit}): a batch swept under one pacing and credited after the
 *       next began is refused, not counted for the new cycle. {@code Collector.sweepStats()}
 *       says who swept (background, proportional, finishsweep; the lazy rest by difference).</li>
 * </ol>
 *
 * <h2>The background sweeper</h2>
 * Under the scheduler ({@link dev.gort.gc.SchedWorld}) it is a system goroutine, Go's bgsweep
 * ({@link dev.gort.gc.SweeperGoroutine}); over {@link dev.gort.gc.ThreadWorld} a platform thread
 * ({@code gort-bgsweep}, {@code ThreadSweeper}); {@code -Dgort.gc.sweeper.goroutine=false}
 * brings the thread back under the scheduler (the behaviour before session 10, for A/B runs).
 * <ol>
 *   <li>The goroutine is started once by the first goroutine that gets a P's collector state
 *       (Go's gcenable), as a system goroutine: not counted by {@code goroutines()} nor by the
 *       deadlock check.</li>
 *   <li>It parks in "GC sweep wait". At the end of mark termination, after the restart, the
 *       coordinator readies it if it is parked (Go's gcSweep), else it sees the request before it
 *       parks (a lock-free PARKED/RUNNING handshake: the park's commit and the waker each take
 *       PARKED -> RUNNING by CAS, so exactly one resumes it).</li>
 *   <li>It sweeps one batch ({@code GcSupport.sweepOne}: up to 8 spans of one mcentral, or one
 *       set-aside mcache span) at a time; after each it yields unless a P is idle and nobody asked
 *       for its own (Go's goschedIfBusy). With idle Ps it sweeps a cycle alone; with every P busy
 *       it runs when a P picks it from the global queue and the lazy and proportional sweeps do
 *       most of the work, as in Go.</li>
 *   <li>When {@code sweepOne} finds nothing it parks again; when the collector closes it returns.</li>
 * </ol>
 * Its only safepoints are between batches and the park, and {@code sweepOne} does not poll, so a
 * stop-the-world finds it parked or yielded, never holding a claimed span: unlike the thread, it
 * cannot be a cycle late (the arena's package-info, "A sweeper may be a cycle late", lists what
 * that cost the thread). Rejected: readying it inside the mark termination pause as Go does (a
 * run-queue insert and perhaps an M wake-up that no stopped mutator needs; done right after the
 * restart, where the thread was signalled).
 *
 * <h2>What a pause costs (and how it is measured)</h2>
 * Every pause is reported as a {@link dev.gort.gc.StwPause}: the time to stop (until every mutator
 * reached a safepoint), each step done while stopped, and the restart, with the collector thread's
 * CPU per step ({@code -Dgort.gc.pausetrace=true} prints them). Go's pauses are O(Ps), not O(heap),
 * and so are these: sweep termination's finishsweep finds nothing left (the cycle's coordinator
 * sweeps before it stops the world), marking is never finished inside a pause (mark completion stops
 * the world only when no worker has work, and assists publish the buffers they leave), and workers
 * are only told to stop inside mark termination, not waited for. What remains is the time to stop:
 * a mutator must reach an allocation or a poll (a long loop without either, like a tree walk,
 * must poll, as Go's function prologues do), and on a loaded machine it must get a CPU. Every pause
 * names its last stopper and what it was doing when asked (its own code, an assist, proportional
 * sweep, the allocator with its slow-path step, e.g. "waiting for an mcentral lock"; {@code -Dgort.gc.stopstats=true} adds its run-queue wait), which is how
 * the bounds that follow were found. Session 7 took out of the pause what still grew with
 * something other than the Ps: the mcache flush (136 span classes x every mcache, an mcentral lock
 * per cached span; now one table swap per mcache, the set-aside spans swept by the sweeper as Go's
 * prepareForSweep defers it), finishsweep's lock of every mcentral (now one read once the sweep
 * is known finished), the move of every large span to the unswept list (now the two lists swap
 * roles), the pacer's end-of-cycle arithmetic and the barrier filters (after the restart), and
 * the scan of goroutines sitting in a syscall (now concurrent). It also found that the thread CPU
 * clock the pause breakdown read at every step is a system call of 2-10 us on this machine, so
 * the clock is read twice per pause unless {@code -Dgort.gc.pausetrace.cpu=true} asks per step
 * (docs/performance.md has the tables). An assist yields within 4 KiB of scanning: a preemptible scan
 * queues the rest of its object as a continuation (one 128 KiB oblet of a pointer table took
 * 10-20 ms); the collector's own platform threads (mark workers over threads, the background
 * sweeper) stand aside while a stop is requested, so they do not hold a CPU a stopping mutator
 * waits for; the stop and the restart are wake-ups on the world's condition, not polling
 * intervals. A pause ends when the world releases its mutators (as Go's pauseNS does); a woken
 * thread's wait for a CPU after that is the kernel's. Two things that made the in-pause steps
 * slow were not O(heap) but waits: the restart takes the scheduler's lock, and the last M to stop
 * used to wake the stopper while holding it, so the stopper (woken onto that M's CPU) ran the whole
 * pause and then spun on the lock of the M it had preempted (step "start" 0.4-7 ms; the M now wakes
 * it after unlocking); and mark termination read the full memory statistics (a walk of every
 * mcache and mcentral) to feed the pacer, which needs them only under a memory limit (it reads the
 * pages in use otherwise). {@code -Dgort.gc.pausetrace.cpu=true} prints each step as wall/CPU,
 * which tells a wait from work. {@code -Dgort.gc.pausetrace.sched=true} ({@link dev.gort.gc.SchedTrace})
 * answers who held the CPU meanwhile: it reads every thread's {@code /proc/self/task/<tid>/schedstat}
 * (run ns, run-queue wait ns, slices) before the stop request and after the restart, and prints the
 * threads that ran or waited during each slow pause. Measured with it at load 5-12 (28 Nov, session
 * 4): most of the CPU during slow pauses went to other processes (the process's threads used well
 * under the two CPUs the pause spanned, and both the stopping mutators and the coordinator waited
 * on the run queue); of the process's own run time, JIT compiler threads took 31-47% (compiles of
 * code first reached in the early cycles, the pause path among them), the coordinator 22-33%, the
 * mutators the rest before they stopped; the JVM's own GC ran in no steady-state pause. Two
 * wake-ups of the runtime's own took CPU slices a stopping mutator could wait for, and are gone:
 * the scheduler's stopTheWorld re-preempted every 100 us (the stopper's CPU was 20% of the stop's
 * wall; it now backs off from 100 us to 1.6 ms, 1% measured, since the preempt flags stay set and
 * the last M wakes the stopper anyway), and the syscall retaker ticked every 500 us while the world
 * was stopped (it sleeps now until startTheWorld wakes it, as Go's sysmon does on gcwaiting). The
 * pause bookkeeping allocates no Java object while the world is stopped (PauseTimer's steps are
 * preallocated arrays, startTheWorld keeps its restart list), so no allocation inside a pause can
 * be the one that starts a JVM collection, and PauseTimer is JIT-compiled by the coordinator's warm-up
 * (before the first cycle, or between the first cycles when a cycle was owed sooner).
 * ThreadWorld's stop hand-shake wakes as few threads as it can (session 7): the stopper waits on a
 * condition of its own that only the last mutator to stop signals (when every waiter shared one
 * condition, the first of two stopping mutators woke the stopper for nothing, and on 2 cores that
 * wake-up competed with the second one's way to its safepoint: 1.96 stopper context switches per
 * stop, now 1.00), and the restart sets each parked mutator RUNNING under the lock and unparks it,
 * instead of a lock hand-off chain in which each woken mutator had to get a CPU before the next
 * could go. Rejected by measurement: a stopper that spins before it blocks (with Thread.onSpinWait
 * it tripled the median stop, with Thread.yield the tail grew; with as many running mutators as
 * CPUs it holds a CPU a stopping mutator needs) is left as an opt-in
 * ({@code -Dgort.gc.stopspin.us}, {@code -Dgort.sched.stopspin.us}). A mutator waiting for assist
 * credit used to poll (every 20 us, 200 us while a stop was requested); since session 8 it parks in
 * the assist queue and is woken only by the credit that pays it or the end of the mark phase, so
 * it takes no CPU slice from the threads a stop waits for.
 * What remains of the time to stop on the shared machine is the kernel's run queue: a stopping
 * mutator, or the woken stopper, waiting for a CPU held by other processes (pausetrace.sched shows
 * the process running well under its two CPUs in such pauses). {@code StopLatencyRun} in the
 * benchmarks measures the stop path alone, thousands of stops a run.
 * Who holds the CPUs while a stop waits (session 8): SchedTrace prints each thread's state in
 * the snapshot before the request and after the restart ({@code R>S}: runnable at the request,
 * asleep after), and pausetrace names the collector platform threads that stood aside during a
 * pause and when. In the slow stops of a binary-trees run and of the 1 GiB goroutine run at load
 * 7-10, the process's threads ran a fifth to a third of the CPU time the pauses spanned (other
 * processes had the rest); of the process's own share the JIT's compiler threads (C2 above all)
 * ran the most beside the stopper and the mutators, while the collector's background threads
 * barely ran: the idle mark worker 1.5 ms over 48 slow stops (it stood aside 0.05 ms after the
 * request at the median), the background sweeper never, the scheduler's retaker 2.8 ms over 35.
 * So lowering those threads' OS priority ({@link dev.gort.sys.ThreadPriority}: SCHED_IDLE or a
 * nice value, each thread lowering itself, which needs no privilege; never the Ms that run
 * goroutines, since raising a thread back does) is opt-in,
 * {@code -Dgort.gc.background.priority}, default normal: it bought no pause and cost throughput,
 * because with autogroups a lowered idle worker yields its CPU to other processes too and its
 * marking moved into the mutator's assists. Lowering the JIT's compiler threads slowed the JIT's
 * warm-up instead (process CPU 1.2 x).
 * Raising instead (session 11, opt-in, privileged): {@code -Dgort.gc.stopper.rtprio=N} runs the
 * coordinator at SCHED_FIFO from its stop request to its restart ({@link StopperBoost}), so the
 * woken stopper preempts whatever holds a CPU instead of waiting a slice or a tick, and the
 * mutators of a {@link ThreadWorld} still running 0.1 ms into a stop get the same priority until
 * the restart ({@link MutatorStopBoost}): the two waits for a CPU that made binary-trees' slow
 * stops. Only over plain threads: the scheduler's stop spins on RtLocks that yield, and a real-time
 * thread's yield leaves a lock holder queued on its CPU waiting. Rejected by measurement: waking the
 * stopper on the last mutator's own CPU (affinity narrowed by the waker), which made the woken
 * stopper later, not sooner.
 * The marking
 * fast path reads 64 pointer bits per bitmap load ({@code GcSupport.pointerBits}) and looks a
 * pointer's span up once ({@code findObjectIn}, {@code tryMarkIn}).
 * Mutators are abstracted by {@link dev.gort.gc.World}: {@link dev.gort.gc.ThreadWorld} (registered
 * threads that stop at their allocations) and {@link dev.gort.gc.SchedWorld} (goroutines; per-P state
 * on the P, frames as roots, waits as syscalls).
 *
 * <h2>GOMAXPROCS changes</h2>
 * Under the scheduler a resize (Go's procresize) is a {@code ProcResizeHook}: it waits until no
 * cycle runs and holds the next one off until the world restarts (Go's GOMAXPROCS takes gcsema),
 * so everything sized by GOMAXPROCS at mark start (pacer worker counts, the idle-worker limit, the
 * cycle's P figure) holds for the whole cycle. A dying P publishes its grey buffers and hands its
 * counters to the orphan gcWork; new Ps start the missing worker goroutines on first allocation.
 *
 * <h2>When the scheduler exits</h2>
 * Main returning (or a fatal error, or os.Exit) ends the scheduler at any point of a cycle. Its
 * Ms stop only at a scheduling point, and its P and G memory is freed once they are joined, so the
 * collector must leave both first: {@code Scheduler.exit} marks every M's goroutine preempted (and
 * shutdown marks again every millisecond while it joins the Ms, for a goroutine an M started just
 * after), and before joining the Ms the scheduler calls {@code GcHook.schedulerExiting}. From then on
 * {@code SchedWorld.stopRequested()} stays true (an exit is a stop that never ends: a worker stint,
 * an assist and proportional sweep leave within about 1 KiB of scan work or one object, as for a stop), no worker stint
 * starts, waits in {@code runBlocking} (credit, {@code gc()}, a pending cycle start, a resize
 * waiting for the cycle) end, and the coordinator leaves its cycle at its next check (a breakpoint,
 * the drained wait, the idle wait; a cycle already past marking finishes) while the hook waits for
 * it. So {@code Scheduler.run()} returns only after every M is out of collector code and the
 * coordinator no longer touches the scheduler; the collector is unusable afterwards: a plain
 * thread's {@code gc()} then throws IllegalStateException (a goroutine's returns: it stops at its
 * next safepoint), and {@code requestCycle} accepts nothing.
 *
 * <h2>Colours</h2>
 * White = mark bit clear. Grey = mark bit set and the pointer is in some workbuf (or about to be).
 * Black = mark bit set and scanned. Greying is a CAS on the span's gcmarkBits, so an object is
 * enqueued exactly once per cycle no matter how many workers, assists and barriers race on it.
 *
 * <h2>The marking fast path (what one pointer costs)</h2>
 * <ol>
 *   <li>greyobject asks the heap one question, {@code MarkHeap.markPointer}: the arena reads the
 *       spans-region entry and each span descriptor word once (class and state, start, nelems and
 *       element size, divMul, gcmarkBits), finds the slot by Go's divMul multiply, and reads the mark
 *       bit <em>before</em> checking that the slot is allocated: a marked slot is allocated, so the
 *       common "already marked" answer (the barrier shading a new black object, a shared child)
 *       costs no allocBits load and no atomic. The read is plain (a stale 0 only costs the
 *       atomic; a set bit is never stale within a cycle). Only a clear bit pays the allocated check
 *       and the atomic: a CAS loop on the mark word (VarHandle getAndBitwiseOr is itself a volatile
 *       read plus a weak-CAS loop on JDK 25). With the world stopped and one marker a plain store
 *       instead measured only 5-10 % faster on a tree, yet perf puts ~40 % of the scan loop's
 *       samples on the instruction after it (session 14): a locked instruction waits for the loads
 *       it depends on (the pointer, then its mark word), so it is where that latency shows.
 *       The scan loop offers each pointer's lookup the object's next pointer too
 *       ({@code GcSupport.markPointer(p, q, cache)}): when both objects are clear, allocated and
 *       their mark bits share a word, one CAS sets both, and each object's MARKED_NOW goes to the
 *       caller whose CAS found its bit clear (a depth-first tree's children share a word at
 *       ~4 nodes in 9).
 *       Pointers found by scanning go through a one-span cache in the gcWork
 *       ({@code GcSupport.markPointer(p, cache)}): a tree's nodes share spans, so most lookups skip
 *       the spans-region entry and the descriptor (22-48 % more MB/s on a tree, 23-29 % on the
 *       mixed heap). The cache is cleared whenever a drain or scan call starts, so it never
 *       outlives a mark phase (only the sweep frees spans or swaps mark bits); roots and barrier
 *       shades use the uncached lookup.
 *       A 0 answer (not an allocated object) falls back to the one-question methods,
 *       which name the bad pointer and its referrer.</li>
 *   <li>The answer carries the size class in its top byte; the work-buffer entry keeps it, so
 *       scanobject of a small object needs no span lookup (large objects and oblets do one). An
 *       object of at most 64 words (512 B: every binary-trees node, record and small struct) is
 *       scanned by {@code Marker.scanSmall}: one pointer-bits answer, no word loop, no preemption
 *       check (4 KiB apart, so never inside such an object).</li>
 *   <li>The entry put last waits in a field of the gcWork ({@code GcWork.held}), not in the
 *       native buffer: scanning an object greys its children highest field first, and the drain
 *       takes the last one greyed next, so on a tree one entry per node skips the buffer's store
 *       and load (and nobj's). It counts as local work everywhere wbuf1's does (empty, localCount,
 *       balance, dispose).</li>
 *   <li>scanobject reads 64 pointer bits per bitmap load and queues the pointees highest field
 *       first: the LIFO buffer then scans the first field's object next, and a structure built
 *       depth-first in field order (a tree) is marked in allocation order, ascending through
 *       memory. That, not the instructions, is most of the cost: in binary-trees' profile a third
 *       of the worker's samples are the load of the object being scanned.</li>
 *   <li>No touch-ahead. Go 1.22+ prefetches an object when it leaves the work buffer and scans it
 *       some objects later; Java has no prefetch instruction, and the closest thing, a FIFO of
 *       4-16 pending objects whose first word is loaded on entry, measured 15-35 % slower on a
 *       64 MiB depth-first tree (MarkThroughputRun tree: 524 MB/s without, 442 with 8): the FIFO
 *       breaks the LIFO's ascending order, which the hardware prefetcher was already following.</li>
 *   <li>Over plain threads, Ps without a registered mutator run an idle mark worker at full speed
 *       (Go's idle workers), so a single mutator at GOMAXPROCS=2 leaves the marking to the second
 *       CPU instead of paying it in assists; and {@code ThreadWorld.current()} is a table lookup
 *       by thread id (a ThreadLocal cost ~20 ns per allocation).</li>
 * </ol>
 *
 * <h2>The write barrier (why both pointers)</h2>
 * For {@code *slot = ptr} during marking, shade the old {@code *slot} (Yuasa: moving an object's only
 * reference from the heap into an unscanned frame cannot hide it, since the deletion greys it) and
 * shade {@code ptr} (Dijkstra: moving it from an unscanned frame into a black object cannot hide it).
 * With both, a stack scanned once stays correct: no stack rescan at mark termination, which is what
 * made Go's pauses sub-millisecond (proposal 17503). Frame-slot stores have no barrier; objects
 * allocated while marking are black.
 *
 * <h2>Goroutine stacks: scanned once, concurrently ({@link dev.gort.gc.StackRoots})</h2>
 * Go's markroot job per goroutine (suspendG + scanstack), adapted to a scheduler that cannot stop
 * one running goroutine from outside. Each G descriptor has a scan word: {@code gen << 1} once its
 * frames were scanned in this cycle's generation, {@code gen << 1 | 1} while a scanner holds them
 * (claimed by CAS), anything else: not scanned yet ({@link dev.gort.sched.StackScans}).
 * <ol>
 *   <li>Sweep termination (world stopped) bumps the generation: every G is unscanned, nothing is
 *       read. The pause no longer grows with goroutines or frames (StackScanPauseRun: 100,000
 *       parked goroutines, the pause's "stacks" step 33 ms -> 5 us median).</li>
 *   <li>Mark workers (before they drain) and the coordinator (after the globals) claim G indices
 *       from one counter and scan the Gs that are WAITING, RUNNABLE or in a SYSCALL: claim the
 *       word, re-read the status (a G that runs is released unscanned), read its frames, publish
 *       {@code gen << 1}. A G in a syscall runs code that may not touch its frames, and
 *       exitsyscall, which sets it RUNNING without passing through execute, waits while a
 *       scanner holds its word (Go's casgstatus spinning on the scan bit).</li>
 *   <li>A G starts running only in the scheduler's execute (and where a locked G resumes on its
 *       own M): there, while a generation is active, a G whose word is not this generation's is
 *       scanned on g0 into the P's gcWork before it runs (it is at a safepoint), or waited for if
 *       a scanner holds it. So a claimed G's frames cannot change while they are read, and a
 *       goroutine that runs during the mark phase has a black stack, except one that came back
 *       from a syscall (exitsyscall does not scan, as in Go) or ran since mark start. The Gs
 *       running at sweep termination are not among those: the stop made them yield, so they
 *       pass through execute when the world restarts. Outside a mark phase execute pays one
 *       volatile read (a plain load on x86).</li>
 *   <li>Before stopping the world for mark termination, the coordinator scans the Gs that have
 *       parked since their job found them running; with the world stopped it scans what is left
 *       (Gs running the whole phase, or that entered a syscall after that last pass) and drains
 *       their greys inside that pause ({@code lastStackScan().inMarkTermination()}: usually 0).
 *       Then the generation ends. Until session 7 every G sitting in a syscall (the one waiting in
 *       {@code gc()}, a server's goroutines blocked in calls) was left for this pause, which then
 *       grew with them; StackScanTest holds 24 such Gs to none scanned in the pause.</li>
 * </ol>
 * Why once is enough: the hybrid barrier below. A pointer can only reach a frame by a load from
 * the heap or a global (then the deletion half shades it if that reference is overwritten before
 * it is scanned), by allocation (black), or from another goroutine's frame through a pointer
 * channel. That last move is the one the barrier on heap stores does not see: a goroutine with an
 * unscanned stack (back from a syscall) hands the only reference to a parked receiver whose stack
 * is already scanned and then pops its frame. So a hand-off to or from a parked goroutine's frame
 * shades the value while marking ({@link dev.gort.gc.WriteBarrier#frameToFrame}, Go's
 * sendDirect/recvDirect barrier); ring slots and globals are barriered stores already.
 * StackScanScenarioTest stages each path at AFTER_MARK_START; the two send cases fail checkmark
 * without the shade. sync.Pool entries are Java objects, not roots (nothing to do); PtrPool's
 * entries are global slots, so a put and a get are barriered stores like a channel's ring; a value
 * handed back from {@code Go.syscall} was loaded from the heap or a frame (the first rule).
 *
 * <h2>Collector threads on a P (ThreadWorld, session 9; opt-in: {@code -Dgort.gc.workers.onp=true})</h2>
 * In Go a mark worker and the background sweeper are goroutines: they run on a P, and a goroutine
 * they displace waits in a run queue, at a safepoint, where a stop does not wait for it. Over
 * plain threads the workers were extra OS threads: with two mutators holding both Ps the
 * fractional worker ran beside them on two CPUs, the kernel time-sliced three runnable threads,
 * and a stop waited for a switched-out mutator (146,524 involuntary switches of the two mutators
 * in a 1 GiB pause run; p99 2.3 ms). With {@code -Dgort.gc.workers.onp=true}
 * {@link dev.gort.gc.ThreadWorld} counts Ps (off by default: in the quiet A/B it cost 0.78 x the
 * benchmark's throughput and did not lower the count of slow pauses; docs/performance.md):
 * <ol>
 *   <li>A registered mutator holds a P while RUNNING or STOPPED; one waiting in
 *       {@code runBlocking} (BLOCKED) or LENT does not. A collector thread marks or sweeps only
 *       between {@code acquireP} and {@code releaseP}.</li>
 *   <li>A worker that must run (dedicated, or fractional within its quota) with no idle P raises
 *       a hand-over bit in the safepoint flag word (the fast path stays one volatile read: a stop,
 *       a ragged round and a hand-over share it). The next mutator at a safepoint runs any ragged
 *       round due, parks LENT and grants its P; it counts as stopped for stops and rounds.</li>
 *   <li>The worker gives the P back when its fractional quota is reached (Go's
 *       pollFractionalWorkerExit, 20 % over goal), when a dedicated worker's 10 ms slice is over
 *       and a lender waits, when it finds no work, when its credit flush woke a parked assist
 *       (that thread needs a P now), and at mark end. The P goes to the longest-lent mutator.</li>
 *   <li>Idle-P workers and the background sweeper take only idle Ps (fewer mutators than
 *       GOMAXPROCS, or mutators in runBlocking) and leave them when a mutator is lent or waits.
 *       A mutator back from runBlocking with no idle P never overcommits the Ps: it asks a
 *       P-holding collector thread to yield and waits, still BLOCKED, until that thread's next
 *       check between 64 KiB chunks of marking.</li>
 * </ol>
 * The sweeper over threads thus sweeps only on an idle P; with every P a running mutator's the
 * lazy sweep at refills and the proportional sweep credit do the sweeping, and the coordinator
 * finishes any rest before it stops the world (never inside the pause). Under the scheduler the
 * background sweeper is a goroutine (session 10; "The background sweeper" above). WorkersOnPTest checks the
 * result from outside: sampling the threads' states in /proc, the worker was runnable beside both
 * running mutators in a few percent of its runnable samples (hand-over windows), against 40 %
 * with the switch off (the default, the behaviour before session 9).
 *
 * <h2>The mutator's cost per object (allocation and barrier fast paths)</h2>
 * binary-trees spends over half its time in the mark phase (each cycle re-marks the long-lived tree),
 * so what a mutator pays per object while marking matters as much as the plain path.
 * <ol>
 *   <li><b>Allocation</b> ({@code Collector.alloc}): an inline fast path for small types, every
 *       rare case in {@code allocate}. One mutator lookup, the safepoint's two flag reads
 *       ({@code World.safepointThenCurrent}: a ThreadWorld thread keeps its mutator, no second
 *       lookup), gcstress, a cycle start owed and the phase in one gate read
 *       ({@code Collector.allocGate}, session 20), while marking the assist credit (it must cover
 *       the object: the assist runs before the allocation) and the mutator's state; then
 *       {@code MCache.allocFast} with the span class the Type precomputed and the span table the
 *       mutator holds (no size-class lookup, no load of the table through the mcache; the slot
 *       from the allocCache window, zeroed with one or two stores for 8/16-byte slots; counted by
 *       the span's allocCount, not per object), the pointer bits (none once the span is stamped
 *       with the Type's), and while marking the allocate-black bookkeeping. No sweep credit: it
 *       is paid per span the cache takes, in {@code allocate}. {@code allocate} takes
 *       a window with no free slot left or a refill, an assist, sweep credit due, large or
 *       many-word types, gcstress, a cycle start owed and the arena's debug modes (the slot that
 *       ends a 64-slot window stays on the fast path: allocFast reloads the window out of line).
 *       Why the split: C2 inlines a
 *       callee only while its own compiled code is under InlineSmallCode (2500 bytes on x86);
 *       the old alloc + allocate, once compiled alone (it is hot from many callers), was over it,
 *       so every later compilation of a caller (binary-trees' {@code tree}, after each deopt)
 *       called it out of line ("already compiled into a big method"), two calls per node. The
 *       fast path stays inlined after being compiled alone (PrintInlining; see
 *       docs/performance.md). The old single 352-bytecode method was over C2's FreqInlineSize.</li>
 *   <li><b>Assist credit in bytes</b> (Go's gcAssistBytes): while marking each allocation subtracts
 *       its size from {@code Mutator.assistBytes}; only below zero does it call the assist, which
 *       converts the debt to scan work at the pacer's ratio, at least 64 KiB of it (Go's
 *       gcOverAssistWork), steals that from the background credit or scans it, and banks the
 *       surplus as credit: one steal per few thousand small allocations instead of a CAS on the
 *       shared credit per allocation. Unlike Go the credit one over-assist buys is capped at 64 KiB
 *       of allocation: credit is spent at the ratio it was bought at, and when scan work exceeds
 *       the estimate the ratio is generous enough for 64 KiB of work to buy many times the runway
 *       (the memory-limit test ran 10-25 % over its limit that way).</li>
 *   <li><b>Barrier filter</b>: each mutator remembers, in a 256-entry table direct-mapped by
 *       address, the objects it allocated black in this mark phase; the barrier skips shading a
 *       pointer found there (shading a black object is a no-op, but finding its mark bit costs a
 *       span lookup). Programs mostly link what they just made: in binary-trees nearly every
 *       barriered store while marking stores such a child. The table is emptied after mark
 *       termination, before the next mark phase: an address from an earlier cycle may since have
 *       been freed and reused by a white object. Go has no such filter: its barrier only buffers
 *       both pointers (wbBuf) and pays the lookup when the buffer is flushed. Over threads the
 *       filters live in one table indexed by thread id ({@code BarrierFilter}), and a field store
 *       asks it first: when both the target object and the stored pointer are named there, the
 *       store needs no shade and no mutator lookup (the lookup through the shader, the collector,
 *       the world and its thread table was most of a filtered store's ~9 ns). An entry is a fact
 *       about the object (allocated black in this mark phase) whoever reads it, so threads whose
 *       ids share a slot only share entries; the whole table is emptied after each cycle, so a
 *       thread that left leaves nothing behind. A P's filter under the scheduler is its own
 *       array (a goroutine's carrier thread changes), and its stores take the lookup.</li>
 *   <li>The barrier's slow-store statistic is a striped plain counter, not a LongAdder (a locked
 *       add per store).</li>
 *   <li><b>Stores into objects allocated black</b>: {@code Mem.storePtr} hands the barrier the
 *       object ({@code WriteBarrier.storeField}); if the calling mutator's filter names it (allocated
 *       black in this mark phase), the deletion half is skipped without loading the old value. The
 *       object was born zeroed and every pointer stored into it since went through the insertion
 *       half, so its old value is grey or black already. That rests on one rule the API keeps:
 *       every pointer store into a heap object during marking shades the new value
 *       ({@code storePtr}, {@code casPointer}, the bulk copy's pre-write barrier). A tree built
 *       bottom-up stores a child into a parent allocated a whole subtree earlier, so the skipped
 *       load was the slow path's most sampled instruction (57 of 129 samples at depth 18).</li>
 * </ol>
 *
 * <h2>Assists that find work (Go's balance)</h2>
 * A marker's gcWork keeps two work buffers and publishes only full ones. A depth-first structure
 * never fills one (a tree's traversal holds about one pending subtree per level), so binary-trees'
 * whole grey set stayed inside the one background worker that took the root, and the mutator's
 * assists found nothing to scan: they waited for background credit, 10-18 ms of each 25-30 ms mark
 * phase at depth 18 with 0 KiB scanned, while the mutator's CPU idled (the worker itself never
 * idled). Go's gcDrain keeps work available instead: before each object, if the global list is
 * empty it calls {@code balance}, publishing wbuf2 or half of wbuf1 (Go's handoff gives away the
 * older half, in a tree the larger subtrees, and keeps the newer). gort's {@code Marker.drain}
 * does the same ({@code GcWork.balanceIfGlobalEmpty}: one volatile read when work is published).
 * An assist parked for credit is woken when work is published (the credit flush wakes the
 * queue's head when the global list holds work), keeping the rest of its debt for
 * its next allocation (Go's parked assist retries from the top when woken). The mutator then
 * marks beside the worker while it owes work, so a cycle's marking uses both CPUs and its mark
 * phase is shorter; the marking moves into the mutator's CPU time, which is why its thread CPU
 * does not fall with it. Go wakes nobody for published work: its balance enlists an idle P,
 * which runs an idle worker. gort's scheduler has no wake-up for published work, and without this
 * one the goroutine world left a CPU idle while assists waited (AssistQueue has the figures).
 *
 * <h2>Assists that find no work: the assist queue ({@link dev.gort.gc.AssistQueue})</h2>
 * Go's gcParkAssist / gcFlushBgCredit / gcWakeAllAssists. No one polls:
 * <ol>
 *   <li>An assist that still owes scan work after stealing credit and draining what it could
 *       converts the rest to scan work and parks: a goroutine with {@code Go.park} (wait reason
 *       "GC assist wait"; the park commit, on g0 after it is WAITING, queues it, so no flusher can
 *       ready it before it is parked), a registered thread with {@code LockSupport.park} inside
 *       {@code runBlocking} (it counts as stopped). Queueing takes the queue's spin lock, refuses
 *       if the mark phase is over, links the waiter at the tail and then pays from the credit as
 *       a flush would; paid there, it does not park.</li>
 *   <li>A mark worker, after each drained chunk, flushes its scan work: adds it to the
 *       background credit and, only if the queue's count is non-zero, takes the lock and pays
 *       waiters from the head: one paid in full is dequeued and woken ({@code Go.ready} or
 *       {@code LockSupport.unpark}), one paid in part goes to the back (Go's rule, so a large debt
 *       does not hold up small ones) and the flush stops there. The rest stays as credit. No lost
 *       wake-up: the flush writes the credit and then reads the count, the waiter writes the
 *       count and then reads the credit, both sequentially consistent.</li>
 *   <li>The end of the mark phase wakes every waiter right after mark termination's restart (Go
 *       wakes them with the world stopped; here a thread woken in the pause would only wait in
 *       runBlocking's exit, competing for a CPU with the pause), with its debt dropped; so do an
 *       abandoned cycle, close, a breakpoint (a paused coordinator produces nothing to wait for)
 *       and the scheduler's exit (goroutines then are dropped, not readied).</li>
 *   <li>A stop-the-world never waits for a queued assist (a parked goroutine holds no P; a
 *       waiting thread is BLOCKED) and the restart does not touch it. The scheduler's deadlock
 *       check asks the GcHook whether the collector holds parked goroutines it will ready
 *       ({@code holdsParkedGoroutines}): the coordinator is a platform thread, so every M can be
 *       idle while the only user goroutine waits for the mark's end (in Go a cycle always has an
 *       M).</li>
 * </ol>
 * {@link dev.gort.gc.Collector#assistWaitStats} counts parks and what woke them.
 *
 * <h2>Goroutines as mutators: what the argument needs from the scheduler and from callers</h2>
 * <ul>
 *   <li>A G's frames change only while it runs, and it starts running only where the scheduler
 *       checks its scan word (execute, a locked G's resume, a refused park commit); code in
 *       {@code Go.syscall} must not store into frames (Frame.push refuses there): a G in a syscall
 *       is scanned concurrently, its frames held still by that rule and by exitsyscall waiting
 *       for a scanner that claimed it. While stopped no M holds a P and no G changes
 *       (an M leaving a syscall waits without a P, the G still SYSCALL).</li>
 *   <li>An assist is paid before the allocation it is charged for (Go's mallocgc order): the
 *       assist may wait, the cycle may end meanwhile, and a new object held only by a Java local
 *       across that wait would be black for a finished cycle and white in the next.</li>
 *   <li>Only threads the stop-the-world stops store heap pointers. A goroutine's barriered store
 *       has no safepoint between its flag read and its store, so no cycle start falls between
 *       them; a plain thread (or a goroutine inside {@code Go.syscall}) is never stopped, so a cycle
 *       start (barrier on, stacks scanned) can, and the store skips the deletion barrier: a pointer
 *       a goroutine copied into its scanned frame meanwhile is lost (PlainThreadStoreRaceTest).
 *       {@code Mem.copyPtrs}, whose window is the whole copy, refuses such callers; single stores
 *       are not checked (the fast path stays one flag read).</li>
 *   <li>The exception: the entry points that only clear root slots may be called from any thread
 *       ({@code Global.close}, {@code PtrPool.close}, {@code PtrChan.free},
 *       {@code GlobalRoots.freeSlot}). An unstoppable caller runs them inside
 *       {@code WriteBarrier}'s store gate, which the coordinator waits to find free before each
 *       stop request and takes once the world is stopped, until the barrier flag has flipped
 *       (sweep termination: on; mark termination: through the final flush, checkmark and the flag
 *       off). Its flag read and store fall wholly between
 *       flips, and a shade it makes while marking lands in the orphan gcWork before the flush that
 *       ends the mark. Without it such a thread could read the flag as on, lose its CPU across
 *       the whole mark termination and shade afterwards, marking the object for the next cycle
 *       (kept one cycle too long: seen in the soak; UnstoppableStoreTest). Reading the flag as off
 *       before a cycle start is harmless for these clears: the slot's value cannot be copied into
 *       an already scanned frame after the clear began (Global.close sets its closed flag first,
 *       and a get checks it and loads with no safepoint between; pool and channel slots are
 *       emptied by their own barriered gets). The gate is the first runtime lock such a caller
 *       takes. It is never held across a stop request: a waiter may hold an application lock a
 *       mutator blocks on short of its safepoint, and a stop waiting for that mutator would never
 *       end (branch hidden held it across the stop; StoreGateLockOrderTest). Mutators never take
 *       it.</li>
 *   <li>Goroutine-facing locks record no owner thread ({@code dev.gort.sys.OwnerlessLock}, PtrChan's spin lock):
 *       C2 keeps {@code Thread.currentThread()} across a continuation yield, so a ReentrantLock
 *       inlined into a goroutine's loop is taken in the name of an M the goroutine left.</li>
 * </ul>
 *
 * <h2>Debug modes forced on a whole JVM ({@code -Dgort.gc.force}, TESTING.md G2)</h2>
 * Every Collector's first step is {@code options.withForcedModes()}: the JVM-wide
 * {@link dev.gort.sys.ForcedGcModes} (gccheckmark, gcstoptheworld, gcpoison; a given key replaces
 * the built value) on top of the options the caller built, so a suite whose tests each build their
 * own GcOptions runs under checkmark or the stop-the-world mode without editing a test
 * ({@code ./gort test --gc-mode=checkmark|stw2|poison}). gcpoison is the heap's clobber-free fill,
 * so the Heap applies that key itself. A test whose assertion is about the concurrent mode itself
 * (a breakpoint inside concurrent mark, stacks scanned outside the pause) asks
 * {@code ForcedGcModes.get()} and skips with the reason; it never weakens what it checks in the
 * normal mode. Rejected: a GcOptions default changed by the property (tests that build options by
 * hand would escape it) and a test-only hook (the property is also how a user reruns a failing
 * program under checkmark without rebuilding it).
 *
 * <h2>Alternatives rejected</h2>
 * <ul>
 *   <li>A Java queue (ArrayDeque/ConcurrentLinkedQueue) of grey pointers: allocates per push and its
 *       memory is invisible to the runtime's accounting; native workbufs cost nothing per push.</li>
 *   <li>An untagged Treiber stack for the global lists: buffers are recycled constantly, so a popped
 *       and re-pushed buffer would make a stale CAS succeed (ABA); the push-count tag prevents it.
 *       The ABA test in WorkbufTest fails within milliseconds without the tag.</li>
 *   <li>Dijkstra-only barrier with stack rescan (Go 1.5-1.7): pauses grow with the number of
 *       goroutines.</li>
 *   <li>Scanning every stack in the sweep termination pause (sessions 1-4): one colour for all
 *       frames and no hand-off barrier, but the pause grew with goroutines: 33 ms median at
 *       100,000 parked goroutines of 8 slots. Replaced by the concurrent scan above.</li>
 *   <li>Preempting a running G so a worker can scan it (Go's suspendG): the scheduler has no
 *       asynchronous preemption, and a G that yields goes through execute anyway, which scans it;
 *       what still runs at mark termination is scanned in that pause.</li>
 *   <li>Mark workers as platform threads under the scheduler (the first version): they competed
 *       with the Ms for the CPUs outside GOMAXPROCS, so "25% of GOMAXPROCS" was a request to the
 *       OS, not a share of the Ps; as goroutines they take a P, and schedule() keeps the share.</li>
 *   <li>Mark completion by stop-the-world (the first version): stop, flush every mutator's
 *       buffers, restart if they held work. Mutators hold barrier shades until the flush, so most
 *       cycles paid one to three extra pauses, each with a time to stop; the ragged round costs
 *       each mutator one lock acquisition at a safepoint and stops nobody.</li>
 *   <li>Allocate-black by span range (a span cached while marking remembers the first slot it
 *       allocated black, and the range's free-at-sweep slots are OR-ed into gcmarkBits when it is
 *       uncached) instead of a CAS on the mark word per object: measured first, the per-object
 *       mark bit is about 6 % of the mutator's samples inside the mark phase at depth 18 (about 2 %
 *       of all its samples; the CAS is uncontended), while the ranges would have to be known to
 *       markPointer, checkmark and the marked-bytes count. Not worth it for that.</li>
 *   <li>Polling for assist credit (sessions 1-7: look at the credit every 20 us, 200 us while a
 *       stop was requested): up to 50,000 wake-ups a second per waiting mutator on a 2-core
 *       machine where the stop's threads and the workers producing the credit need those CPUs
 *       (in one 118 ms goroutine stop a polling assist's thread ran 30 ms in 983 slices). A waiting
 *       goroutine also held its M in a syscall, its P handed off only by the retaker.</li>
 *   <li>Workers bound to a P (Go before 1.16): a pool of parked workers that any P can take is
 *       simpler and needs no per-P wake-up; gort uses the pool, as Go does now.</li>
 *   <li>For unstoppable threads' clears (session 10): refusing them as {@code Mem.copyPtrs} does
 *       (closing handles from a main or shutdown thread is the ordinary way to let objects go);
 *       the gate on every store (a mutator lookup on {@code Global.set}'s fast path, several
 *       loads under the scheduler, for a caller's rule); a try-lock in the pause that restarts
 *       the world when a gated store holds the gate; taking the gate before the stop request and
 *       holding it across the stop (branch hidden: a stalled holder then never sits inside a
 *       pause, but a waiter holding an application lock deadlocks the stop; waiting for the gate
 *       to be free before the stop keeps most of that benefit).</li>
 * </ul>
 */
package dev.gort.gc;
