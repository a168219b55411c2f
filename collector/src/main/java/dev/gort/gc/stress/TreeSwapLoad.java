package dev.gort.gc.stress;

import dev.gort.gc.Collector;
import dev.gort.gc.Global;
import dev.gort.gc.Mem;

import java.util.Random;

import static dev.gort.gc.stress.GraphModel.A;
import static dev.gort.gc.stress.GraphModel.B;
import static dev.gort.gc.stress.GraphModel.CHECK;
import static dev.gort.gc.stress.GraphModel.ID;

/**
 * TESTING.md G4, after Go's TestGCOld: two full binary trees of height {@code h} (14: 32767 nodes,
 * 1 MiB each) under two globals, mutated by swapping subtrees of equal height between random places
 * of either tree and by replacing small subtrees with newly built ones (the old ones become
 * garbage), while cycles run. A swap is two barriered stores with the first subtree held only in a
 * Java local between them: the hybrid barrier's deletion half (shade the overwritten pointer) is
 * what keeps it alive if marking runs. Every batch of operations ends with a walk of both trees:
 * every leaf at depth {@code h} and no node above it without two children (the height equals the
 * shortest path, as Go's check), the node count exact, and every node's payload intact.
 */
public final class TreeSwapLoad {
    /** Tree height ({@code -Dgort.stress.treeswap.height=}, default 14 as Go's TestGCOld). */
    public static final int DEFAULT_HEIGHT = Integer.getInteger("gort.stress.treeswap.height", 14);
    private static final int OPS_PER_BATCH = 256;
    /** Replaced subtrees are at most this high (127 nodes): allocation without rebuilding a whole tree. */
    private static final int MAX_REPLACED_HEIGHT = 6;
    private static final int POLL_EVERY_NODES = 2048;

    private final Collector gc;
    private final Random r;
    private final int who;
    private final int height;
    private final Global[] trees = new Global[2];
    private long serial;
    private long[] walkStack;
    private int[] walkLevel;

    public volatile long swaps;
    public volatile long replaced;
    public volatile long checkedWalks;

    public TreeSwapLoad(Collector gc, Random r, int who, int height) {
        if (height < 2 || height > 20) {
            throw new IllegalArgumentException("tree height " + height + " is out of range; accepted: 2..20");
        }
        this.gc = gc;
        this.r = r;
        this.who = who;
        this.height = height;
        walkStack = new long[height + 2];
        walkLevel = new int[height + 2];
    }

    /** Objects the two trees hold once built (both full): 2 x (2^(h+1) - 1). */
    public long liveObjects() {
        return 2L * ((1L << (height + 1)) - 1);
    }

    private long nextId() {
        return ((long) (0x100 | who) << 40) | serial++;
    }

    /**
     * Builds both trees, then swaps and replaces for {@code millis}, checking both trees after every
     * batch. {@code slots} needs one slot (a subtree being built); {@code poll} is the world's
     * safepoint (walks do not allocate).
     */
    public void run(long millis, Slots slots, Runnable poll) {
        run(millis, () -> false, slots, poll);
    }

    /**
     * As {@link #run(long, Slots, Runnable)}, then on batch by batch while {@code more} says so: a
     * test whose checks need the load to have met some collector event (cycles) waits for that
     * event rather than for a time a starved machine may not give it.
     */
    public void run(long millis, java.util.function.BooleanSupplier more, Slots slots, Runnable poll) {
        for (int t = 0; t < 2; t++) {
            trees[t] = gc.newGlobal();
            trees[t].set(build(height, slots));
            slots.set(0, 0);
        }
        verifyTrees(poll);
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end || more.getAsBoolean()) {
            for (int i = 0; i < OPS_PER_BATCH; i++) {
                if (r.nextInt(5) != 0) {
                    swap();
                } else {
                    replace(slots);
                }
            }
            poll.run();
            verifyTrees(poll);
        }
    }

    /**
     * A full tree of height {@code h}, built top-down in breadth-first order: the root sits in slot 0
     * from its allocation on, every later node is linked under its parent (already rooted through
     * slot 0) before the next allocation, so nothing lives only in the Java array across a safepoint.
     */
    private long build(int h, Slots slots) {
        int n = (1 << (h + 1)) - 1;
        long[] nodes = new long[n];
        for (int t = 0; t < n; t++) {
            long p = GraphModel.node(gc, nextId());
            nodes[t] = p;
            if (t == 0) {
                slots.set(0, p);
            } else {
                Mem.storePtr(nodes[(t - 1) / 2], (t - 1) % 2 == 0 ? A : B, p);
            }
        }
        return nodes[0];
    }

    /** The parent of a random node at {@code level} (>= 1) of tree {@code t}; the child's side in {@code side[0]}. */
    private long parentAt(int t, int level, int[] side) {
        long p = trees[t].get();
        for (int l = 1; l < level; l++) {
            p = Mem.loadPtr(p, r.nextBoolean() ? A : B);
        }
        side[0] = r.nextInt(2);
        return p;
    }

    private final int[] sideX = new int[1];
    private final int[] sideY = new int[1];

    private void swap() {
        int level = 1 + r.nextInt(height);
        long px = parentAt(r.nextInt(2), level, sideX);
        long py = parentAt(r.nextInt(2), level, sideY);
        long fx = sideX[0] == 0 ? A : B;
        long fy = sideY[0] == 0 ? A : B;
        if (px == py && fx == fy) {
            return;
        }
        long x = Mem.loadPtr(px, fx);
        long y = Mem.loadPtr(py, fy);
        Mem.storePtr(px, fx, y);       // x is now held only by this local (the barrier shaded it)...
        Mem.storePtr(py, fy, x);       // ...until it is linked again, with no safepoint between
        swaps++;
    }

    private void replace(Slots slots) {
        int level = Math.max(1, height - MAX_REPLACED_HEIGHT) + r.nextInt(Math.min(height, MAX_REPLACED_HEIGHT));
        long fresh = build(height - level, slots);          // rooted in slot 0 meanwhile
        long parent = parentAt(r.nextInt(2), level, sideX); // no safepoint from here to the store
        Mem.storePtr(parent, sideX[0] == 0 ? A : B, fresh);
        slots.set(0, 0);
        replaced++;
    }

    /** The root of tree {@code t} (0 or 1), or 0 before {@link #run} built it. */
    public long treeRoot(int t) {
        return trees[t] == null ? 0 : trees[t].get();
    }

    /**
     * Both trees: full to the height exactly, every payload intact; throws {@link StressFailure}
     * naming the first node that is not. {@code poll} is called every few thousand nodes.
     */
    public void verifyTrees(Runnable poll) {
        long expected = (1L << (height + 1)) - 1;
        for (int t = 0; t < 2; t++) {
            long count = 0;
            int sp = 0;
            walkStack[sp] = trees[t].get();
            walkLevel[sp++] = 0;
            while (sp > 0) {
                long p = walkStack[--sp];
                int level = walkLevel[sp];
                long id = Mem.getLong(p, ID);
                long chk = Mem.getLong(p, CHECK);
                if (chk != GraphModel.check(id)) {
                    throw new StressFailure("tree-swap load " + who + ", tree " + t + ": node 0x" + Long.toHexString(p)
                            + " at depth " + level + " lost its payload (freed early?): id " + Long.toHexString(id)
                            + ", check " + Long.toHexString(chk));
                }
                long a = Mem.loadPtr(p, A);
                long b = Mem.loadPtr(p, B);
                if (level == height) {
                    if (a != 0 || b != 0) {
                        throw new StressFailure("tree-swap load " + who + ", tree " + t + ": node 0x" + Long.toHexString(p)
                                + " at depth " + height + " (the height) has children 0x" + Long.toHexString(a) + ", 0x" + Long.toHexString(b));
                    }
                } else if (a == 0 || b == 0) {
                    throw new StressFailure("tree-swap load " + who + ", tree " + t + ": node 0x" + Long.toHexString(p)
                            + " at depth " + level + " < height " + height + " lacks a child (a path shorter than the height)");
                } else {
                    walkStack[sp] = a;
                    walkLevel[sp++] = level + 1;
                    walkStack[sp] = b;
                    walkLevel[sp++] = level + 1;
                }
                if (++count % POLL_EVERY_NODES == 0) {
                    poll.run();          // the trees are this load's alone: rooted, and unchanged by the poll
                }
            }
            if (count != expected) {
                throw new StressFailure("tree-swap load " + who + ", tree " + t + ": " + count + " nodes, expected " + expected);
            }
        }
        checkedWalks++;
    }

    /** Drops both trees (garbage from the next cycle). */
    public void release() {
        for (Global g : trees) {
            if (g != null) {
                g.close();
            }
        }
    }
}
