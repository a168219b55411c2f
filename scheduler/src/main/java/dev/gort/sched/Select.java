package dev.gort.sched;

/**
 * Go's {@code select} over any mix of send and receive cases (Go's selectgo). Build the cases once,
 * then call {@link #select()} (blocks) or {@link #selectOrDefault()} (Go's {@code default}: returns
 * -1 if no case is ready). Among ready cases one is chosen uniformly at random. A {@code null}
 * channel is a nil channel: its case is never ready. A Select object may be reused with
 * {@link #clear()}; it is not thread-safe (one goroutine uses it).
 *
 * <pre>
 * Select s = new Select().recv(in).send(out, v);
 * switch (s.select()) {
 *     case 0 -> use(s.value(), s.ok());
 *     case 1 -> sent();
 * }
 * </pre>
 *
 * <p>Steps (as in Go): a random poll order and a lock order by channel id; lock every channel;
 * pass 1 takes the first ready case in poll order; otherwise (blocking) pass 2 queues a sudog on
 * every channel and parks, the channels unlocked only after the goroutine is parked; the first peer
 * to win the goroutine's selectDone CAS completes its case and readies it; pass 3 relocks and
 * removes the other sudogs.
 */
public final class Select {
    static final ParkCommit UNLOCK_ALL = (g, arg) -> {
        ((Select) arg).unlockAll();
        return true;
    };

    private Chan<?>[] chans = new Chan<?>[4];
    private Object[] values = new Object[4];
    private boolean[] isSend = new boolean[4];
    private int[] pollorder = new int[4];
    private int[] lockorder = new int[4];
    private int n;
    private int norder;
    private Object recvValue;
    private boolean recvOk;
    // Cases on SelectableChans (null until one is added; ext[i] != null for such a case, chans[i] is null).
    private SelectableChan[] ext;
    private long[] extSend;
    private SelectWaiter[] extWaiters;
    private int nExt;
    private long recvPointer;

    /** Adds a receive case (index = number of cases before it). */
    public Select recv(Chan<?> c) {
        return add(c, null, false);
    }

    /** Adds a send case of {@code v}. */
    public <T> Select send(Chan<T> c, T v) {
        return add(c, v, true);
    }

    private Select add(Chan<?> c, Object v, boolean send) {
        if (n == chans.length) {
            int m = n * 2;
            chans = java.util.Arrays.copyOf(chans, m);
            values = java.util.Arrays.copyOf(values, m);
            isSend = java.util.Arrays.copyOf(isSend, m);
            pollorder = new int[m];
            lockorder = new int[m];
            if (ext != null) {
                ext = java.util.Arrays.copyOf(ext, m);
                extSend = java.util.Arrays.copyOf(extSend, m);
                extWaiters = new SelectWaiter[m];
            }
        }
        chans[n] = c;
        values[n] = v;
        isSend[n] = send;
        n++;
        return this;
    }

    /**
     * Adds a receive case on a {@link SelectableChan} (a PtrChan; {@code null} is a nil channel);
     * the pointer received is {@link #pointer()}, Go's ok is {@link #ok()}.
     */
    public Select recvPtr(SelectableChan c) {
        return addExt(c, 0, false);
    }

    /**
     * Adds a send case of managed pointer {@code p} on a {@link SelectableChan} (a PtrChan). From
     * the start of {@link #select()} until the case is taken the pointer sits in a frame slot of the
     * selecting goroutine (a root); before that call, keeping it alive is the caller's job.
     */
    public Select sendPtr(SelectableChan c, long p) {
        return addExt(c, p, true);
    }

    private Select addExt(SelectableChan c, long p, boolean send) {
        add(null, null, send);
        if (ext == null || ext.length < chans.length) {
            int m = chans.length;
            ext = ext == null ? new SelectableChan[m] : java.util.Arrays.copyOf(ext, m);
            extSend = extSend == null ? new long[m] : java.util.Arrays.copyOf(extSend, m);
            extWaiters = new SelectWaiter[m];
        }
        ext[n - 1] = c;
        extSend[n - 1] = p;
        nExt++;
        return this;
    }

    /**
     * The pointer received by the chosen {@link SelectableChan} receive case (0 if it was closed).
     * A pointer in a Java local: store it in a frame slot, object or global before the next
     * safepoint.
     */
    public long pointer() {
        return recvPointer;
    }

    /** Replaces the value of send case {@code i} (reuse without rebuilding). */
    public Select setSendValue(int i, Object v) {
        if (i < 0 || i >= n || !isSend[i]) {
            throw new IllegalArgumentException("case " + i + " is not a send case (cases: " + n + ")");
        }
        values[i] = v;
        return this;
    }

    /** Removes all cases. */
    public Select clear() {
        java.util.Arrays.fill(chans, 0, n, null);
        java.util.Arrays.fill(values, 0, n, null);
        if (ext != null) {
            java.util.Arrays.fill(ext, 0, n, null);
            java.util.Arrays.fill(extSend, 0, n, 0);
        }
        nExt = 0;
        recvPointer = 0;
        n = 0;
        recvValue = null;
        return this;
    }

    public int cases() {
        return n;
    }

    /** The value received by the chosen receive case (null if closed). */
    public Object value() {
        return recvValue;
    }

    /** Go's ok of the chosen receive case: false if the channel was closed. */
    public boolean ok() {
        return recvOk;
    }

    /** Blocks until a case can proceed, runs it, returns its index. */
    public int select() {
        return selectgo(true);
    }

    /** Runs a ready case and returns its index, or returns -1 (the default case) if none is ready. */
    public int selectOrDefault() {
        return selectgo(false);
    }

    private int selectgo(boolean block) {
        if (nExt > 0) {
            return selectgoMixed(block);
        }
        M mp = Scheduler.currentM();
        G gp = mp.curg;
        mp = Go.safepoint(mp, gp); // may resume on another M
        recvValue = null;
        recvOk = false;
        // Random poll order over the non-nil cases (Go's inside-out shuffle).
        norder = 0;
        for (int i = 0; i < n; i++) {
            if (chans[i] == null) {
                continue;
            }
            int j = mp.fastrandn(norder + 1);
            pollorder[norder] = pollorder[j];
            pollorder[j] = i;
            norder++;
        }
        if (norder == 0) {
            if (!block) {
                return -1;
            }
            mp.sched.gopark(mp, gp, null, null, n == 0 ? WaitReason.SELECT_NO_CASES : WaitReason.SELECT);
            throw new IllegalStateException("unreachable: a select with no ready case was woken");
        }
        // Lock order: by channel id (insertion sort; selects are small).
        for (int k = 0; k < norder; k++) {
            int c = pollorder[k];
            long id = chans[c].id;
            int j = k;
            while (j > 0 && chans[lockorder[j - 1]].id > id) {
                lockorder[j] = lockorder[j - 1];
                j--;
            }
            lockorder[j] = c;
        }
        lockAll();

        // Pass 1: a case that can proceed now.
        for (int k = 0; k < norder; k++) {
            int i = pollorder[k];
            if (tryPlainCaseNow(mp, i, false)) {
                return i;
            }
        }
        if (!block) {
            unlockAll();
            return -1;
        }

        // Pass 2: wait on every channel.
        gp.param = null;
        gp.selectDone = 0;
        Sudog list = null;
        Sudog tail = null;
        for (int k = 0; k < norder; k++) {
            int i = lockorder[k];
            Chan<?> c = chans[i];
            Sudog sg = caseSudog(gp, c, i, isSend[i] ? values[i] : null);
            if (tail == null) {
                list = sg;
            } else {
                tail.waitlink = sg;
            }
            tail = sg;
            if (isSend[i]) {
                c.sendq.enqueue(sg);
            } else {
                c.recvq.enqueue(sg);
            }
        }
        mp.sched.gopark(mp, gp, UNLOCK_ALL, this, WaitReason.SELECT);

        // Pass 3: woken by the case in gp.param; dequeue the others.
        lockAll();
        Sudog winner = gp.param;
        gp.param = null;
        for (Sudog sg = list; sg != null;) {
            Sudog next = sg.waitlink;
            if (sg != winner) {
                if (isSend[sg.caseIndex]) {
                    sg.c.sendq.remove(sg);
                } else {
                    sg.c.recvq.remove(sg);
                }
            }
            sg = next;
        }
        unlockAll();
        int casi = wokenCase(gp, winner);
        if (!isSend[casi]) {
            recvValue = winner.elem;
            recvOk = winner.success;
        }
        return releaseSudogs(gp, list, casi, winner.success);
    }

    /** Pass 2: {@code gp}'s sudog for case {@code i} on plain channel {@code c} (null for a SelectableChan case), carrying {@code elem}. */
    private static Sudog caseSudog(G gp, Chan<?> c, int i, Object elem) {
        Sudog sg = gp.acquireSudog();
        sg.g = gp;
        sg.c = c;
        sg.isSelect = true;
        sg.success = false;
        sg.caseIndex = i;
        sg.elem = elem;
        return sg;
    }

    /** Pass 3: the index of the case that woke {@code gp} ({@code winner}, from gp.param); a wake without one is a bug. */
    private static int wokenCase(G gp, Sudog winner) {
        if (winner == null) {
            throw new IllegalStateException("select woken without a case (goroutine " + gp.goid() + ")");
        }
        return winner.caseIndex;
    }

    /**
     * Pass 3's end, after the results were taken from the winner: gives every sudog of the wait
     * ({@code list}) back; a send case woken by the channel's close panics as Go's does. Returns
     * {@code casi}.
     */
    private int releaseSudogs(G gp, Sudog list, int casi, boolean success) {
        for (Sudog sg = list; sg != null;) {
            Sudog next = sg.waitlink;
            gp.releaseSudog(sg);
            sg = next;
        }
        if (isSend[casi] && !success) {
            throw new GoPanic("send on closed channel");
        }
        return casi;
    }

    /**
     * selectgo with {@link SelectableChan} cases: the same three passes over both kinds of
     * channel, in one lock order. A frame with one slot per case (used by the SelectableChan
     * cases) is pushed before the first safepoint and popped on return, so a pointer being sent or
     * received is a root for as long as the goroutine waits. Kept apart from {@link #selectgo} so
     * selects over plain Chans pay nothing for it.
     */
    private int selectgoMixed(boolean block) {
        try (Frame f = Frame.push(n)) {
            for (int i = 0; i < n; i++) {
                if (ext[i] != null && isSend[i]) {
                    f.set(i, extSend[i]);
                }
            }
            M mp = Scheduler.currentM();
            G gp = mp.curg;
            mp = Go.safepoint(mp, gp);
            recvValue = null;
            recvOk = false;
            recvPointer = 0;
            norder = 0;
            for (int i = 0; i < n; i++) {
                if (chans[i] == null && ext[i] == null) {
                    continue;
                }
                int j = mp.fastrandn(norder + 1);
                pollorder[norder] = pollorder[j];
                pollorder[j] = i;
                norder++;
            }
            if (norder == 0) {
                if (!block) {
                    return -1;
                }
                mp.sched.gopark(mp, gp, null, null, WaitReason.SELECT);
                throw new IllegalStateException("unreachable: a select with no ready case was woken");
            }
            for (int k = 0; k < norder; k++) {
                int c = pollorder[k];
                long id = caseId(c);
                int j = k;
                while (j > 0 && caseId(lockorder[j - 1]) > id) {
                    lockorder[j] = lockorder[j - 1];
                    j--;
                }
                lockorder[j] = c;
            }
            lockAllMixed();

            // Pass 1.
            for (int k = 0; k < norder; k++) {
                int i = pollorder[k];
                SelectableChan x = ext[i];
                if (x != null) {
                    if (isSend[i]) {
                        int r = x.selectTrySend(f, i);
                        if (r != 0) {
                            unlockAllMixed();
                            if (r < 0) {
                                throw new GoPanic("send on closed channel");
                            }
                            return i;
                        }
                    } else {
                        int r = x.selectTryRecv(f, i);
                        if (r != 0) {
                            recvPointer = f.get(i);
                            recvOk = r > 0;
                            unlockAllMixed();
                            return i;
                        }
                    }
                    continue;
                }
                if (tryPlainCaseNow(mp, i, true)) {
                    return i;
                }
            }
            if (!block) {
                unlockAllMixed();
                return -1;
            }

            // Pass 2.
            gp.param = null;
            gp.selectDone = 0;
            Sudog list = null;
            Sudog tail = null;
            for (int k = 0; k < norder; k++) {
                int i = lockorder[k];
                Sudog sg = caseSudog(gp, chans[i], i, isSend[i] && ext[i] == null ? values[i] : null);
                if (tail == null) {
                    list = sg;
                } else {
                    tail.waitlink = sg;
                }
                tail = sg;
                if (ext[i] != null) {
                    SelectWaiter w = new SelectWaiter(sg, isSend[i], f, i);
                    extWaiters[i] = w;
                    ext[i].selectEnqueue(w);
                } else if (isSend[i]) {
                    chans[i].sendq.enqueue(sg);
                } else {
                    chans[i].recvq.enqueue(sg);
                }
            }
            mp.sched.gopark(mp, gp, UNLOCK_ALL_MIXED, this, WaitReason.SELECT);

            // Pass 3.
            lockAllMixed();
            Sudog winner = gp.param;
            gp.param = null;
            for (Sudog sg = list; sg != null; sg = sg.waitlink) {
                if (sg == winner) {
                    continue;
                }
                int i = sg.caseIndex;
                if (ext[i] != null) {
                    ext[i].selectDequeue(extWaiters[i]);
                } else if (isSend[i]) {
                    sg.c.sendq.remove(sg);
                } else {
                    sg.c.recvq.remove(sg);
                }
            }
            unlockAllMixed();
            java.util.Arrays.fill(extWaiters, 0, n, null);
            int casi = wokenCase(gp, winner);
            boolean success = winner.success;
            if (!isSend[casi]) {
                if (ext[casi] != null) {
                    recvPointer = success ? f.get(casi) : 0;
                } else {
                    recvValue = winner.elem;
                }
                recvOk = success;
            }
            return releaseSudogs(gp, list, casi, success);
        }
    }

    static final ParkCommit UNLOCK_ALL_MIXED = (g, arg) -> {
        ((Select) arg).unlockAllMixed();
        return true;
    };

    private long caseId(int i) {
        return ext[i] != null ? ext[i].selectId() : chans[i].id;
    }

    private void lockAllMixed() {
        long prev = -1;
        for (int k = 0; k < norder; k++) {
            int i = lockorder[k];
            long id = caseId(i);
            if (id != prev) {
                if (ext[i] != null) {
                    ext[i].selectLock();
                } else {
                    chans[i].lock.lock();
                }
                prev = id;
            }
        }
    }

    /**
     * Pass 1 for a plain {@link Chan} case {@code i}, with every case's channel locked: completes the
     * case if it can proceed now (a parked peer, buffer room or data, or a closed channel to receive
     * from), unlocking everything first, and returns true; false (still locked) if it cannot.
     * Shared by the plain and the mixed select so both keep one copy of Go's case rules; {@code mixed}
     * picks the unlock that matches how the channels were locked.
     */
    private boolean tryPlainCaseNow(M mp, int i, boolean mixed) {
        Chan<?> c = chans[i];
        if (isSend[i]) {
            if (c.closed) {
                unlock(mixed);
                throw new GoPanic("send on closed channel");
            }
            Sudog sg = c.recvq.dequeue();
            if (sg != null) {
                sg.elem = values[i];
                sg.success = true;
                sg.g.param = sg;
                G peer = sg.g;
                unlock(mixed);
                peer.sched.readyWaiter(mp, peer);
                return true;
            }
            if (c.qcount < c.cap()) {
                c.bufPut(values[i]);
                unlock(mixed);
                return true;
            }
            return false;
        }
        Sudog sg = c.sendq.dequeue();
        if (sg != null) {
            recvValue = c.takeFromSender(sg);
            recvOk = true;
            G peer = sg.g;
            unlock(mixed);
            peer.sched.readyWaiter(mp, peer);
            return true;
        }
        if (c.qcount > 0) {
            recvValue = c.bufTake();
            recvOk = true;
            unlock(mixed);
            return true;
        }
        if (c.closed) {
            unlock(mixed);
            return true;
        }
        return false;
    }

    private void unlock(boolean mixed) {
        if (mixed) {
            unlockAllMixed();
        } else {
            unlockAll();
        }
    }

    void unlockAllMixed() {
        long prev = -1;
        for (int k = norder - 1; k >= 0; k--) {
            int i = lockorder[k];
            long id = caseId(i);
            if (id != prev) {
                if (ext[i] != null) {
                    ext[i].selectUnlock();
                } else {
                    chans[i].lock.unlock();
                }
                prev = id;
            }
        }
    }

    private void lockAll() {
        Chan<?> prev = null;
        for (int k = 0; k < norder; k++) {
            Chan<?> c = chans[lockorder[k]];
            if (c != prev) {
                c.lock.lock();
                prev = c;
            }
        }
    }

    void unlockAll() {
        Chan<?> prev = null;
        for (int k = norder - 1; k >= 0; k--) {
            Chan<?> c = chans[lockorder[k]];
            if (c != prev) {
                c.lock.unlock();
                prev = c;
            }
        }
    }
}
