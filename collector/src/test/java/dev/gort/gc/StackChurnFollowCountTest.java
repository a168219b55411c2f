package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.arena.StackAllocator;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What following the stacks costs under goroutine churn (review36a F2): short-lived goroutines
 * whose grown 8 KiB stacks are freed at exit (ShadowStack.reset frees a grown stack; a starting
 * one stays with the dead G) take a second 32 KiB small-stack span and return one every round,
 * so every refill after a round finds the trigger stale. A re-arm (one heap-lock acquisition, the
 * pacer's arithmetic, setNextGC, all under ctl) is paid at most once per stack-span change and
 * at most once per refill; the counts per cycle are printed for the docs. Stacks are taken from
 * the arena's StackAllocator directly, in the order a scheduler's goroutines would.
 */
class StackChurnFollowCountTest extends ThreadWorldFixture {
    static final Type NODE = MemoryLimitTriggerStacksTest.NODE;
    static final long LIMIT = MemoryLimitTriggerStacksTest.LIMIT;
    /** Grown stacks of this size are freed when their goroutine exits. */
    static final long GROWN_STACK = 8L << 10;
    /** Live goroutines per round: two 32 KiB spans of 8 KiB segments, so one is taken and one returned. */
    static final int GOROUTINES = 8;
    static final int CYCLES = 10;
    /** Nodes per span refill (32-byte class, 8 KiB spans). */
    static final long NODES_PER_SPAN = (8L << 10) / 32;

    @Test
    void churnUnderALimitReArmsAtMostOncePerStackSpanChangeAndPerRefill() {
        String worst = run(32, "each goroutine allocates 1 KiB (one refill a round: the worst case)");
        String mild = run(512, "each goroutine allocates 16 KiB (16 refills a round)");
        System.out.println("StackChurnFollowCountTest: " + worst);
        System.out.println("StackChurnFollowCountTest: " + mild);
    }

    private String run(int nodesPerGoroutine, String what) {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        gc = Collector.forThreads(heap, GcOptions.DEFAULT.withMemoryLimit(LIMIT), 2);
        world = gc.threadWorld();
        world.register(1);
        gc.gc();
        StackAllocator stacks = heap.stacks();
        long[] live = new long[GOROUTINES];
        long cycles0 = gc.cycles();
        long rearms0 = gc.stackFollowRearms();
        long changes0 = heap.gc().stackSpanChanges();
        long nodes = 0;
        long rounds = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (gc.cycles() - cycles0 < CYCLES) {
            assertTrue(System.nanoTime() < deadline, "churn ran 120 s without " + CYCLES + " cycles");
            for (int g = 0; g < GOROUTINES; g++) {
                live[g] = stacks.alloc(GROWN_STACK);
            }
            for (int g = 0; g < GOROUTINES; g++) {
                for (int i = 0; i < nodesPerGoroutine; i++) {
                    gc.alloc(NODE);
                }
            }
            nodes += (long) GOROUTINES * nodesPerGoroutine;
            for (int g = 0; g < GOROUTINES; g++) {
                stacks.free(live[g], GROWN_STACK);
            }
            rounds++;
        }
        long cycles = gc.cycles() - cycles0;
        long rearms = gc.stackFollowRearms() - rearms0;
        long changes = heap.gc().stackSpanChanges() - changes0;
        long refills = nodes / NODES_PER_SPAN;
        String figures = String.format("%s: %d cycles, %d rounds, %d stack-span changes, ~%d refills, %d re-arms "
                        + "(%.1f a cycle, %.3f a refill, %.3f a span change)",
                what, cycles, rounds, changes, refills, rearms, (double) rearms / cycles, (double) rearms / refills,
                (double) rearms / changes);
        assertTrue(rearms > 0, "churn under a limit re-armed nothing: " + figures);
        assertTrue(rearms <= changes, "more re-arms than stack-span changes: " + figures);
        assertTrue(rearms <= refills + cycles, "more re-arms than refills: " + figures);
        world.unregister();
        gc.close();
        heap.close();
        gc = null;
        heap = null;
        world = null;
        return figures;
    }
}
