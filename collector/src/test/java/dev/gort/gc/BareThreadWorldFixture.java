package dev.gort.gc;

import dev.gort.arena.Heap;
import dev.gort.arena.HeapConfig;
import dev.gort.sys.PosixOsMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A bare ThreadWorld over a 1 GiB heap, two Ps, no collector (ThreadWorldFixture has one with a collector): the stop tests' shared set-up. */
abstract class BareThreadWorldFixture {
    Heap heap;
    WorkbufPool pool;
    ThreadWorld world;

    @BeforeEach
    void setUpWorld() {
        heap = Heap.create(HeapConfig.defaults().withArenaReservation(1L << 30), PosixOsMemory.get());
        pool = new WorkbufPool();
        world = new ThreadWorld(heap, pool, 2);
    }

    @AfterEach
    void tearDownWorld() {
        pool.close();
        heap.close();
    }
}
