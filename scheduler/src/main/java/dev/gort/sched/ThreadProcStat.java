package dev.gort.sched;

import java.io.IOException;
import java.io.RandomAccessFile;

/**
 * One thread's {@code /proc/self/task/TID/stat} and {@code schedstat}, opened once and re-read from
 * offset 0 at each look (the kernel regenerates a proc file on a read at offset 0), parsed from a
 * buffer of its own: {@link StopHolders}' samples, taken inside a stop while the stopper waits.
 *
 * <p>Why not {@code Files.readAllBytes(Path.of(...))} per look, as before: opening the file, the
 * path and the strings cost 0.1-0.5 ms a look even compiled, and a stop makes so few timed passes
 * (about 20 in a two-minute run) that the code stayed interpreted; a pass took 0.9-1.5 ms of the
 * stopper's CPU in the 1 GiB goroutine run (load 13), on a 2-core machine where the mutator it waits for
 * needs a CPU too, and its compile requests woke the JIT's threads inside the stop. A look here is
 * a seek and a read (about 7 us) and allocates nothing.
 *
 * <p>An open file stays bound to the thread it was opened for: once that thread has exited a read
 * fails (even if its tid is reused) and the files are closed; every later look answers "unknown".
 * Not thread-safe: the stopper (the holder of the world's lock) is its only user.
 */
final class ThreadProcStat {
    /** Room for a whole stat line (about 300 bytes; 52 fields of at most 20 digits, a 16-byte name). */
    private static final int BUF_BYTES = 2048;

    final int tid;
    private RandomAccessFile stat;
    private RandomAccessFile schedstat;
    private final byte[] buf = new byte[BUF_BYTES];
    /** schedstat's first two fields after {@link #readSchedstat}: ns run on a CPU, ns waited on a run queue. */
    long runNanos;
    long waitNanos;
    /**
     * stat's field 10 (minflt: minor page faults the thread has taken) after {@link #state}; -1 if
     * that read could not parse it. A first touch of fresh anonymous memory is a minor fault, so
     * the count between two looks says whether a late thread was faulting memory in.
     */
    long minorFaults = -1;
    /**
     * stat's field 39 (processor: the CPU the thread last ran on, or whose run queue it waits on)
     * after {@link #state}; -1 if that read could not parse it. On a 2-vCPU guest it names the vCPU
     * a late thread was bound to, to set beside a per-CPU probe's gaps (session 32).
     */
    int lastCpu = -1;

    private ThreadProcStat(int tid, RandomAccessFile stat, RandomAccessFile schedstat) {
        this.tid = tid;
        this.stat = stat;
        this.schedstat = schedstat;
    }

    /** Opens thread {@code tid}'s files (a thread of this process), or null if there is no such thread or no schedstat. */
    static ThreadProcStat open(int tid) {
        if (tid <= 0) {
            return null;
        }
        RandomAccessFile st = null;
        try {
            st = new RandomAccessFile("/proc/self/task/" + tid + "/stat", "r");
            RandomAccessFile ss = new RandomAccessFile("/proc/self/task/" + tid + "/schedstat", "r");
            return new ThreadProcStat(tid, st, ss);
        } catch (IOException | RuntimeException e) {
            closeQuietly(st);
            return null;
        }
    }

    /**
     * The thread's state letter (R running or runnable, S sleeping, D ...), or '?' (unreadable, or
     * the thread has exited); also reads {@link #minorFaults} and {@link #lastCpu} from the same line.
     */
    char state() {
        int n = readAll(stat);
        minorFaults = -1;
        lastCpu = -1;
        // The name, in parentheses, may itself hold spaces and parentheses: the state follows the last ')'.
        for (int i = n - 1; i >= 0; i--) {
            if (buf[i] == ')') {
                if (i + 2 >= n) {
                    return '?';
                }
                minorFaults = field(i + 2, n, MINFLT_AFTER_STATE);
                lastCpu = (int) field(i + 2, n, PROCESSOR_AFTER_STATE);
                return (char) buf[i + 2];
            }
        }
        return '?';
    }

    /** minflt (field 10) is the 7th field after the state (field 3). */
    private static final int MINFLT_AFTER_STATE = 7;
    /** processor (field 39) is the 36th field after the state (field 3). */
    private static final int PROCESSOR_AFTER_STATE = 36;

    /** The decimal field {@code skip} fields after the one starting at {@code from}, or -1 if the line ends first or it is not a number. */
    private long field(int from, int n, int skip) {
        int i = from;
        for (int k = 0; k < skip; k++) {
            while (i < n && buf[i] != ' ') {
                i++;
            }
            i++;
        }
        long v = 0;
        int digits = 0;
        for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
            v = v * 10 + (buf[i] - '0');
        }
        return digits == 0 ? -1 : v;
    }

    /** Reads schedstat into {@link #runNanos} and {@link #waitNanos}; false if unreadable (the thread has exited). */
    boolean readSchedstat() {
        int n = readAll(schedstat);
        int i = 0;
        long run = 0;
        int digits = 0;
        for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
            run = run * 10 + (buf[i] - '0');
        }
        if (digits == 0 || i >= n || buf[i] != ' ') {
            return false;
        }
        long wait = 0;
        digits = 0;
        for (i++; i < n && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
            wait = wait * 10 + (buf[i] - '0');
        }
        if (digits == 0) {
            return false;
        }
        runNanos = run;
        waitNanos = wait;
        return true;
    }

    /** Bytes read from offset 0 into {@link #buf}; 0 if the file is closed or the read failed (then both files are closed). */
    private int readAll(RandomAccessFile f) {
        if (f == null) {
            return 0;
        }
        try {
            f.seek(0);
            int n = 0;
            for (int r; n < buf.length && (r = f.read(buf, n, buf.length - n)) > 0; ) {
                n += r;
            }
            return n;
        } catch (IOException e) {
            close();        // the thread is gone (ESRCH): nothing more to read, and no descriptor kept
            return 0;
        }
    }

    /** Closes both files; later looks answer "unknown". */
    void close() {
        closeQuietly(stat);
        closeQuietly(schedstat);
        stat = null;
        schedstat = null;
    }

    boolean isOpen() {
        return stat != null;
    }

    private static void closeQuietly(RandomAccessFile f) {
        if (f != null) {
            try {
                f.close();
            } catch (IOException e) {
                // nothing to do: a diagnostic's descriptor
            }
        }
    }
}
