package dev.gort.gc;

import java.lang.foreign.Arena;
import java.util.BitSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deliberately simple heap for unit tests of the marker's logic: bump allocation in one native
 * region, a sorted map of objects, a set of mark bits. Integration tests use the real arena.
 */
final class SimpleMarkHeap implements MarkHeap, AutoCloseable {
    private final Arena arena = Arena.ofShared();
    final long base;
    final long size;
    private long next;
    private final TreeMap<Long, Type> objects = new TreeMap<>();
    private final Set<Long> marks = ConcurrentHashMap.newKeySet();
    private final BitSet ptrBits = new BitSet();
    final Map<Long, AtomicLong> scans = new ConcurrentHashMap<>();

    SimpleMarkHeap(long bytes) {
        this.size = bytes;
        this.base = arena.allocate(bytes, 4096).address();
        this.next = base;
    }

    synchronized long alloc(Type t) {
        long sz = (t.size() + 15) & -16;
        long p = next;
        next += sz;
        if (next > base + size) {
            throw new IllegalStateException("test heap full");
        }
        objects.put(p, t);
        for (long w = 0; w < t.ptrWords(); w++) {
            if (t.isPointerWord(w)) {
                ptrBits.set((int) ((p - base) / 8 + w));
            }
        }
        return p;
    }

    synchronized void free(long p) {
        Type t = objects.remove(p);
        for (long w = 0; w < t.ptrWords(); w++) {
            ptrBits.clear((int) ((p - base) / 8 + w));
        }
    }

    void clearMark(long p) {
        marks.remove(p);
    }

    void clearMarks() {
        marks.clear();
    }

    Set<Long> marked() {
        return marks;
    }

    @Override
    public synchronized long spanOf(long a) {
        if (!inArena(a)) {
            return 0;
        }
        Map.Entry<Long, Type> e = objects.floorEntry(a);
        if (e != null && a < e.getKey() + e.getValue().size()) {
            return e.getKey();      // one "span" per object keeps noscan per object
        }
        return 1;                   // inside the arena but no object: a free slot
    }

    @Override
    public synchronized long findObject(long a) {
        long s = spanOf(a);
        return s > 1 ? s : 0;
    }

    @Override
    public synchronized long objectSize(long s) {
        return objects.get(s).size();
    }

    @Override
    public synchronized boolean isNoscan(long s) {
        return objects.get(s).noscan();
    }

    @Override
    public boolean tryMark(long b) {
        return marks.add(b);
    }

    @Override
    public boolean isMarked(long b) {
        return marks.contains(b);
    }

    @Override
    public synchronized boolean isPointerWord(long a) {
        if (((a - base) & 7) == 0) {
            scans.computeIfAbsent(objects.floorKey(a), k -> new AtomicLong());
        }
        return ptrBits.get((int) ((a - base) / 8));
    }

    @Override
    public boolean inArena(long a) {
        return a >= base && a < base + size;
    }

    @Override
    public String describeSpan(long s) {
        return s == 1 ? "span free" : "span 0x" + Long.toHexString(s) + " size " + objects.get(s).size();
    }

    @Override
    public void close() {
        arena.close();
    }
}
