package dev.gort.gc.stress;

import dev.gort.gc.Collector;
import dev.gort.gc.Global;
import dev.gort.gc.Mem;
import dev.gort.gc.PtrChan;
import dev.gort.gc.RootSlots;
import dev.gort.gc.Type;
import dev.gort.sched.Frame;
import dev.gort.sched.Go;
import dev.gort.sched.Select;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TESTING.md G1's reference model: one mutator's random object graph on the gort heap, mirrored by
 * a graph of Java objects ({@link Obj}). Operations: allocate into a root slot (sometimes also
 * linked below a reachable object), overwrite a pointer field, unlink, set a global, set a root
 * slot (no barrier), and under the scheduler move a pointer through two pointer channels and an
 * echo goroutine (the value in flight is rooted only by a channel buffer or a parked sender). A
 * binary tree of {@link #TREE_DEPTH} under its own global gives concurrent marking work; its own
 * fields never change. After every GC cycle the model checks every object it can reach: payload
 * and both pointer fields; a mismatch throws {@link StressFailure} naming the object.
 *
 * <p>The mirror is a Java object graph on purpose: an object the model can no longer reach is
 * garbage to the JVM too, so the model's memory follows the live graph, not the operations run
 * (an id-indexed list grew by one entry per allocation, about 1 GB a minute over threads). Ids
 * are longs ({@code who << 40 | n}) written into the native payload.
 *
 * <p>Threads: run under a ThreadWorld with the thread's {@link RootSlots}; the roots left at the
 * end move to extra globals (the slots die with the thread). Goroutines: run with a pushed
 * {@link Frame}; channels are drained and freed before the frame is popped.
 */
public final class GraphModel {
    /** Node: two pointers, an id and a check word derived from it (32 bytes, one size class). */
    public static final Type NODE = Type.struct("Node").pointer("a").pointer("b").longField("id").longField("check").build();
    public static final long A = NODE.offset("a");
    public static final long B = NODE.offset("b");
    public static final long ID = NODE.offset("id");
    public static final long CHECK = NODE.offset("check");
    /** Bytes a node takes in the heap (its size class). */
    public static final long NODE_SLOT = 32;
    public static final int SLOTS = 8;
    public static final int GLOBALS = 4;
    /** Fewer than 1 held by the echo + 3 buffered: a send never blocks for good. */
    static final int MAX_INFLIGHT = 4;
    /**
     * Depth of the binary tree each model builds under its own global before mutating
     * ({@code -Dgort.stress.tree=}, default 12: 4095 nodes, 128 KiB).
     */
    public static final int TREE_DEPTH = Integer.getInteger("gort.stress.tree", 12);

    /** The check word stored beside an id: a payload that poison (0xDF..) or reuse cannot fake. */
    public static long check(long id) {
        return id * 0x9E3779B97F4A7C15L ^ 0x5DEECE66DL;
    }

    /** Allocates a node with {@code id} and its check word. A safepoint: root what you hold. */
    public static long node(Collector gc, long id) {
        long p = gc.alloc(NODE);
        Mem.putLong(p, ID, id);
        Mem.putLong(p, CHECK, check(id));
        return p;
    }

    /** One mirrored heap object. */
    public static final class Obj {
        final long id;
        final long addr;
        final boolean tree;
        Obj a;
        Obj b;

        Obj(long id, long addr, boolean tree) {
            this.id = id;
            this.addr = addr;
            this.tree = tree;
        }

        Obj kid(int k) {
            return k == 0 ? a : b;
        }

        void setKid(int k, Obj o) {
            if (k == 0) {
                a = o;
            } else {
                b = o;
            }
        }

        public long address() {
            return addr;
        }
    }

    final Collector gc;
    final Random r;
    final int who;
    private long nextSerial;
    final Obj[] frameRoots = new Obj[SLOTS];
    final Obj[] globalRoots = new Obj[GLOBALS];
    final Global[] globals = new Global[GLOBALS];
    final Global treeRoot;
    Obj treeRootObj;
    final List<Global> extra = new ArrayList<>();
    final List<Obj> extraObjs = new ArrayList<>();
    /** Objects sent into out and not yet received from back, in order. */
    final ArrayDeque<Obj> inflight = new ArrayDeque<>();
    PtrChan out;
    PtrChan back;

    /** Operations done (read by monitors while it runs: a plain field, figures only). */
    public volatile long ops;
    public long allocations;
    public long chanSends;
    public long parkedSends;
    public long inFlightAtCycles;
    public long cyclesVerified;
    /** The echo goroutine uses Select cases (beside a case on a channel nobody uses) instead of plain ops. */
    public boolean selectEcho;

    public GraphModel(Collector gc, Random r, int who) {
        this.gc = gc;
        this.r = r;
        this.who = who;
        for (int i = 0; i < GLOBALS; i++) {
            globals[i] = gc.newGlobal();
        }
        treeRoot = gc.newGlobal();
    }

    private long nextId() {
        return ((long) who << 40) | nextSerial++;
    }

    /** Top-down, so each new node is linked under the global-rooted tree before the next allocation. */
    private void buildTree() {
        int n = (1 << TREE_DEPTH) - 1;
        Obj[] nodes = new Obj[n];
        for (int t = 0; t < n; t++) {
            long id = nextId();
            Obj o = new Obj(id, node(gc, id), true);
            allocations++;
            nodes[t] = o;
            if (t == 0) {
                treeRoot.set(o.addr);
                treeRootObj = o;
            } else {
                Obj parent = nodes[(t - 1) / 2];
                int k = (t - 1) % 2;
                Mem.storePtr(parent.addr, k == 0 ? A : B, o.addr);
                parent.setKid(k, o);
            }
        }
    }

    private java.util.function.BooleanSupplier unmetPrecondition = () -> false;
    private long preconditionCapNanos;

    /**
     * After its {@code millis}, {@link #run} goes on while {@code unmet} says true (checked every
     * 1024 operations), for at most {@code capMillis} more: a test whose assertions need, say,
     * some cycles to have run meets them on a starved machine instead of failing for want of
     * CPU (the count is the run's precondition, not what it checks).
     */
    public void keepGoingWhile(java.util.function.BooleanSupplier unmet, long capMillis) {
        this.unmetPrecondition = java.util.Objects.requireNonNull(unmet, "unmet");
        if (capMillis < 0) {
            throw new IllegalArgumentException("capMillis must be >= 0, got " + capMillis);
        }
        this.preconditionCapNanos = capMillis * 1_000_000L;
    }

    /**
     * Runs {@code maxOps} operations or until {@code millis} pass (and {@link #keepGoingWhile}'s
     * precondition is met), whichever comes first, as a registered thread ({@code threadRoots}
     * its slots) or as a goroutine ({@code threadRoots} null).
     */
    public void run(long maxOps, long millis, RootSlots threadRoots) {
        if (threadRoots != null) {
            loop(maxOps, millis, Slots.of(threadRoots));
            moveFrameRootsToGlobals();        // the thread's root slots go away with it
            return;
        }
        out = PtrChan.create(gc, 0);
        back = PtrChan.create(gc, 3);
        AtomicInteger echoDone = new AtomicInteger();
        boolean viaSelect = selectEcho;
        PtrChan in = out;
        PtrChan ret = back;
        Go.go(() -> {
            if (viaSelect) {
                selectEcho(gc, in, ret);
            } else {
                echo(in, ret);
            }
            echoDone.set(1);
        });
        try (Frame f = Frame.push(SLOTS)) {
            Slots slots = Slots.of(f);
            loop(maxOps, millis, slots);
            while (!inflight.isEmpty()) {
                receiveInto(slots);
            }
            out.close();
            if (back.recv() != 0) {                 // 0 once the echo closed it: nothing left
                throw new StressFailure("model " + who + ": a pointer came back that was never sent");
            }
            while (echoDone.get() == 0) {
                Go.gosched();
            }
            parkedSends = out.sendParks() + back.sendParks();
            out.free();
            back.free();
            moveFrameRootsToGlobals();              // the frame is about to go
        }
    }

    private void moveFrameRootsToGlobals() {
        for (int i = 0; i < SLOTS; i++) {
            if (frameRoots[i] != null) {
                Global g = gc.newGlobal();
                g.set(frameRoots[i].addr);
                extra.add(g);
                extraObjs.add(frameRoots[i]);
            }
        }
    }

    /**
     * The echo goroutine: receives pointers from {@code in} and sends them back on {@code out}, in
     * order, until {@code in} is closed (the model never sends 0). Between the receive and the send
     * the pointer is a Java local with no safepoint in between; a send that finds the buffer full
     * parks with the pointer in a frame (a parked sender's value as a root).
     */
    static void echo(PtrChan in, PtrChan out) {
        for (;;) {
            long v = in.recv();
            if (v == 0) {
                break;
            }
            out.send(v);
        }
        out.close();
    }

    /**
     * {@link #echo} through Select: a receive case on {@code in} and a send case on {@code out},
     * each beside a case on a channel nobody uses (so the mixed select runs, not a plain channel
     * op). A blocked send parks with the pointer in the select's frame.
     */
    static void selectEcho(Collector gc, PtrChan in, PtrChan out) {
        Select s = new Select();
        PtrChan idle = PtrChan.create(gc, 0);
        for (;;) {
            s.clear().recvPtr(idle).recvPtr(in);
            int i = s.select();
            StressFailure.expect(i == 1, () -> "select echo: case " + i + " was ready; only the echo's input ever is");
            long v = s.pointer();
            if (!s.ok()) {
                break;
            }
            s.clear().recvPtr(idle).sendPtr(out, v);
            int j = s.select();
            StressFailure.expect(j == 1, () -> "select echo: case " + j + " was ready; only the send ever is");
        }
        out.close();
        idle.close();
        idle.free();
    }

    private void receiveInto(Slots f) {
        long v = back.recv();
        Obj o = inflight.poll();
        if (o == null || o.addr != v) {
            throw new StressFailure("model " + who + ": pointer channel returned 0x" + Long.toHexString(v) + ", expected "
                    + (o == null ? "nothing" : "0x" + Long.toHexString(o.addr) + " (FIFO)"));
        }
        int slot = r.nextInt(SLOTS);
        f.set(slot, v);
        frameRoots[slot] = o;
    }

    private void loop(long maxOps, long millis, Slots f) {
        buildTree();
        long end = System.nanoTime() + millis * 1_000_000L;
        long hardEnd = end + preconditionCapNanos;
        long lastCycles = gc.cycles();
        while (ops < maxOps && ((ops & 1023) != 0 || System.nanoTime() < end
                || (System.nanoTime() < hardEnd && unmetPrecondition.getAsBoolean()))) {
            step(f);
            ops++;
            long c = gc.cycles();
            if (c != lastCycles) {
                lastCycles = c;
                if (!inflight.isEmpty()) {
                    inFlightAtCycles++;
                }
                verify(reachable());
                cyclesVerified++;
            }
        }
    }

    /** A reachable object to read (may be anywhere in the tree), or null. */
    private Obj pickReachable() {
        return pick(SLOTS + GLOBALS + 1);
    }

    /**
     * A reachable object to overwrite a field of, never a tree node: the tree stays whole (mark
     * work every cycle) while frames, globals, objects and channels point into it.
     */
    private Obj pickWritable() {
        Obj x = pick(SLOTS + GLOBALS);
        return x == null || x.tree ? null : x;
    }

    private Obj pick(int starts) {
        int k = r.nextInt(starts);
        Obj start = k < SLOTS ? frameRoots[k] : k < SLOTS + GLOBALS ? globalRoots[k - SLOTS] : treeRootObj;
        if (start == null) {
            return null;
        }
        int steps = r.nextInt(k == SLOTS + GLOBALS ? TREE_DEPTH + 1 : 4);
        Obj cur = start;
        for (int s = 0; s < steps; s++) {
            Obj next = cur.kid(r.nextInt(2));
            if (next == null) {
                break;
            }
            cur = next;
        }
        return cur;
    }

    private static long addr(Obj o) {
        return o == null ? 0 : o.addr;
    }

    private void step(Slots f) {
        int op = r.nextInt(out != null ? 112 : 100);
        if (op >= 100) {
            if (op < 106) {                              // move a frame root into the pointer channel
                int slot = r.nextInt(SLOTS);
                Obj x = frameRoots[slot];
                if (x != null && inflight.size() < MAX_INFLIGHT) {
                    f.set(slot, 0);                      // now only the Java local holds it...
                    frameRoots[slot] = null;
                    inflight.add(x);
                    out.send(x.addr);                    // ...until send roots it (no safepoint before)
                    chanSends++;
                }
            } else if (!inflight.isEmpty()) {            // take the oldest back into a frame slot
                receiveInto(f);
            }
            return;
        }
        if (op < 40) {                                   // allocate into a frame slot
            long id = nextId();
            Obj o = new Obj(id, node(gc, id), false);
            allocations++;
            int slot = r.nextInt(SLOTS);
            f.set(slot, o.addr);
            frameRoots[slot] = o;
            if (r.nextBoolean()) {                       // sometimes link it below an existing one too
                Obj x = pickWritable();
                if (x != null) {
                    int k = r.nextInt(2);
                    Mem.storePtr(x.addr, k == 0 ? A : B, o.addr);
                    x.setKid(k, o);
                }
            }
        } else if (op < 65) {                            // link two reachable objects (overwrite)
            Obj x = pickWritable();
            Obj y = pickReachable();
            if (x != null) {
                int k = r.nextInt(2);
                Mem.storePtr(x.addr, k == 0 ? A : B, addr(y));
                x.setKid(k, y);
            }
        } else if (op < 80) {                            // unlink
            Obj x = pickWritable();
            if (x != null) {
                int k = r.nextInt(2);
                Mem.storePtr(x.addr, k == 0 ? A : B, 0);
                x.setKid(k, null);
            }
        } else if (op < 90) {                            // global <- reachable or null
            int g = r.nextInt(GLOBALS);
            Obj x = r.nextInt(4) == 0 ? null : pickReachable();
            globals[g].set(addr(x));
            globalRoots[g] = x;
        } else {                                         // frame slot <- reachable or null (no barrier)
            int slot = r.nextInt(SLOTS);
            Obj x = r.nextInt(3) == 0 ? null : pickReachable();
            f.set(slot, addr(x));
            frameRoots[slot] = x;
        }
    }

    /** Every object the model can reach from its roots (frames, globals, extras, tree, in flight). */
    public Set<Obj> reachable() {
        Set<Obj> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Obj> q = new ArrayDeque<>();
        List<Obj> roots = new ArrayList<>(Arrays.asList(frameRoots));
        roots.addAll(Arrays.asList(globalRoots));
        roots.addAll(extraObjs);
        roots.add(treeRootObj);
        roots.addAll(inflight);
        for (Obj o : roots) {
            if (o != null && seen.add(o)) {
                q.add(o);
            }
        }
        while (!q.isEmpty()) {
            Obj o = q.poll();
            if (o.a != null && seen.add(o.a)) {
                q.add(o.a);
            }
            if (o.b != null && seen.add(o.b)) {
                q.add(o.b);
            }
        }
        return seen;
    }

    /** Checks payload and both pointer fields of every object in {@code reach}. */
    public void verify(Set<Obj> reach) {
        for (Obj o : reach) {
            long p = o.addr;
            long id = Mem.getLong(p, ID);
            long chk = Mem.getLong(p, CHECK);
            if (id != o.id || chk != check(o.id)) {
                throw new StressFailure("object 0x" + Long.toHexString(p) + " (id " + Long.toHexString(o.id) + ") of model "
                        + who + " lost its payload (freed early?): id " + Long.toHexString(id) + ", check " + Long.toHexString(chk));
            }
            long a = Mem.loadPtr(p, A);
            long b = Mem.loadPtr(p, B);
            if (a != addr(o.a) || b != addr(o.b)) {
                throw new StressFailure("object 0x" + Long.toHexString(p) + " of model " + who + ": fields a=0x"
                        + Long.toHexString(a) + " b=0x" + Long.toHexString(b) + ", the model has a=0x"
                        + Long.toHexString(addr(o.a)) + " b=0x" + Long.toHexString(addr(o.b)));
            }
        }
    }

    /** Drops every root the model holds (globals closed); the graph is garbage from the next cycle. */
    public void release() {
        treeRoot.close();
        for (Global g : globals) {
            g.close();
        }
        for (Global g : extra) {
            g.close();
        }
    }
}
