package dev.gort.gc;

import dev.gort.sched.Chan;
import dev.gort.sched.Frame;
import dev.gort.sched.G;
import dev.gort.sched.Go;
import dev.gort.sched.SelectWaiter;
import dev.gort.sched.SelectableChan;
import dev.gort.sched.WaitReason;
import dev.gort.sys.NativeMemory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A channel of managed pointers between goroutines (Go's {@code chan *T}): values in flight stay
 * visible to the collector, which a {@code dev.gort.sched.Chan<Long>} cannot promise (its buffer
 * and parked senders' values are Java objects the collector never sees).
 *
 * <h2>Where a pointer in flight lives</h2>
 * <pre>
 *   buffer:  ring[i] = a slot of the global root table (GlobalRoots), i in [0, capacity)
 *            head -> oldest value; count values from there, wrapping
 *   sender parked (buffer full, or unbuffered with no receiver):
 *            slot 0 of a 1-slot Frame the sender pushed on its own shadow stack
 *   receiver parked (empty): slot 0 of its own 1-slot Frame; a sender writes the value there
 *            directly and readies it (Go's send to a waiting receiver's sudog.elem)
 * </pre>
 * So the buffer is scanned as globals are (concurrently, every cycle, and by gccheckmark), parked
 * values as stack roots (Go's sudog.elem points into the parked goroutine's stack the same way).
 * Stores into ring slots go through the hybrid write barrier (a receive clears its slot through it,
 * shading the value it takes). Moving a value between two goroutines' frames (a hand-off to or
 * from a parked goroutine) shades it while marking ({@link WriteBarrier#frameToFrame}, Go's
 * sendDirect/recvDirect barrier): stacks are scanned concurrently, one goroutine at a time, so the
 * frame it leaves may not be scanned yet while the frame it enters already is.
 *
 * <h2>Rules</h2>
 * Only goroutines send and receive. {@link #recv()} returns the pointer as a Java long: store it in
 * a frame slot, an object or a global before the next safepoint (allocation, channel operation),
 * like any pointer loaded from the heap. A send on a closed channel panics (IllegalStateException);
 * a receive on a closed, drained channel returns 0 (so a program that must tell a sent 0 from
 * the close sends only non-zero pointers, or counts). {@link #close()}
 * and {@link #free()} are separate: close is Go's close(ch), free releases the ring's root slots.
 * Both may be called from any thread; free's clears then run inside the store gate
 * ({@link WriteBarrier#enterStoreGate}). Send and receive are checked only under
 * {@code GORT_DEBUG=checkptr=1}: a plain thread's buffered send or receive would store without a
 * stop ordering it (the caller's rule, as {@code Mem.storePtr}), and a pointer it receives is
 * rooted nowhere.
 *
 * <p>Lock: a CAS spin lock without an owner, because a parking goroutine's lock is released by the
 * scheduler (the park's commit runs on g0, after the goroutine is WAITING, so no waker can ready
 * it before it has parked), and because java.util.concurrent locks record an owner thread that a
 * goroutine moving between Ms would get wrong.
 */
public final class PtrChan implements SelectableChan {
    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(PtrChan.class, "lock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final GlobalRoots roots;
    /** Lock order among all channels (a select locks its cases' channels by id). */
    private final long id = Chan.newChannelId();
    private final long[] slotIndex;     // ring position -> GlobalRoots slot index
    private final long[] slotAddr;      // ring position -> slot address
    private final int capacity;
    // Guarded by lock:
    private int head;
    private int count;
    private boolean closed;
    private boolean freed;
    private Waiter sendq;               // FIFO, linked through next
    private Waiter sendqTail;
    private Waiter recvq;
    private Waiter recvqTail;
    private long sendParks;             // statistics: how often a sender / receiver parked
    private long recvParks;
    @SuppressWarnings("unused")
    private volatile int lock;

    /**
     * A parked goroutine: slot {@code slot} of {@code frame} holds the value (sender) or receives
     * it (receiver). A plain send/recv uses slot 0 of a 1-slot frame; a select's case
     * ({@code sel != null}) uses its case's slot of the select's frame.
     */
    private static final class Waiter {
        G g;
        Frame frame;
        int slot;
        Waiter next;
        /** Receiver: a value was delivered (false = woken by close). Sender: taken (false = closed). */
        boolean success;
        /** Non-null for a select's case: it must be claimed before use, and is woken through it. */
        SelectWaiter sel;
    }

    /** Wakes a dequeued (and, for a select, claimed) waiter; any thread, lock held or not. */
    private static void wake(Waiter w, boolean success) {
        if (w.sel != null) {
            w.sel.complete(success);
        } else {
            Go.ready(w.g);
        }
    }

    /**
     * The largest capacity any PtrChan accepts on this JVM (the bound Chan.MAX_CAPACITY sets for
     * Chan, Go's "makechan: size out of range"): the ring's two {@code long[capacity]} arrays are
     * made at once on the Java heap, {@link #JAVA_BYTES_PER_SLOT} bytes a slot within
     * {@code Runtime.maxMemory()} (-Xmx), and no array may pass the JVM's length limit. A capacity
     * is also refused above its root table's size ({@link GlobalRoots#maxSlots}): each buffered
     * value has a slot there. Under both bounds it may still fail on a heap or table in use
     * (OutOfMemoryError; "global root table full"), leaving nothing taken.
     */
    public static final int MAX_CAPACITY = maxCapacity(Runtime.getRuntime().maxMemory());

    /** The ring's Java heap bytes a slot: a long in each of slotIndex and slotAddr. */
    static final int JAVA_BYTES_PER_SLOT = 16;

    /** The JVM's largest array length, Chan's. */
    static final int MAX_ARRAY_LENGTH = dev.gort.sched.Chan.MAX_ARRAY_LENGTH;

    static int maxCapacity(long maxHeapBytes) {
        return dev.gort.sched.Chan.maxCapacity(maxHeapBytes, JAVA_BYTES_PER_SLOT);
    }

    /**
     * A channel of {@code capacity} buffered pointers (0 = unbuffered) whose ring lives in {@code roots}.
     *
     * @throws IllegalArgumentException {@code capacity} negative, above {@link #MAX_CAPACITY} or
     *     above the table's {@link GlobalRoots#maxSlots}; nothing is taken
     * @throws IllegalStateException the table has no room for the ring now ("global root table
     *     full"); the slots taken before are given back
     */
    public PtrChan(GlobalRoots roots, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("PtrChan capacity " + capacity + " is negative; accepted: 0 (unbuffered) or more");
        }
        long tableSlots = roots.maxSlots();
        if (capacity > MAX_CAPACITY || capacity > tableSlots) {
            throw new IllegalArgumentException(capacityRefused(capacity, tableSlots));
        }
        this.roots = roots;
        this.capacity = capacity;
        this.slotIndex = new long[capacity];
        this.slotAddr = new long[capacity];
        int taken = 0;
        try {
            for (int i = 0; i < capacity; i++) {
                slotIndex[i] = roots.allocSlot();
                taken++;
                slotAddr[i] = roots.slotAddress(slotIndex[i]);
            }
        } catch (RuntimeException | Error e) {
            // A full (or closed) table: give back what this ring took, so a failed make leaks no slot.
            // The store gate is entered once for them all, as free() does (not once a slot).
            java.util.concurrent.Semaphore gate = null;
            try {
                gate = WriteBarrier.enterStoreGate();
                for (int i = 0; i < taken; i++) {
                    roots.releaseSlot(slotIndex[i]);
                }
            } catch (RuntimeException | Error u) {
                e.addSuppressed(u);
            } finally {
                WriteBarrier.leaveStoreGate(gate);
            }
            throw e;
        }
    }

    private static String capacityRefused(int capacity, long tableSlots) {
        long maxHeap = Runtime.getRuntime().maxMemory();
        return "makechan: size out of range: PtrChan capacity " + capacity + " is more than this JVM or its global root table"
                + " can hold; accepted: 0 to " + Math.min(MAX_CAPACITY, tableSlots) + " (" + JAVA_BYTES_PER_SLOT
                + " bytes a slot within the Java heap's maximum" + (maxHeap == Long.MAX_VALUE ? "" : " of " + (maxHeap >> 20)
                + " MiB, -Xmx") + ", at most the JVM's array limit " + MAX_ARRAY_LENGTH + "; one slot each of the global"
                + " root table's " + tableSlots + ")";
    }

    /** A channel whose ring lives in the collector's global root table. */
    public static PtrChan create(Collector gc, int capacity) {
        return new PtrChan(gc.globals(), capacity);
    }

    public int capacity() {
        return capacity;
    }

    /** Buffered values now (Go's len(ch)). */
    public int len() {
        lock();
        try {
            return count;
        } finally {
            unlock();
        }
    }

    /** Sends {@code p} (a managed pointer or 0), parking while the buffer is full (Go's {@code ch <- p}). */
    public void send(long p) {
        refuseInsideSyscall("PtrChan.send");
        if (Mem.CHECKPTR) {
            WriteBarrier.requireStoppableCaller("PtrChan.send");
        }
        lock();
        checkUsable();
        if (closed) {
            unlock();
            throw new IllegalStateException("send on closed channel");
        }
        Waiter r = dequeue(false);
        if (r != null) {
            // Straight into the parked receiver's frame slot; it is WAITING, so its stack is still.
            // Its frames may be scanned already and ours not yet: shade p (Go's sendDirect).
            WriteBarrier.frameToFrame(p);
            r.frame.set(r.slot, p);
            r.success = true;
            unlock();
            wake(r, true);
            return;
        }
        if (count < capacity) {
            int tail = (head + count) % capacity;
            WriteBarrier.storePointer(slotAddr[tail], p);
            count++;
            unlock();
            return;
        }
        // Park with the value in a frame of our own: a stack root while we wait.
        try (Frame f = Frame.push(1)) {
            f.set(0, p);
            Waiter w = new Waiter();
            w.g = Go.current();
            w.frame = f;
            enqueue(w, true);
            sendParks++;
            Go.park(PtrChan::unlockAfterPark, this, WaitReason.CHAN_SEND);
            if (!w.success) {
                throw new IllegalStateException("send on closed channel");
            }
        }
    }

    /**
     * Refuses a send or receive by a goroutine inside {@code Gort.syscall}, before anything changed:
     * its M holds no P there, so it could not park (the scheduler died of it: "stopm holding P"),
     * as the scheduler's Chan refuses. A plain registered thread is not a goroutine and passes.
     */
    private static void refuseInsideSyscall(String op) {
        if (Go.onGoroutine() && !Go.canPark()) {
            throw new IllegalStateException(op + " inside Gort.syscall (goroutine " + Go.current().goid()
                    + "): its M holds no P until the call returns, and a pointer channel's send or receive may "
                    + "need to park; accepted there: plain blocking Java calls, dev.gort.sync types and net "
                    + "connections; do the channel operation after the call returns");
        }
    }

    /** Receives a pointer, parking while none is available; 0 once closed and drained. */
    public long recv() {
        return recv(null);
    }

    /** A received pointer and Go's ok (false: the channel is closed and drained, pointer 0). */
    public record Received(long pointer, boolean ok) {
    }

    /**
     * Go's {@code p, ok := <-ch}: tells a sent 0 from the close. The pointer is in a Java object:
     * store it in a frame slot, object or global before the next safepoint.
     */
    public Received recv2() {
        boolean[] ok = new boolean[1];
        long p = recv(ok);
        return new Received(p, ok[0]);
    }

    private long recv(boolean[] ok) {
        refuseInsideSyscall("PtrChan.recv");
        if (Mem.CHECKPTR) {
            WriteBarrier.requireStoppableCaller("PtrChan.recv");
        }
        if (ok != null) {
            ok[0] = true;
        }
        lock();
        checkUsable();
        if (count > 0) {
            int h = head;
            long v = NativeMemory.getLong(slotAddr[h]);
            WriteBarrier.storePointer(slotAddr[h], 0);     // shades v: it is ours now, in a Java local
            head = (h + 1) % capacity;
            count--;
            Waiter s = dequeue(true);
            if (s != null) {
                // A parked sender's value takes the freed place at the tail (Go's recv on a full buffer).
                int tail = (head + count) % capacity;
                WriteBarrier.storePointer(slotAddr[tail], s.frame.get(s.slot));
                count++;
                s.success = true;
                unlock();
                wake(s, true);
            } else {
                unlock();
            }
            return v;
        }
        Waiter s = dequeue(true);
        if (s != null) {
            long v = s.frame.get(s.slot);                  // unbuffered: straight from its frame
            WriteBarrier.frameToFrame(v);                  // its frames may not be scanned yet, ours may (Go's recvDirect)
            s.success = true;
            unlock();
            wake(s, true);
            return v;
        }
        if (closed) {
            unlock();
            if (ok != null) {
                ok[0] = false;
            }
            return 0;
        }
        try (Frame f = Frame.push(1)) {
            Waiter w = new Waiter();
            w.g = Go.current();
            w.frame = f;
            enqueue(w, false);
            recvParks++;
            Go.park(PtrChan::unlockAfterPark, this, WaitReason.CHAN_RECEIVE);
            if (ok != null) {
                ok[0] = w.success;
            }
            return f.get(0);                               // 0 if woken by close
        }
    }

    /** Go's close(ch): parked receivers get 0, parked senders panic, buffered values stay receivable. */
    public void close() {
        lock();
        checkUsable();
        if (closed) {
            unlock();
            throw new IllegalStateException("close of closed channel");
        }
        closed = true;
        Waiter all = null;
        Waiter w;
        while ((w = dequeue(false)) != null) {
            w.success = false;
            w.next = all;
            all = w;
        }
        while ((w = dequeue(true)) != null) {
            w.success = false;
            w.next = all;
            all = w;
        }
        unlock();
        while (all != null) {
            Waiter next = all.next;
            wake(all, false);
            all = next;
        }
    }

    /**
     * Releases the ring's root slots (clearing them through the barrier); whatever was buffered is
     * no longer rooted by the channel. The channel must be closed and have no parked goroutines.
     */
    public void free() {
        java.util.concurrent.Semaphore gate = WriteBarrier.enterStoreGate();      // before the channel's lock (the gate's lock order)
        try {
            freeGated();
        } finally {
            WriteBarrier.leaveStoreGate(gate);
        }
    }

    private void freeGated() {
        lock();
        try {
            if (freed) {
                return;
            }
            if (!closed || sendq != null || recvq != null) {
                throw new IllegalStateException("PtrChan.free: close the channel and let its parked goroutines go first");
            }
            freed = true;
            count = 0;
            for (long i : slotIndex) {
                roots.releaseSlot(i);
            }
        } finally {
            unlock();
        }
    }

    /** Times a sender parked (buffer full or no receiver): its value was a stack root meanwhile. */
    public long sendParks() {
        lock();
        try {
            return sendParks;
        } finally {
            unlock();
        }
    }

    /** Times a receiver parked (nothing buffered, no sender). */
    public long recvParks() {
        lock();
        try {
            return recvParks;
        } finally {
            unlock();
        }
    }

    /** The buffered pointers, oldest first (a snapshot, for tests and debugging). */
    public long[] buffered() {
        lock();
        checkUsable();
        try {
            long[] out = new long[count];
            for (int i = 0; i < count; i++) {
                out[i] = NativeMemory.getLong(slotAddr[(head + i) % capacity]);
            }
            return out;
        } finally {
            unlock();
        }
    }

    /** Lock held: throws (after unlocking) if the ring's slots are gone: freed, or the root table closed. */
    private void checkUsable() {
        if (freed) {
            unlock();
            throw new IllegalStateException("PtrChan used after free(); accepted: a channel before its free()");
        }
        if (roots.isClosed()) {
            unlock();
            roots.requireOpen("PtrChan (capacity " + capacity + ")");
        }
    }

    private static boolean unlockAfterPark(G g, Object chan) {
        ((PtrChan) chan).unlock();
        return true;
    }

    private void enqueue(Waiter w, boolean sender) {
        w.next = null;
        if (sender) {
            if (sendqTail == null) {
                sendq = w;
            } else {
                sendqTail.next = w;
            }
            sendqTail = w;
        } else {
            if (recvqTail == null) {
                recvq = w;
            } else {
                recvqTail.next = w;
            }
            recvqTail = w;
        }
    }

    /** The first waiter that can still complete: a select's case another case already won is dropped (Go's dequeue). */
    private Waiter dequeue(boolean sender) {
        for (;;) {
            Waiter w = dequeueFirst(sender);
            if (w == null || w.sel == null || w.sel.claim()) {
                return w;
            }
        }
    }

    private Waiter dequeueFirst(boolean sender) {
        Waiter w = sender ? sendq : recvq;
        if (w == null) {
            return null;
        }
        if (sender) {
            sendq = w.next;
            if (sendq == null) {
                sendqTail = null;
            }
        } else {
            recvq = w.next;
            if (recvq == null) {
                recvqTail = null;
            }
        }
        w.next = null;
        return w;
    }

    // ---------------------------------------------------------------- Select cases (SelectableChan)

    @Override
    public long selectId() {
        return id;
    }

    @Override
    public void selectLock() {
        lock();
        checkUsable();
    }

    @Override
    public void selectUnlock() {
        unlock();
    }

    /** Lock held: {@code f.get(slot)} to a parked receiver or the buffer, if either can take it. */
    @Override
    public int selectTrySend(Frame f, int slot) {
        if (closed) {
            return -1;
        }
        Waiter r = dequeue(false);
        if (r != null) {
            long v = f.get(slot);
            WriteBarrier.frameToFrame(v);               // frame to frame: the colours may differ (sendDirect)
            r.frame.set(r.slot, v);
            r.success = true;
            wake(r, true);                              // readying under a channel lock is allowed
            return 1;
        }
        if (count < capacity) {
            WriteBarrier.storePointer(slotAddr[(head + count) % capacity], f.get(slot));
            count++;
            return 1;
        }
        return 0;
    }

    /** Lock held: a buffered value or a parked sender's into {@code f}'s slot; -1 if closed and drained. */
    @Override
    public int selectTryRecv(Frame f, int slot) {
        if (count > 0) {
            int h = head;
            f.set(slot, NativeMemory.getLong(slotAddr[h]));
            WriteBarrier.storePointer(slotAddr[h], 0);  // shades it, as recv does
            head = (h + 1) % capacity;
            count--;
            Waiter s = dequeue(true);
            if (s != null) {
                WriteBarrier.storePointer(slotAddr[(head + count) % capacity], s.frame.get(s.slot));
                count++;
                s.success = true;
                wake(s, true);
            }
            return 1;
        }
        Waiter s = dequeue(true);
        if (s != null) {
            long v = s.frame.get(s.slot);
            WriteBarrier.frameToFrame(v);               // frame to frame: the colours may differ (recvDirect)
            f.set(slot, v);
            s.success = true;
            wake(s, true);
            return 1;
        }
        return closed ? -1 : 0;
    }

    @Override
    public void selectEnqueue(SelectWaiter sw) {
        Waiter w = new Waiter();
        w.frame = sw.frame();
        w.slot = sw.slot();
        w.sel = sw;
        enqueue(w, sw.isSend());
        if (sw.isSend()) {
            sendParks++;
        } else {
            recvParks++;
        }
    }

    @Override
    public void selectDequeue(SelectWaiter sw) {
        boolean sender = sw.isSend();
        Waiter prev = null;
        for (Waiter w = sender ? sendq : recvq; w != null; prev = w, w = w.next) {
            if (w.sel != sw) {
                continue;
            }
            Waiter next = w.next;
            if (prev == null) {
                if (sender) {
                    sendq = next;
                } else {
                    recvq = next;
                }
            } else {
                prev.next = next;
            }
            if (next == null) {
                if (sender) {
                    sendqTail = prev;
                } else {
                    recvqTail = prev;
                }
            }
            w.next = null;
            return;
        }
    }

    private void lock() {
        SpinLock.lock(LOCK, this);
    }

    private void unlock() {
        SpinLock.unlock(LOCK, this);
    }
}
