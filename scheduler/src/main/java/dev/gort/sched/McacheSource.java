package dev.gort.sched;

/**
 * Gives each P its allocator cache (Go's {@code p.mcache}): the arena's {@code Heap::newCache} /
 * {@code Heap::releaseCache} in a full runtime. The scheduler only holds the object; allocation
 * code reads it with {@link Go#mcache()}.
 */
public interface McacheSource {
    Object newCache();

    void releaseCache(Object cache);
}
