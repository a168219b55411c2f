/**
 * gort's netpoller: goroutine-blocking TCP on non-blocking sockets and epoll (Linux) or kqueue
 * (macOS, never run), Go's design (runtime/netpoll.go, netpoll_epoll.go, netpoll_kqueue.go,
 * internal/poll/fd_unix.go) on the FFM bindings of {@code dev.gort.sys.LibCNet}.
 *
 * <h2>Structures</h2>
 * <ul>
 * <li>{@code PollerBackend}: the kernel queue and its wake-up, chosen at run time by OS:
 *     {@code EpollBackend} (epoll + eventfd, Linux) or {@code KqueueBackend} (kqueue + an
 *     EVFILT_USER event, macOS; written from the headers, NEVER RUN). Everything above it is
 *     shared. Its contract is one test class run against every backend the machine has.</li>
 * <li>{@link dev.gort.net.NetPoller}: one backend per scheduler, installed as
 *     that scheduler's {@code NetpollHook} the first time one of its goroutines touches the
 *     network (a separate one, {@code forThreads()}, serves plain platform threads and has a helper
 *     thread polling for them). A table fd -> pollDesc; each registration's epoll data word is
 *     {@code seq << 32 | fd}, so events of a closed registration whose fd number was reused are
 *     recognised and dropped (Go tags its pollDesc pointer with fdseq for the same reason).</li>
 * <li>{@code PollDesc} (Go's pollDesc): the fd, a read and a write waiter slot
 *     (null / READY / WAIT / the parked G), the read and write deadlines and their timers, a
 *     reference count with a CLOSING bit, and two {@code IoLock}s (the halves of Go's fdMutex)
 *     that queue concurrent readers, and concurrent writers, in arrival order: each call runs
 *     whole, waiting callers park ("semacquire"), and close wakes them with ClosedException.</li>
 * <li>{@link dev.gort.net.Listener}, {@link dev.gort.net.Conn}: the user API: listen, accept,
 *     dial, read, write, closeWrite, close, deadlines. Errors are unchecked
 *     {@link dev.gort.net.NetException}s with one subclass per case a caller handles.</li>
 * </ul>
 *
 * <h2>The main path: a read</h2>
 * <ol>
 * <li>{@code Conn.read} takes a reference (fails with ClosedException once close began) and
 *     checks the deadline; then calls read(2) on the O_NONBLOCK socket straight into the Java
 *     array (a critical downcall with heap access: no copy, no thread-state transition), errno
 *     captured into the descriptor's own buffer ({@code DescNatives}: no ThreadLocal on a
 *     goroutine path, see LibCNet's class comment).</li>
 * <li>Data or end of stream: return. EAGAIN: {@code PollDesc.await(READ)}: consume a pending
 *     READY if there is one and retry at once; else publish WAIT, re-check close/deadline, and
 *     {@code Go.park} with wait reason "IO wait". The park's commit runs on the scheduler after the
 *     goroutine is off its M and moves WAIT -> G; if readiness came first the CAS fails and the
 *     goroutine just continues. The M meanwhile runs other goroutines.</li>
 * <li>The scheduler polls: findrunnable calls {@code poll(0)} when goroutines wait on I/O; an M
 *     with nothing to do blocks in {@code poll(until next timer)} (only one at a time); sysmon calls
 *     {@code Scheduler.injectNetpoll()} when nobody polled for 10 ms. {@code wakeup()} writes the
 *     eventfd to cut a blocking poll short when a timer or work arrives.</li>
 * <li>epoll_wait reports the fd (edge-triggered: once per new readiness); the poller swaps the
 *     slot to READY and hands the G it found to the scheduler's ready list; the goroutine resumes in
 *     {@code await}, returns, and read(2) is retried.</li>
 * </ol>
 * Writes are the same with the write slot; accept is a read on the listener; a non-blocking
 * connect waits for writability and then reads SO_ERROR.
 *
 * <h2>Close and deadlines</h2>
 * {@code close()} sets CLOSING, bumps the deadline sequences (cancelling their timers), and
 * unblocks both slots without readiness: a parked goroutine wakes, sees CLOSING and throws
 * ClosedException. The fd is deregistered and closed by whoever drops the last reference, so no
 * read(2) can ever run on a descriptor number the kernel already reused. A deadline arms a
 * runtime timer on the scheduler's timer heap ({@code Time.runtimeTimer}: the M running the heap
 * calls it directly, no goroutine per firing, as Go's netpoll deadlines); when it fires it marks
 * the direction expired and unblocks it the same way; setting a new deadline bumps a sequence so
 * a stale timer does nothing.
 *
 * <h2>Lifetime of a poller</h2>
 * A scheduler's poller is closed by the scheduler's shutdown ({@code NetpollHook.close}) once every
 * M stopped: it waits for kernel calls in flight, closes epoll/eventfd (or the kqueue), and from
 * then on register fails and deregister/wakeup/poll do nothing, so a Conn closed after its runtime
 * ended never touches a reused descriptor number. No cleaner thread exists. The platform-thread
 * poller lives as long as the JVM.
 *
 * <h2>Alternatives rejected</h2>
 * <ul>
 * <li>Level-triggered epoll with EPOLLONESHOT re-arming per wait (the JDK's NIO selector style):
 *     one epoll_ctl per blocking operation; Go registers once, edge-triggered, and so does gort.</li>
 * <li>A dedicated poller thread feeding goroutines (the JDK's virtual-thread poller): an extra
 *     hand-off per readiness and a thread that competes for the 2 CPUs; Go lets idle Ms poll, and
 *     so does gort (the helper thread exists only for non-goroutine callers).</li>
 * <li>Throwing NativeException for EAGAIN: the poller meets EAGAIN constantly; LibCNet returns
 *     negated errno for the routine cases and the exception is built only for real failures.</li>
 * <li>Checked IOExceptions: goroutine bodies are Runnables; Go returns errors, gort throws
 *     unchecked exceptions with Go's texts ("use of closed network connection", "i/o timeout").</li>
 * </ul>
 *
 * <p>macOS: {@code KqueueBackend} registers each fd with EVFILT_READ and EVFILT_WRITE, both
 * EV_ADD|EV_CLEAR (the edge-triggered equivalent of EPOLLET), tokens in udata; the wake-up is an
 * EVFILT_USER event left triggered until the blocking poll that sees it disables it (level, like
 * the eventfd: a non-blocking poll must not steal the blocked poller's wake-up); the timeout is a
 * timespec until the next timer. It has never run: only its encoding (against the macOS
 * struct kevent layout) and its selection are tested on Linux.
 */
package dev.gort.net;
