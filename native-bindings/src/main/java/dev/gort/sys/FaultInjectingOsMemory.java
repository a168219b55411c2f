package dev.gort.sys;

import java.util.EnumMap;
import java.util.Map;

/**
 * The real {@link OsMemory} with failures injected on chosen calls: the way to test error paths
 * (ENOMEM on reserve/commit, EAGAIN/EINVAL on release) without mocking the kernel. An injected
 * failure throws the same {@link NativeException} the real call would, before the call is made,
 * so no state changes, exactly as with a real failure. Thread-safe.
 */
public final class FaultInjectingOsMemory implements OsMemory {

    /** The operations a failure can be injected into, with the C call each one makes. */
    public enum Op {
        RESERVE("mmap"), COMMIT("mprotect"), RELEASE("madvise"), REMAP("mmap"), DECOMMIT("madvise"), UNMAP("munmap"),
        HUGEPAGES("madvise");

        final String call;

        Op(String call) {
            this.call = call;
        }
    }

    private record Plan(int skip, int failures, int errno) {
    }

    private final OsMemory real;
    private final Map<Op, Plan> plans = new EnumMap<>(Op.class);
    private final Map<Op, Integer> injected = new EnumMap<>(Op.class);

    public FaultInjectingOsMemory(OsMemory real) {
        this.real = real;
    }

    /** The next {@code count} calls of {@code op} fail with errno {@code errnoName} (e.g. "ENOMEM"). */
    public synchronized FaultInjectingOsMemory failNext(Op op, int count, String errnoName) {
        return failAfter(op, 0, count, errnoName);
    }

    /** After {@code skip} successful calls of {@code op}, the next {@code count} fail with {@code errnoName}. */
    public synchronized FaultInjectingOsMemory failAfter(Op op, int skip, int count, String errnoName) {
        if (skip < 0 || count < 0) {
            throw new IllegalArgumentException("skip and count must be >= 0, got " + skip + ", " + count);
        }
        plans.put(op, new Plan(skip, count, Errno.value(errnoName)));
        return this;
    }

    /** Removes every pending failure. */
    public synchronized void clear() {
        plans.clear();
    }

    /** How many failures of {@code op} have been injected so far. */
    public synchronized int injected(Op op) {
        return injected.getOrDefault(op, 0);
    }

    private synchronized void maybeFail(Op op, long address, long bytes) {
        Plan p = plans.get(op);
        if (p == null) {
            return;
        }
        if (p.skip > 0) {
            plans.put(op, new Plan(p.skip - 1, p.failures, p.errno));
            return;
        }
        if (p.failures == 0) {
            plans.remove(op);
            return;
        }
        plans.put(op, new Plan(0, p.failures - 1, p.errno));
        injected.merge(op, 1, Integer::sum);
        throw new NativeException(op.call, "addr=" + LibC.hex(address) + ", len=" + bytes + " [injected by FaultInjectingOsMemory]", p.errno);
    }

    @Override
    public long pageSize() {
        return real.pageSize();
    }

    @Override
    public long reserve(long bytes) {
        maybeFail(Op.RESERVE, 0, bytes);
        return real.reserve(bytes);
    }

    @Override
    public void commit(long address, long bytes) {
        maybeFail(Op.COMMIT, address, bytes);
        real.commit(address, bytes);
    }

    @Override
    public boolean release(long address, long bytes, Advice advice) {
        maybeFail(Op.RELEASE, address, bytes);
        return real.release(address, bytes, advice);
    }

    @Override
    public void remap(long address, long bytes) {
        maybeFail(Op.REMAP, address, bytes);
        real.remap(address, bytes);
    }

    @Override
    public void decommit(long address, long bytes) {
        maybeFail(Op.DECOMMIT, address, bytes);
        real.decommit(address, bytes);
    }

    @Override
    public void hugePages(long address, long bytes, boolean enable) {
        maybeFail(Op.HUGEPAGES, address, bytes);
        real.hugePages(address, bytes, enable);
    }

    @Override
    public void unmap(long address, long bytes) {
        maybeFail(Op.UNMAP, address, bytes);
        real.unmap(address, bytes);
    }

    @Override
    public long residentPages(long address, long bytes) {
        return real.residentPages(address, bytes);
    }
}
