package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The global run queue's ring against a reference FIFO (ArrayDeque), through growth and wrap-around. */
class GlobalRunQueueTest {

    @Test
    void fifoAtEveryFillLevelWithWrapAround() {
        GlobalRunQueue q = new GlobalRunQueue();
        long next = 1;
        long expect = 1;
        // Each level starts at a different head position (the previous levels moved it).
        for (int level = 0; level <= 600; level += 7) {
            for (int i = 0; i < level; i++) {
                q.put(next++);
            }
            assertEquals(level, q.size());
            for (int i = 0; i < level; i++) {
                assertEquals(expect++, q.pop(), "level " + level);
            }
            assertEquals(0, q.pop());
            assertEquals(0, q.size());
        }
    }

    /** Random puts, batch puts, pops, batch pops and put-backs; every step checked against the model. */
    @Test
    void randomOperationsMatchAReferenceFifo() {
        SplittableRandom rnd = new SplittableRandom(42);
        GlobalRunQueue q = new GlobalRunQueue();
        ArrayDeque<Long> model = new ArrayDeque<>();
        long[] batch = new long[PDescriptor.RUNQ_SIZE / 2 + 1];
        long next = 1;
        int ops = Integer.getInteger("gort.stress.globrunq", 200_000);
        for (int op = 0; op < ops; op++) {
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    q.put(next);
                    model.addLast(next++);
                }
                case 1 -> {
                    int n = 1 + rnd.nextInt(batch.length);
                    for (int i = 0; i < n; i++) {
                        batch[i] = next;
                        model.addLast(next++);
                    }
                    q.putBatch(batch, n);
                }
                case 2 -> {
                    Long m = model.pollFirst();
                    assertEquals(m == null ? 0 : m, q.pop(), "op " + op);
                }
                case 3 -> {
                    int want = rnd.nextInt(batch.length);
                    int got = q.popBatch(batch, want);
                    assertEquals(Math.min(want, model.size()), got, "op " + op);
                    for (int i = 0; i < got; i++) {
                        assertEquals(model.pollFirst(), batch[i], "op " + op + " item " + i);
                    }
                    if (rnd.nextBoolean()) {
                        // The local queue had no room: all of them go back to the front, in order.
                        q.unpopBatch(batch, got);
                        for (int i = got - 1; i >= 0; i--) {
                            model.addFirst(batch[i]);
                        }
                    }
                }
                default -> {
                    // Drain sometimes, so the ring is exercised near empty as well as large.
                    if (rnd.nextInt(50) == 0) {
                        while (!model.isEmpty()) {
                            assertEquals(model.pollFirst(), q.pop());
                        }
                    }
                }
            }
            assertEquals(model.size(), q.size(), "op " + op);
        }
        while (!model.isEmpty()) {
            assertEquals(model.pollFirst(), q.pop());
        }
        assertEquals(0, q.pop());
    }

    /** GTable.desc computes the address GTable.allocate gave each G, across chunks. */
    @Test
    void descriptorAddressesComputedFromRefsMatchTheGs() {
        Scheduler s = Scheduler.create(SchedConfig.defaults().gomaxprocs(1));
        try {
            GTable t = s.gtable;
            for (int i = 0; i < 2 * GTable.CHUNK + 3; i++) {
                G g = t.allocate(s);
                assertEquals(g.desc, t.desc(g.ref), "G " + i);
                assertEquals(0, g.desc & 63, "descriptors are cache-line aligned");
            }
        } finally {
            s.close();
        }
    }
}
