package dev.gort.sync;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reader/writer lock for goroutines (Go's sync.RWMutex): any number of readers or one writer.
 * A pending writer blocks new readers, so writers are not starved. Waiting goroutines are parked
 * through the scheduler. Not reentrant: a reader must not take the read lock again while a
 * writer may be waiting (it would deadlock, as in Go).
 *
 * <p>{@code readerCount} counts readers; a writer subtracts {@link #MAX_READERS} from it, so a
 * negative count tells arriving readers to wait on {@code readerSem}. {@code readerWait} counts
 * the readers the writer still waits for (those active when it arrived); the last of them wakes
 * the writer on {@code writerSem}.
 */
public final class RWMutex {
    static final int MAX_READERS = 1 << 30;

    private final Mutex w = new Mutex();
    private final Sema writerSem = new Sema();
    private final Sema readerSem = new Sema();
    private final AtomicInteger readerCount = new AtomicInteger();
    private final AtomicInteger readerWait = new AtomicInteger();

    /** Takes the read lock. */
    public void rlock() {
        if (readerCount.incrementAndGet() < 0) {
            readerSem.acquire(false, "sync.RWMutex.RLock"); // a writer is pending
        }
    }

    /** Releases the read lock; IllegalMonitorStateException if not read-locked. */
    public void runlock() {
        // Checked before the count changes, in one CAS: Go's decrement-then-undo showed a writer
        // arriving in between one reader too many, so it waited on writerSem for a reader that
        // never was, with every later reader queued behind it.
        int c;
        do {
            c = readerCount.get();
            if (c == 0 || c == -MAX_READERS) {
                throw new IllegalMonitorStateException("sync: RUnlock of unlocked RWMutex");
            }
        } while (!readerCount.compareAndSet(c, c - 1));
        int r = c - 1;
        if (r < 0) {
            if (readerWait.decrementAndGet() == 0) {
                writerSem.release(false); // the last reader the writer waited for
            }
        }
    }

    /** Takes the write lock. */
    public void lock() {
        w.lock(); // one writer at a time
        int r = readerCount.addAndGet(-MAX_READERS) + MAX_READERS;
        if (r != 0 && readerWait.addAndGet(r) != 0) {
            writerSem.acquire(false, "sync.RWMutex.Lock");
        }
    }

    /** Releases the write lock; IllegalMonitorStateException if not write-locked. */
    public void unlock() {
        // Checked before the count changes, in one CAS (Go adds, then checks and undoes: in between
        // arriving readers saw no writer and took the read lock under it).
        int c;
        do {
            c = readerCount.get();
            if (c >= 0) {
                throw new IllegalMonitorStateException("sync: Unlock of unlocked RWMutex");
            }
        } while (!readerCount.compareAndSet(c, c + MAX_READERS));
        int r = c + MAX_READERS;
        for (int i = 0; i < r; i++) {
            readerSem.release(false); // readers that arrived while we held it
        }
        w.unlock();
    }
}
