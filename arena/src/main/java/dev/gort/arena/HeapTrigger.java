package dev.gort.arena;

/**
 * Called by the allocator when heapLive reaches the trigger set with
 * {@link GcSupport#setTrigger}: the collector (an upper module) installs its implementation at
 * bootstrap and typically starts a cycle. Called on the allocating thread, on the slow path
 * (span refill or large allocation), with no allocator lock held; it must not assume a
 * particular thread. It is called again on every later refill while heapLive stays at or above
 * the trigger, so an implementation raises the trigger or ignores repeats.
 */
@FunctionalInterface
public interface HeapTrigger {
    void heapReachedTrigger(Heap heap, long heapLive);

    /**
     * At a span refill below the trigger, when the trigger was armed with a stack-span count
     * ({@link GcSupport#setTrigger(long, HeapTrigger, long)}) and stack spans were taken or
     * returned since: the figures the trigger was computed from are stale. Same calling context
     * as {@link #heapReachedTrigger}. Called again at every such refill until the hook re-arms the
     * trigger with the count it read. The default does nothing.
     */
    default void stacksChanged(Heap heap, long heapLive) {
    }
}
