package dev.gort.net;

import dev.gort.sched.G;
import dev.gort.sched.Go;
import dev.gort.sched.NetpollHook;
import dev.gort.sched.Scheduler;
import dev.gort.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The network poller (Go's netpoll.go): one kernel event queue per scheduler, epoll with an eventfd
 * on Linux ({@link EpollBackend}) or kqueue with an EVFILT_USER event on macOS
 * ({@link KqueueBackend}, never run), chosen at run time by {@link PollerBackend#open()}; installed
 * as that scheduler's {@link NetpollHook} the first time a goroutine of it touches the network.
 * Descriptors are registered once, edge-triggered, for reading and writing; each event carries the
 * token {@code seq << 32 | fd}, and an event whose seq no longer matches the fd's current
 * registration is dropped (the fd was closed and its number reused meanwhile).
 *
 * <p>Who polls: findrunnable without blocking, an idle M blocking until its next timer, sysmon
 * when nobody polled for 10 ms (all through the hook), for goroutines and for threads waiting on
 * this scheduler's descriptors (a goroutine inside Gort.syscall); the platform-thread poller's
 * helper thread for plain threads' descriptors. {@link #wakeup()} cuts a blocking wait short
 * (an eventfd write, or NOTE_TRIGGER on kqueue); it is skipped while one is already
 * pending (Go's netpollWakeSig).
 *
 * <p>The poller for platform threads outside any scheduler is {@link #forThreads()}.
 */
public final class NetPoller implements NetpollHook {
    private static final int EINTR = Errno.value("EINTR");
    private static final int MAX_EVENTS = 128;
    private static final VarHandle TABLE_ELEMENT = MethodHandles.arrayElementVarHandle(PollDesc[].class);
    private static final Map<Scheduler, NetPoller> BY_SCHEDULER = new WeakHashMap<>();
    private static volatile NetPoller threads;

    private final PollerBackend backend;
    private final WeakReference<Scheduler> owner;
    private final AtomicBoolean wakeSig = new AtomicBoolean();
    private final AtomicInteger goroutineWaiters = new AtomicInteger();
    private final AtomicInteger threadWaiters = new AtomicInteger();
    private final AtomicInteger seqs = new AtomicInteger();
    /** The wait's event array, per polling thread (the scheduler's Ms on g0, the helper, sysmon). */
    private final dev.gort.sys.CarrierLocal<MemorySegment> events;
    private final Object tableLock = new Object();
    /** fd -> its current registration; grown under tableLock, read lock-free by pollers. */
    private volatile PollDesc[] table = new PollDesc[1024];
    private volatile Thread helper;
    private final AtomicInteger polls = new AtomicInteger();
    /** Pollers blocked in the kernel wait right now (the scheduler's idle M, the helper thread). */
    private final AtomicInteger blockedPollers = new AtomicInteger();
    private volatile long lastPollEnd;

    private NetPoller(Scheduler owner) {
        this.owner = owner == null ? null : new WeakReference<>(owner);
        PollerBackend b = PollerBackend.open();
        this.backend = b;
        long bytes = b.bufferBytes(MAX_EVENTS);
        this.events = new dev.gort.sys.CarrierLocal<>(() -> Arena.ofAuto().allocate(bytes, 8));
    }

    // ------------------------------------------------------------------ lifetime

    /** Set in {@link #users} once {@link #close} began: no kernel call starts after it. */
    private static final long CLOSED = 1L << 62;
    /** Kernel calls on the backend in flight, plus the CLOSED bit. */
    private final java.util.concurrent.atomic.AtomicLong users = new java.util.concurrent.atomic.AtomicLong();

    /** Enters a kernel call on the backend; false once the poller is closed (its fds may be reused numbers). */
    private boolean enter() {
        long u = users.incrementAndGet();
        if ((u & CLOSED) != 0) {
            users.decrementAndGet();
            return false;
        }
        return true;
    }

    private void leave() {
        users.decrementAndGet();
    }

    /**
     * Releases the kernel queue: called by the scheduler's shutdown once every M stopped (the
     * {@link NetpollHook#close()} contract). First closes every connection and listener still
     * registered (a scheduler's poller; Go's process exit closes every descriptor), then waits for
     * kernel calls in flight (sysmon's poll, a platform thread's wake-up), then closes the backend; afterwards register fails, and
     * deregister, wakeup and poll do nothing, so a Conn closed after the runtime ended never
     * touches a descriptor number the kernel may have reused. No cleaner thread is involved.
     * The platform-thread poller ({@link #forThreads()}) lives as long as the JVM.
     */
    @Override
    public void close() {
        if (owner != null && !isClosed()) {
            closeRegistered();
        }
        long u;
        do {
            u = users.get();
            if ((u & CLOSED) != 0) {
                return;
            }
        } while (!users.compareAndSet(u, u | CLOSED));
        while (users.get() != CLOSED) {
            backend.wakeup(); // a blocked helper poll returns; other calls in flight are short
            LockSupport.parkNanos(100_000L);
        }
        Scheduler s = owner == null ? null : owner.get();
        if (s != null) {
            synchronized (BY_SCHEDULER) {
                BY_SCHEDULER.remove(s, this);
            }
        }
        backend.close(); // a helper thread, woken above, sees isClosed() and ends
    }

    /**
     * Closes every descriptor still registered (connections and listeners the program left open),
     * before the kernel queue goes: see {@link PollDesc#closeAtShutdown}.
     */
    private void closeRegistered() {
        PollDesc[] t = table;
        for (int fd = 0; fd < t.length; fd++) {
            PollDesc pd = (PollDesc) TABLE_ELEMENT.getAcquire(t, fd);
            if (pd != null) {
                pd.closeAtShutdown();
            }
        }
    }

    /** Descriptors registered now (listeners and connections not closed yet). */
    public int registered() {
        int n = 0;
        PollDesc[] t = table;
        for (int fd = 0; fd < t.length; fd++) {
            if (TABLE_ELEMENT.getAcquire(t, fd) != null) {
                n++;
            }
        }
        return n;
    }

    /** True once {@link #close} ran. */
    public boolean isClosed() {
        return (users.get() & CLOSED) != 0;
    }

    /**
     * The poller of the calling goroutine's scheduler (created and installed as its netpoll hook on
     * first use), or the shared {@link #forThreads()} poller when the caller is not a goroutine.
     */
    public static NetPoller current() {
        if (!Go.onGoroutine()) {
            return forThreads();
        }
        return forScheduler(Go.scheduler());
    }

    /**
     * The poller of {@code s}, created and installed as its netpoll hook if it has none yet (an
     * embedder or a test may install it before any goroutine touches the network). sysmon finds
     * it through {@link #installed} and reads {@link #lastPollNanos()}.
     */
    public static NetPoller forScheduler(Scheduler s) {
        synchronized (BY_SCHEDULER) {
            NetPoller p = BY_SCHEDULER.get(s);
            if (p == null) {
                p = new NetPoller(s);
                BY_SCHEDULER.put(s, p);
                s.setNetpollHook(p);
            }
            return p;
        }
    }

    /** The poller installed for {@code s}, or null if none of its goroutines touched the network yet. */
    public static NetPoller installed(Scheduler s) {
        synchronized (BY_SCHEDULER) {
            return BY_SCHEDULER.get(s);
        }
    }

    /** The poller for platform threads outside any scheduler; its helper thread polls for them. */
    public static NetPoller forThreads() {
        NetPoller p = threads;
        if (p == null) {
            synchronized (NetPoller.class) {
                p = threads;
                if (p == null) {
                    p = new NetPoller(null);
                    threads = p;
                }
            }
        }
        return p;
    }

    // ------------------------------------------------------------------ registration

    /** Registers {@code fd} (already O_NONBLOCK) and returns its descriptor. */
    PollDesc register(int fd, String name, DescNatives natives) {
        PollDesc pd = new PollDesc(this, fd, seqs.incrementAndGet() & 0x7fffffff, name, natives);
        synchronized (tableLock) {
            PollDesc[] t = table;
            if (fd >= t.length) {
                PollDesc[] bigger = new PollDesc[Math.max(fd + 1, t.length * 2)];
                System.arraycopy(t, 0, bigger, 0, t.length);
                table = t = bigger;
            }
            TABLE_ELEMENT.setRelease(t, fd, pd);
        }
        // The descriptor's own event struct and capture: register runs on goroutines (see DescNatives).
        if (!enter()) {
            clear(pd);
            throw new ClosedException("register " + name + ": the network poller is closed (its runtime shut down)", 0, null);
        }
        int r;
        try {
            r = backend.register(fd, (long) pd.seq << 32 | fd, natives);
        } finally {
            leave();
        }
        if (r < 0) {
            clear(pd);
            throw NetException.of(backend.name().equals("epoll") ? "epoll_ctl(ADD)" : "kevent(EV_ADD)", name, -r);
        }
        return pd;
    }

    /** Removes {@code pd}'s registration (before its fd is closed). */
    void deregister(PollDesc pd) {
        if (enter()) {
            try {
                backend.deregister(pd.fd, pd.natives);
            } finally {
                leave();
            }
        }
        clear(pd);
    }

    private void clear(PollDesc pd) {
        synchronized (tableLock) {
            PollDesc[] t = table;
            if (pd.fd < t.length && t[pd.fd] == pd) {
                TABLE_ELEMENT.setRelease(t, pd.fd, (PollDesc) null);
            }
        }
    }

    void checkOwner(PollDesc pd) {
        Scheduler mine = owner == null ? null : owner.get();
        if (mine != Go.scheduler()) {
            throw new IllegalStateException(pd.name + ": this connection belongs to "
                    + (mine == null ? "the platform-thread poller" : "another scheduler")
                    + "; a goroutine may only block on connections made under its own scheduler");
        }
    }

    // ------------------------------------------------------------------ NetpollHook

    void goroutineParking() {
        goroutineWaiters.incrementAndGet();
    }

    void goroutineWoke() {
        goroutineWaiters.decrementAndGet();
    }

    /** Goroutines parked on I/O right now (the scheduler polls only while this or {@link #threadWaiters()} is non-zero). */
    public int waiters() {
        return goroutineWaiters.get();
    }

    /** Threads (a goroutine inside Gort.syscall, a plain thread) waiting on I/O of this scheduler's poller right now. */
    public int threadWaiters() {
        return threadWaiters.get();
    }

    @Override
    public boolean hasWaiters() {
        return goroutineWaiters.get() > 0 || threadWaiters.get() > 0;
    }

    /**
     * A thread is about to wait on a descriptor of this poller (before its commit). On the
     * platform-thread poller: its helper thread polls for it. On a scheduler's poller the
     * scheduler's pollers do: the waiter counts in {@link #hasWaiters()} (so the idle M blocks in
     * the kernel wait and sysmon injects), and the M sleeping for timers only is woken to poll.
     * A helper there would block in the same kernel wait as the idle M and drain the wake-ups
     * meant for it (a timer reset earlier from another thread then fired at the M's old deadline),
     * and it polled on for the rest of the run after one wait inside Gort.syscall.
     */
    void threadParking() {
        Scheduler s = owner == null ? null : owner.get();
        if (owner == null) {
            ensureHelper();
            return;
        }
        threadWaiters.incrementAndGet();
        if (s != null) {
            s.netpollWaiterAdded();
        }
    }

    /** The thread's wait of {@link #threadParking} ended. */
    void threadWoke() {
        if (owner != null) {
            threadWaiters.decrementAndGet();
        }
    }

    /**
     * Go's netpoll(delay): {@code timeoutNanos} 0 = just look, &lt; 0 = block until an event or
     * {@link #wakeup()}, &gt; 0 = block at most that long (epoll rounds up to a millisecond).
     * Goroutines go into {@code ready}; platform threads are unparked. Returns how many waiters it woke.
     */
    @Override
    public int poll(long timeoutNanos, ReadyList ready) {
        if (!enter()) {
            return 0; // closed: the scheduler has shut down
        }
        try {
            return pollOpen(timeoutNanos, ready);
        } finally {
            leave();
        }
    }

    private int pollOpen(long timeoutNanos, ReadyList ready) {
        polls.incrementAndGet();
        long buf = events.get().address();
        int n;
        if (timeoutNanos == 0) {
            n = backend.await(buf, MAX_EVENTS, 0);
        } else {
            blockedPollers.incrementAndGet();
            try {
                n = backend.await(buf, MAX_EVENTS, timeoutNanos);
            } finally {
                blockedPollers.decrementAndGet();
            }
        }
        long end = System.nanoTime();
        lastPollEnd = end == 0 ? 1 : end;
        if (n < 0) {
            if (-n == EINTR) {
                return 0;
            }
            throw new NetException("netpoll: " + backend + " wait failed: " + Errno.name(-n), -n, null);
        }
        int woken = 0;
        PollDesc[] t = table;
        for (int i = 0; i < n; i++) {
            long data = backend.token(buf, i);
            if (data == PollerBackend.WAKE_TOKEN) {
                if (timeoutNanos != 0) {
                    drainWakeup(); // only a blocking poll drains: the wake-up was meant for it (Go's rule)
                }
                continue;
            }
            int fd = (int) data;
            int seq = (int) (data >>> 32);
            if (fd >= t.length) {
                t = table;
            }
            PollDesc pd = fd < t.length ? (PollDesc) TABLE_ELEMENT.getAcquire(t, fd) : null;
            if (pd == null || pd.seq != seq) {
                continue; // stale: that registration was closed
            }
            int readiness = backend.readiness(buf, i);
            if ((readiness & PollerBackend.READ) != 0) {
                woken += deliver(pd.unblock(PollDesc.READ, true), ready);
            }
            if ((readiness & PollerBackend.WRITE) != 0) {
                woken += deliver(pd.unblock(PollDesc.WRITE, true), ready);
            }
        }
        return woken;
    }

    private static int deliver(Object waiter, ReadyList ready) {
        if (waiter == null) {
            return 0;
        }
        if (waiter instanceof Thread th) {
            LockSupport.unpark(th);
            return 0;           // not a goroutine: the hook's count is of goroutines made runnable
        } else if (ready != null) {
            ready.add((G) waiter);
        } else {
            Go.ready((G) waiter);
        }
        return 1;
    }

    private void drainWakeup() {
        int r = backend.drainWakeup();
        if (r < 0) {
            throw new NetException("netpoll: " + backend + " drain wake-up failed: " + Errno.name(-r), -r, null);
        }
        wakeSig.set(false);
    }

    /** Go's netpollBreak: makes a blocked poll return soon. Any thread. */
    @Override
    public void wakeup() {
        if (!wakeSig.compareAndSet(false, true)) {
            return; // one is pending already
        }
        if (!enter()) {
            return;
        }
        int r;
        try {
            r = backend.wakeup();
        } finally {
            leave();
        }
        if (r < 0) {
            wakeSig.set(false);
            throw new NetException("netpoll: " + backend + " wake-up failed: " + Errno.name(-r), -r, null);
        }
    }

    /**
     * For sysmon (Go's sched.lastpoll): System.nanoTime() when the last poll returned; 0 while a
     * poller is blocked in the kernel wait (it will see readiness itself) or if nobody polled yet.
     * sysmon polls, through {@code Scheduler.injectNetpoll()}, when this is non-zero and older
     * than 10 ms.
     */
    public long lastPollNanos() {
        return blockedPollers.get() > 0 ? 0 : lastPollEnd;
    }

    /** The helper thread if one was started (only the platform-thread poller starts one); tests. */
    Thread helperThread() {
        return helper;
    }

    /** "epoll" or "kqueue": the kernel queue this poller runs on. */
    public String backendName() {
        return backend.name();
    }

    /** How many polls ran (for tests and schedtrace-like reports). */
    public int polls() {
        return polls.get();
    }

    /**
     * Starts the helper thread that polls for platform-thread waiters of the platform-thread poller
     * ({@link #forThreads()}; once). It blocks in the kernel wait.
     */
    void ensureHelper() {
        if (helper != null) {
            return;
        }
        synchronized (this) {
            if (helper != null) {
                return;
            }
            helper = Thread.ofPlatform().daemon().name("gort-netpoll-helper").start(() -> {
                while (!isClosed()) {
                    poll(-1, null);
                }
            });
        }
    }
}
