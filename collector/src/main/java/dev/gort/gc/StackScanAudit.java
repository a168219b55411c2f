package dev.gort.gc;

import dev.gort.sched.G;
import dev.gort.sched.GStatus;
import dev.gort.sched.StackScans;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Debug: per cycle, how many times each goroutine's (SchedWorld) or registered thread's
 * (ThreadWorld) stack was scanned as a root, by whom, and which were live at the cycle's start and
 * at its mark termination. Issue #5's "no stack rescan" as a checkable fact: a stack live through
 * the whole cycle is scanned exactly once; one that ends during the mark at most once; one created
 * during the mark at most once (it starts with no frames, so it needs none: see
 * {@link #violations}).
 *
 * <p>Off unless a test turns it on ({@link Collector#auditStackScans}, before the first cycle).
 * The coordinator reads the switch once per cycle, in sweep termination, and hands it to the
 * scanners; each stack scan then costs one null test of a field when it is off (per stack, not per
 * frame). When on it allocates (a key and a list entry per scan, sets per cycle): tests only.
 */
final class StackScanAudit {
    /** One cycle: the stacks live at its start and at mark termination, and every scan made. */
    static final class Cycle {
        final long cycle;
        final Set<String> liveAtStart;
        Set<String> liveAtEnd;
        /** Stack ("goroutine 12", "thread 34") -> how each scan was made ("job WAITING", "onRun", ...). */
        final Map<String, List<String>> scans = new ConcurrentHashMap<>();

        Cycle(long cycle, Set<String> liveAtStart) {
            this.cycle = cycle;
            this.liveAtStart = liveAtStart;
        }

        int count(String stack) {
            List<String> l = scans.get(stack);
            return l == null ? 0 : l.size();
        }

        @Override
        public String toString() {
            return "gc " + cycle + ": live at start " + liveAtStart.size() + ", at end " + (liveAtEnd == null ? "-" : liveAtEnd.size())
                    + ", stacks scanned " + scans.size();
        }
    }

    private volatile Cycle current;
    private final List<Cycle> cycles = Collections.synchronizedList(new ArrayList<>());

    static String goroutine(long goid) {
        return "goroutine " + goid;
    }

    static String thread(long tid) {
        return "thread " + tid;
    }

    /** Sweep termination, world stopped, before any stack of the cycle is scanned. */
    void beginCycle(World world, long cycle) {
        current = new Cycle(cycle, live(world));
    }

    /** Mark termination, world stopped, after the last stack scan of the cycle. */
    void endCycle(World world) {
        Cycle c = current;
        if (c != null) {
            c.liveAtEnd = live(world);
            cycles.add(c);
            current = null;
        }
    }

    /** A stack was scanned as a root of the current cycle (any thread). */
    void scanned(String owner, long id, String how) {
        Cycle c = current;
        if (c != null) {
            c.scans.computeIfAbsent(owner + " " + id, k -> Collections.synchronizedList(new ArrayList<>())).add(how);
        }
    }

    /** Scan of goroutine {@code g} with {@code how} and its status now (for the test's coverage). */
    void scannedG(G g, String how) {
        scanned("goroutine", g.goid(), how + " " + GStatus.name(g.status()));
    }

    /** The cycles ended so far (a copy). */
    List<Cycle> cycles() {
        synchronized (cycles) {
            return new ArrayList<>(cycles);
        }
    }

    /**
     * Every breach of "each stack scanned once per cycle" in the ended cycles: a stack scanned more
     * than once; a stack live at the start and at mark termination never scanned. A stack that
     * ended during the mark, or was created during it, may have been scanned once or not at all.
     */
    List<String> violations() {
        List<String> out = new ArrayList<>();
        for (Cycle c : cycles()) {
            for (Map.Entry<String, List<String>> e : c.scans.entrySet()) {
                if (e.getValue().size() > 1) {
                    out.add("gc " + c.cycle + ": " + e.getKey() + " scanned " + e.getValue().size() + " times " + e.getValue());
                }
            }
            for (String s : c.liveAtStart) {
                if (c.liveAtEnd.contains(s) && c.count(s) == 0) {
                    out.add("gc " + c.cycle + ": " + s + ", live from sweep termination to mark termination, never scanned");
                }
            }
        }
        return out;
    }

    private static Set<String> live(World world) {
        Set<String> s = new HashSet<>();
        if (world instanceof SchedWorld sw) {
            for (int i = 0, n = StackScans.allgCount(sw.scheduler()); i < n; i++) {
                G g = StackScans.g(sw.scheduler(), i);
                int st = g.status();
                if (st != GStatus.DEAD && st != GStatus.IDLE) {
                    s.add(goroutine(g.goid()));
                }
            }
        } else {
            for (int i = 0, n = world.mutatorSlots(); i < n; i++) {
                Mutator m = world.mutatorAt(i);
                if (m != null && m.owner != null) {
                    s.add(thread(m.owner.threadId()));
                }
            }
        }
        return s;
    }
}
