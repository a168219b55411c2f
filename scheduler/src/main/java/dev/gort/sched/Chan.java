package dev.gort.sched;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Go channel of Java values (Go's {@code hchan}), unbuffered (capacity 0) or buffered. Waiting
 * goroutines queue as sudogs and park; a peer hands the value over directly and readies them, so
 * nothing polls. {@code null} is the zero value: receiving from a closed, drained channel returns
 * null with ok = false.
 *
 * <p>Go's panics: send on a closed channel and close of a closed channel throw {@link GoPanic}
 * ("send on closed channel", "close of closed channel"); a negative capacity throws
 * "makechan: size out of range", and one above {@link #MAX_CAPACITY} (more than the Java heap can
 * hold) an IllegalArgumentException saying so. A nil channel is a {@code null} case in a {@link Select}: never
 * ready.
 *
 * <p>All blocking operations must run on a goroutine. {@link #close()}, {@link #len()},
 * {@link #cap()} and {@link #offer(Object)} work from any thread.
 */
public final class Chan<T> implements Iterable<T> {
    private static final AtomicLong IDS = new AtomicLong();
    static final ParkCommit UNLOCK = (g, arg) -> {
        ((RtLock) arg).unlock();
        return true;
    };

    /** Lock order for select. */
    final long id = IDS.incrementAndGet();

    /** A fresh channel id, for {@link SelectableChan#selectId()}: channels of every kind share one lock order. */
    public static long newChannelId() {
        return IDS.incrementAndGet();
    }
    final RtLock lock = new RtLock();
    private final int cap;
    private final Object[] buf;
    int qcount;
    private int sendx;
    private int recvx;
    boolean closed;
    final WaitQueue recvq = new WaitQueue();
    final WaitQueue sendq = new WaitQueue();

    /**
     * The largest capacity a channel accepts (Go's makechan bound: {@code elemsize * size <=
     * maxAlloc - hchanSize}, else "makechan: size out of range"). gort's buffer is an
     * {@code Object[capacity]} on the Java heap, made at once as Go's is, so the bound is what
     * that heap can hold at all: {@link #BYTES_PER_SLOT} bytes a slot within
     * {@code Runtime.maxMemory()} (-Xmx), and no more than the JVM's array length limit. A
     * capacity under it may still not fit a heap in use (the JVM's OutOfMemoryError, as Go's
     * "out of memory"); one above it can never fit, and is refused as bad input.
     */
    public static final int MAX_CAPACITY = maxCapacity(Runtime.getRuntime().maxMemory());

    /** A slot's size as this bound counts it: a reference without compressed oops (the larger). */
    static final int BYTES_PER_SLOT = 8;

    /** The JVM's largest array length (HotSpot refuses lengths a few below Integer.MAX_VALUE). */
    public static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    static int maxCapacity(long maxHeapBytes) {
        return maxCapacity(maxHeapBytes, BYTES_PER_SLOT);
    }

    /**
     * The most slots of {@code bytesPerSlot} Java heap bytes each that a heap of {@code maxHeapBytes}
     * ({@code Long.MAX_VALUE}: no limit) and the JVM's array limit allow: the bound of every
     * channel ring held on the Java heap (this one's, the collector's PtrChan).
     */
    public static int maxCapacity(long maxHeapBytes, int bytesPerSlot) {
        long slots = maxHeapBytes == Long.MAX_VALUE ? Long.MAX_VALUE : maxHeapBytes / bytesPerSlot;
        return (int) Math.min(slots, MAX_ARRAY_LENGTH);
    }

    public Chan(int capacity) {
        if (capacity < 0) {
            throw new GoPanic("makechan: size out of range");
        }
        if (capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException(capacityRefused(capacity));
        }
        this.cap = capacity;
        this.buf = capacity == 0 ? null : new Object[capacity];
    }

    private static String capacityRefused(int capacity) {
        long maxHeap = Runtime.getRuntime().maxMemory();
        return "makechan: size out of range: capacity " + capacity + " is more than this JVM can hold; accepted: 0 to "
                + MAX_CAPACITY + " (" + BYTES_PER_SLOT + " bytes a slot within the Java heap's maximum"
                + (maxHeap == Long.MAX_VALUE ? "" : " of " + (maxHeap >> 20) + " MiB, -Xmx") + ", at most the JVM's array limit "
                + MAX_ARRAY_LENGTH + ")";
    }

    /** An unbuffered channel. */
    public Chan() {
        this(0);
    }

    public static <T> Chan<T> make(int capacity) {
        return new Chan<>(capacity);
    }

    /** Values in the buffer. */
    public int len() {
        lock.lock();
        int n = qcount;
        lock.unlock();
        return n;
    }

    public int cap() {
        return cap;
    }

    /** Sends v, blocking until a receiver takes it or buffer space frees. */
    public void send(T v) {
        M mp = Scheduler.currentM();
        G gp = mp.curg;
        mp = Go.safepoint(mp, gp); // may resume on another M
        lock.lock();
        if (closed) {
            lock.unlock();
            throw new GoPanic("send on closed channel");
        }
        Sudog sg = recvq.dequeue();
        if (sg != null) {
            handToReceiver(sg, v, mp);
            return;
        }
        if (qcount < cap) {
            bufPut(v);
            lock.unlock();
            return;
        }
        Sudog mine = gp.chanSudog;
        if (mine.c != this) {
            mine.c = this; // the only reference store of a repeated send, and only on a new channel
        }
        mine.elem = v;
        mine.success = false;
        sendq.enqueue(mine);
        mp.sched.goparkChan(mp, gp, WaitReason.CHAN_SEND);
        boolean ok = mine.success;
        mine.elem = null;
        if (!ok) {
            throw new GoPanic("send on closed channel");
        }
    }

    /**
     * Non-blocking send (a select with one send case and a default); true if the value was taken.
     * Callable from any thread, including timer functions; panics on a closed channel.
     */
    public boolean trySend(T v) {
        lock.lock();
        if (closed) {
            lock.unlock();
            throw new GoPanic("send on closed channel");
        }
        return offerLocked(v);
    }

    /** Like {@link #trySend} but returns false instead of panicking on a closed channel. */
    public boolean offer(T v) {
        lock.lock();
        if (closed) {
            lock.unlock();
            return false;
        }
        return offerLocked(v);
    }

    private boolean offerLocked(T v) {
        Sudog sg = recvq.dequeue();
        if (sg != null) {
            handToReceiver(sg, v, null);
            return true;
        }
        if (qcount < cap) {
            bufPut(v);
            lock.unlock();
            return true;
        }
        lock.unlock();
        return false;
    }

    /** Lock held; releases it. {@code mp}: the sender's M if known, else null. */
    private void handToReceiver(Sudog sg, Object v, M mp) {
        sg.elem = v;
        sg.success = true;
        G rg = sg.g;
        if (sg.isSelect) {
            rg.param = sg; // which case fired; a plain operation knows its sudog
        }
        lock.unlock();
        rg.sched.readyWaiter(mp, rg);
    }

    void bufPut(Object v) {
        buf[sendx] = v;
        if (++sendx == cap) {
            sendx = 0;
        }
        qcount++;
    }

    Object bufTake() {
        Object v = buf[recvx];
        buf[recvx] = null;
        if (++recvx == cap) {
            recvx = 0;
        }
        qcount--;
        return v;
    }

    /**
     * Lock held, sg a waiting sender: takes its value (unbuffered) or the buffer's head, moving the
     * sender's value into the buffer (full buffer). Marks the sender done; caller unlocks and readies.
     */
    Object takeFromSender(Sudog sg) {
        Object v;
        if (cap == 0) {
            v = sg.elem;
        } else {
            v = buf[recvx];
            buf[recvx] = sg.elem;
            if (++recvx == cap) {
                recvx = 0;
            }
            sendx = recvx;
        }
        sg.elem = null;
        sg.success = true;
        if (sg.isSelect) {
            sg.g.param = sg;
        }
        return v;
    }

    /** Receives a value, blocking until one is available; null (the zero value) once closed and drained. */
    @SuppressWarnings("unchecked")
    public T recv() {
        M mp = Scheduler.currentM();
        G gp = mp.curg;
        mp = Go.safepoint(mp, gp); // may resume on another M
        lock.lock();
        Sudog sg = sendq.dequeue();
        if (sg != null) {
            Object v = takeFromSender(sg);
            G sender = sg.g;
            lock.unlock();
            sender.sched.readyWaiter(mp, sender);
            return (T) v;
        }
        if (qcount > 0) {
            Object v = bufTake();
            lock.unlock();
            return (T) v;
        }
        if (closed) {
            lock.unlock();
            lastOk(gp, false);
            return null;
        }
        Sudog mine = gp.chanSudog;
        if (mine.c != this) {
            mine.c = this;
        }
        mine.success = false;
        recvq.enqueue(mine);
        mp.sched.goparkChan(mp, gp, WaitReason.CHAN_RECEIVE);
        Object v = mine.elem;
        boolean ok = mine.success;
        mine.elem = null;
        lastOk(gp, ok);
        return (T) v;
    }

    private static void lastOk(G gp, boolean ok) {
        gp.lastRecvOk = ok;
    }

    /** Receive with Go's comma-ok: ok is false when the channel is closed and drained. */
    public Received<T> recv2() {
        G gp = Scheduler.currentM().curg;
        gp.lastRecvOk = true;
        T v = recv();
        return new Received<>(v, gp.lastRecvOk);
    }

    /** A received value and Go's ok flag. */
    public record Received<T>(T value, boolean ok) {
    }

    /**
     * Closes the channel: every waiting receiver wakes with null and ok = false, every waiting sender
     * wakes and panics "send on closed channel". Closing twice panics "close of closed channel".
     */
    public void close() {
        lock.lock();
        if (closed) {
            lock.unlock();
            throw new GoPanic("close of closed channel");
        }
        closed = true;
        Sudog wake = null;
        Sudog sg;
        while ((sg = recvq.dequeue()) != null) {
            sg.elem = null;
            sg.success = false;
            if (sg.isSelect) {
                sg.g.param = sg;
            }
            sg.next = wake;
            wake = sg;
        }
        while ((sg = sendq.dequeue()) != null) {
            sg.success = false;
            if (sg.isSelect) {
                sg.g.param = sg;
            }
            sg.next = wake;
            wake = sg;
        }
        lock.unlock();
        while (wake != null) {
            Sudog next = wake.next;
            wake.next = null;
            G g = wake.g;
            g.sched.readyWaiter(null, g);
            wake = next;
        }
    }

    public boolean isClosed() {
        lock.lock();
        boolean c = closed;
        lock.unlock();
        return c;
    }

    /** Range over the channel: yields values until it is closed and drained (Go's {@code for v := range ch}). */
    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private T next;
            private boolean has;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (has) {
                    return true;
                }
                if (done) {
                    return false;
                }
                Received<T> r = recv2();
                if (!r.ok()) {
                    done = true;
                    return false;
                }
                next = r.value();
                has = true;
                return true;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("channel closed");
                }
                has = false;
                T v = next;
                next = null;
                return v;
            }
        };
    }

    @Override
    public String toString() {
        return "chan(cap=" + cap + ", len=" + qcount + (closed ? ", closed" : "") + ")";
    }
}
