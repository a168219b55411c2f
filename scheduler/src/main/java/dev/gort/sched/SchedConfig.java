package dev.gort.sched;

import java.util.Map;

/**
 * Scheduler settings. {@link #fromEnvironment()} reads Go's variables ({@code GOMAXPROCS},
 * {@code GORT_AFFINITY}, the {@code schedtrace}/{@code scheddetail} keys of {@code GORT_DEBUG}) or
 * the system properties {@code gort.gomaxprocs}, {@code gort.affinity}, {@code gort.debug}; a
 * malformed value is an IllegalArgumentException naming the key, the value and the accepted form.
 */
public final class SchedConfig {
    /**
     * The highest GOMAXPROCS, at start and at run time ({@code Scheduler.setGomaxprocs}): the
     * scheduler reserves this many P references up front and creates the Ps themselves lazily.
     */
    public static final int MAX_PROCS = 1024;
    int gomaxprocs = Math.max(1, Runtime.getRuntime().availableProcessors());
    Affinity affinity = Affinity.NONE;
    int schedtraceMillis;
    boolean scheddetail;
    FatalHandler fatalHandler = FatalHandler.EXIT;
    PanicHandler panicHandler;
    StackSource stackSource = StackSource.malloc();
    McacheSource mcacheSource;
    long startingStackBytes = 2048;
    long maxStackBytes = 1L << 30;
    /** The largest shadow stack: its size is a 32-bit field of the G descriptor (GDescriptor.STACK_SIZE). */
    public static final long MAX_STACK_LIMIT = 1L << 30;
    /** Built-in retake of Ps blocked in syscalls (until sysmon does it); <= 0 disables. */
    long syscallRetakeNanos = 1_000_000;
    int maxThreads = 10_000;

    public static SchedConfig defaults() {
        return new SchedConfig();
    }

    public static SchedConfig fromEnvironment() {
        return from(System.getenv(), System.getProperties());
    }

    static SchedConfig from(Map<String, String> env, java.util.Properties props) {
        SchedConfig c = new SchedConfig();
        String procs = props.getProperty("gort.gomaxprocs", env.get("GOMAXPROCS"));
        if (procs != null && !procs.isBlank()) {
            int n;
            try {
                n = Integer.parseInt(procs.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1) {
                throw new IllegalArgumentException("GOMAXPROCS=" + procs + " is not valid; accepted: a positive integer (e.g. GOMAXPROCS=4)");
            }
            c.gomaxprocs = Math.min(n, MAX_PROCS);
        }
        String aff = props.getProperty("gort.affinity", env.get("GORT_AFFINITY"));
        if (aff != null) {
            c.affinity = Affinity.parse(aff);
        }
        String debug = props.getProperty("gort.debug", env.get("GORT_DEBUG"));
        if (debug != null && !debug.isBlank()) {
            for (String kv : debug.split(",")) {
                int eq = kv.indexOf('=');
                String k = eq < 0 ? kv.trim() : kv.substring(0, eq).trim();
                String v = eq < 0 ? "" : kv.substring(eq + 1).trim();
                if (k.equals("schedtrace")) {
                    c.schedtraceMillis = parseNonNegative("GORT_DEBUG schedtrace", v, "milliseconds, e.g. schedtrace=1000");
                } else if (k.equals("scheddetail")) {
                    c.scheddetail = parseNonNegative("GORT_DEBUG scheddetail", v, "0 or 1") != 0;
                }
                // Other keys belong to other modules (the runtime validates the whole string).
            }
        }
        return c;
    }

    private static int parseNonNegative(String key, String v, String accepted) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException(key + "=" + v + " is not valid; accepted: a non-negative integer (" + accepted + ")");
    }

    public SchedConfig gomaxprocs(int n) {
        if (n < 1 || n > MAX_PROCS) {
            throw new IllegalArgumentException("GOMAXPROCS " + n + " out of range; accepted: 1.." + MAX_PROCS);
        }
        gomaxprocs = n;
        return this;
    }

    public SchedConfig affinity(Affinity a) {
        affinity = a;
        return this;
    }

    public SchedConfig schedtrace(int millis, boolean detail) {
        if (millis < 0) {
            throw new IllegalArgumentException("schedtrace " + millis + " ms is negative; accepted: 0 (off) or a period in ms");
        }
        schedtraceMillis = millis;
        scheddetail = detail;
        return this;
    }

    public SchedConfig fatalHandler(FatalHandler h) {
        fatalHandler = h;
        return this;
    }

    public SchedConfig panicHandler(PanicHandler h) {
        panicHandler = h;
        return this;
    }

    public SchedConfig stackSource(StackSource s) {
        stackSource = s;
        return this;
    }

    public SchedConfig mcacheSource(McacheSource s) {
        mcacheSource = s;
        return this;
    }

    /**
     * Wires the arena in: shadow stacks from {@code heap.stacks()} (the arena's StackAllocator) and
     * one {@code MCache} per P from {@code heap.newCache()}, released at shutdown. The stack limit
     * becomes the heap's {@code maxStackBytes}.
     */
    public SchedConfig heap(dev.gort.arena.Heap heap) {
        dev.gort.arena.StackAllocator stacks = heap.stacks();
        stackSource = new StackSource() {
            @Override
            public long alloc(long bytes) {
                return stacks.alloc(bytes);
            }

            @Override
            public void free(long address, long bytes) {
                stacks.free(address, bytes);
            }
        };
        mcacheSource = new McacheSource() {
            @Override
            public Object newCache() {
                return heap.newCache();
            }

            @Override
            public void releaseCache(Object cache) {
                if (!heap.isClosed()) {
                    heap.releaseCache((dev.gort.arena.MCache) cache);
                }
            }
        };
        maxStackBytes = Math.max(startingStackBytes, Math.min(MAX_STACK_LIMIT, heap.config().maxStackBytes()));
        return this;
    }

    public SchedConfig stackSizes(long startingBytes, long maxBytes) {
        if (startingBytes < 64 || Long.bitCount(startingBytes) != 1 || maxBytes < startingBytes || maxBytes > MAX_STACK_LIMIT) {
            throw new IllegalArgumentException("stack sizes " + startingBytes + "/" + maxBytes
                    + " not valid; accepted: starting size a power of two >= 64, max >= starting and at most " + MAX_STACK_LIMIT);
        }
        startingStackBytes = startingBytes;
        maxStackBytes = maxBytes;
        return this;
    }

    /** Threshold for the built-in retake of a P whose M blocks in a syscall; <= 0 leaves it to sysmon. */
    public SchedConfig syscallRetake(long nanos) {
        syscallRetakeNanos = nanos;
        return this;
    }

    public SchedConfig maxThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("maxThreads " + n + " must be >= 1");
        }
        maxThreads = n;
        return this;
    }

    public int gomaxprocs() {
        return gomaxprocs;
    }

    public Affinity affinity() {
        return affinity;
    }
}
