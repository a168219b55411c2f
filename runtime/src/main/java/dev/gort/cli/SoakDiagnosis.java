package dev.gort.cli;

import dev.gort.arena.Heap;
import dev.gort.gc.Mem;
import dev.gort.gc.stress.GraphModel;
import dev.gort.gc.stress.TreeSwapLoad;

import java.util.HashSet;
import java.util.Set;

/**
 * When a round end finds more (or fewer) live objects than the loads reach: which objects they
 * are. Slow (it probes every 16 bytes of the committed arena with findObject), so only on failure.
 */
final class SoakDiagnosis {
    private SoakDiagnosis() {
    }

    /** Up to 12 allocated objects no load reaches, with their id words (which load made them), and the missing count. */
    static String unexpectedObjects(Heap heap, GraphModel[] models, TreeSwapLoad tree) {
        Set<Long> expected = new HashSet<>();
        for (GraphModel m : models) {
            for (GraphModel.Obj o : m.reachable()) {
                expected.add(o.address());
            }
        }
        for (int t = 0; t < 2; t++) {
            walk(tree.treeRoot(t), expected);
        }
        StringBuilder sb = new StringBuilder("allocated and reached by no load:");
        int shown = 0;
        long extra = 0;
        Set<Long> found = new HashSet<>();
        long base = heap.arenaBase();
        long end = base + heap.arenaCommittedBytes();
        long last = 0;
        for (long a = base; a < end; a += 16) {
            long obj = heap.gc().findObject(a);
            if (obj == 0 || obj == last) {
                continue;
            }
            last = obj;
            if (!found.add(obj)) {
                continue;
            }
            if (!expected.contains(obj)) {
                extra++;
                if (shown++ < 12) {
                    long id = Mem.getLong(obj, GraphModel.ID);
                    sb.append(String.format(" 0x%x id=0x%x (%s) check %s a=0x%x b=0x%x;", obj, id, origin(id),
                            Mem.getLong(obj, GraphModel.CHECK) == GraphModel.check(id) ? "ok" : "BAD",
                            Mem.loadPtr(obj, GraphModel.A), Mem.loadPtr(obj, GraphModel.B)));
                }
            }
        }
        long missing = 0;
        for (long e : expected) {
            if (!found.contains(e)) {
                missing++;
            }
        }
        return sb.append(" ").append(extra).append(" unexpected, ").append(missing).append(" reached but not allocated").toString();
    }

    private static String origin(long id) {
        if ((id & (1L << 62)) != 0) {
            return "pool child";
        }
        long who = id >>> 40;
        if (who >= 0x100 && who < 0x200) {
            return "tree node";
        }
        if (who < 0x100 && (id & ((1L << 40) - 1)) != 0 && who < 16) {
            return who == 0 && id < (1L << 40) ? "model 0 or pool object" : "model " + who;
        }
        return "?";
    }

    private static void walk(long root, Set<Long> into) {
        java.util.ArrayDeque<Long> q = new java.util.ArrayDeque<>();
        if (root != 0) {
            q.add(root);
        }
        while (!q.isEmpty()) {
            long p = q.poll();
            if (into.add(p)) {
                long a = Mem.loadPtr(p, GraphModel.A);
                long b = Mem.loadPtr(p, GraphModel.B);
                if (a != 0) {
                    q.add(a);
                }
                if (b != 0) {
                    q.add(b);
                }
            }
        }
    }
}
