package dev.gort.sched;

/**
 * The scheduler's side of a network poll ({@link NetpollHook}): the hook hands each goroutine its
 * poll readied to {@link #sink}, which makes it RUNNABLE and links it (through schedlink) on a list
 * under a leaf lock; the M that polled then runs the first and queues the rest globally (Go's
 * netpoll returning a gList, then injectglist).
 */
final class NetpollReadyList {
    private final Scheduler s;
    /** The hook's sink, made once (a bound method reference per poll would allocate). */
    final NetpollHook.ReadyList sink = this::netpollReady;
    private final RtLock lock = new RtLock();
    /** Readied Gs not yet taken (lock): refs of the first and last, 0 if none. */
    private long head;
    private long tail;

    NetpollReadyList(Scheduler s) {
        this.s = s;
    }

    /**
     * Polls {@code np} (timeout in nanoseconds: 0 does not block, negative blocks until readied or
     * woken) and returns one readied G for the caller to run, the others queued globally; null if
     * none.
     */
    G pollNetwork(NetpollHook np, long timeout) {
        np.poll(timeout, sink);
        long first = take();
        if (first == 0) {
            return null;
        }
        G g = s.gtable.get(first);
        long rest = GDescriptor.schedlink(g.desc);
        GDescriptor.setSchedlink(g.desc, 0);
        if (rest != 0) {
            s.injectglist(rest);
        }
        return g;
    }

    /**
     * sysmon: polls without blocking and queues what is ready; returns how many goroutines its poll
     * made runnable. That is the hook's count, not what {@link #take} finds: the list is shared, so
     * an M whose own poll found nothing may take (and run) what this poll readied a moment before,
     * and this take may find what an M's poll readied.
     */
    int injectNetpoll(NetpollHook np) {
        int readied = np.poll(0, sink);
        long first = take();
        if (first != 0) {
            s.injectglist(first);       // Go's sysmon: injectglist(&list)
        }
        return readied;
    }

    /** Takes the list of goroutines the pollers readied (linked through schedlink); 0 if none. */
    private long take() {
        lock.lock();
        long first = head;
        head = 0;
        tail = 0;
        lock.unlock();
        return first;
    }

    private void netpollReady(G g) {
        if (!GDescriptor.casStatus(g.desc, GStatus.WAITING, GStatus.RUNNABLE)) {
            throw new IllegalStateException("netpoll returned goroutine " + g.goid() + " in status " + GStatus.name(g.status())
                    + "; only parked (waiting) goroutines can be made ready");
        }
        lock.lock();
        GDescriptor.setSchedlink(g.desc, 0);
        if (tail == 0) {
            head = g.ref;
        } else {
            GDescriptor.setSchedlink(s.gtable.get(tail).desc, g.ref);
        }
        tail = g.ref;
        lock.unlock();
    }
}
