package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Review (review3): procresize is not failure-atomic. A ProcResizeHook whose destroyP throws for
 * the second dying P leaves the first one DEAD (queues moved, mcache released) while allp and
 * gomaxprocs keep their old values, so the DEAD P stays in allp: startTheWorld skips it (not
 * GCSTOP) and the next stopTheWorld counts it in stopwait, where nothing ever decrements it (it
 * is neither in a syscall nor idle, and no M runs it): that stop waits forever. Fixed on review3:
 * every dying P is destroyed and the new allp published, then the hook's failure is rethrown. The
 * test checks the precondition (no DEAD P among the Ps in use) before it stops the world again.
 */
@Timeout(120)
class ProcResizeFailureTest {
    @Test
    void aHookFailingForTheSecondDyingPLeavesNoDeadPInUse() {
        AtomicReference<String> dead = new AtomicReference<>();
        SchedTesting.run(4, () -> {
            Scheduler sched = Go.scheduler();
            ProcResizeHook failing = new ProcResizeHook() {
                @Override
                public void destroyP(P dying, P heir) {
                    if (dying.id() == 3) {
                        throw new IllegalStateException("hook failure for P3");
                    }
                }
            };
            sched.addProcResizeHook(failing);
            try {
                assertThrows(IllegalStateException.class, () -> sched.setGomaxprocs(2));
            } finally {
                sched.removeProcResizeHook(failing);
            }
            P[] inUse = sched.allp;
            StringBuilder sb = new StringBuilder();
            for (P p : inUse) {
                if (p.status() == PStatus.DEAD) {
                    sb.append("P").append(p.id).append(" DEAD in allp (gomaxprocs=").append(sched.gomaxprocs()).append(") ");
                }
            }
            dead.set(sb.toString());
            if (sb.length() == 0) {
                assertEquals(2, sched.gomaxprocs(), "the resize took effect although a hook failed");
                assertEquals(2, sched.setGomaxprocs(3), "a later resize stops the world again");
                assertEquals(3, sched.gomaxprocs());
            }
        });
        if (!dead.get().isEmpty()) {
            fail(dead.get() + ": the next stop-the-world would wait for it forever");
        }
        assertEquals("", dead.get());
    }
}
