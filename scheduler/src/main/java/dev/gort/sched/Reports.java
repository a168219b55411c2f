package dev.gort.sched;

import java.util.List;

/** Go's report texts: panics, deadlock, schedtrace (formats in GO-FACTS.md section 3.3). */
final class Reports {
    private Reports() {
    }

    /** "panic: X\n\ngoroutine N [running]:\n<stack>". */
    static String panic(G g, Throwable t) {
        StringBuilder sb = new StringBuilder();
        sb.append("panic: ").append(t instanceof GoPanic ? t.getMessage() : t.toString());
        for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) {
            sb.append("\n\tcaused by: ").append(c);
        }
        sb.append("\n\ngoroutine ").append(g.goid()).append(" [running]:\n");
        sb.append(stack(t.getStackTrace()));
        return sb.toString();
    }

    /** "fatal error: all goroutines are asleep - deadlock!" plus every live goroutine. */
    static String deadlock(Scheduler s) {
        if (s.liveGoroutines() == 0 && s.mainGoexited) {
            return "fatal error: no goroutines (main called runtime.Goexit) - deadlock!\n";
        }
        StringBuilder sb = new StringBuilder("fatal error: all goroutines are asleep - deadlock!\n");
        for (int i = 0; i < s.gtable.count(); i++) {
            G g = s.gtable.at(i);
            int st = g.status();
            if (st == GStatus.DEAD || st == GStatus.IDLE || g.system) {
                continue;               // system goroutines (GC workers) are left out, as Go's traceback does
            }
            sb.append("\ngoroutine ").append(g.goid()).append(" [").append(state(g)).append("]:\n");
            StackTraceElement[] frames = null;
            try {
                G.GContinuation c = g.cont;
                if (c != null && st == GStatus.WAITING) {
                    frames = c.getStackTrace();
                }
            } catch (RuntimeException e) {
                frames = null;
            }
            if (frames != null) {
                sb.append(stack(frames));
            }
        }
        return sb.toString();
    }

    static String state(G g) {
        int st = g.status();
        if (st == GStatus.WAITING) {
            String r = g.waitReason().text();
            return r.isEmpty() ? "waiting" : r;
        }
        return GStatus.name(st);
    }

    /** Frames as Go prints them: "pkg.Type.method(...)\n\tFile.java:line". */
    static String stack(StackTraceElement[] frames) {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : frames) {
            String cls = e.getClassName();
            if (cls.startsWith("jdk.internal.vm.") || cls.startsWith("java.lang.VirtualThread")) {
                continue;
            }
            sb.append(cls).append('.').append(e.getMethodName()).append("(...)\n\t")
                    .append(e.getFileName() == null ? "?" : e.getFileName()).append(':').append(e.getLineNumber()).append('\n');
        }
        return sb.toString();
    }

    static String schedtrace(Scheduler s, boolean detailed) {
        StringBuilder sb = new StringBuilder();
        long ms = (System.nanoTime() - s.startNanos) / 1_000_000;
        P[] allp = s.allpPublished; // one snapshot (GOMAXPROCS may change); volatile: any thread calls this
        sb.append("SCHED ").append(ms).append("ms: gomaxprocs=").append(allp.length)
                .append(" idleprocs=").append(s.npidle.get())
                .append(" threads=").append(s.mpool.mcount)
                .append(" spinningthreads=").append(s.nmspinning.get())
                .append(" needspinning=").append(s.needspinning ? 1 : 0)
                .append(" idlethreads=").append(s.mpool.nmidle)
                .append(" runqueue=").append(s.runqsize);
        long startmFailures = s.mpool.startmFailures;
        if (startmFailures != 0) {
            sb.append(" startmfailures=").append(startmFailures);    // gort's own field, only once an M could not be made
        }
        if (detailed) {
            sb.append(" gcwaiting=").append(s.gcwaiting)
                    .append(" nmidlelocked=").append(s.mpool.nmidlelocked)
                    .append(" stopwait=").append(s.gcwaiting ? s.world.stopwait() : 0)
                    .append(" sysmonwait=false\n");
        }
        for (int i = 0; i < allp.length; i++) {
            P p = allp[i];
            int q = p.runqsize();     // through the gate: any thread calls this, after run returned too
            if (detailed) {
                M m = p.m;
                sb.append("  P").append(i).append(": status=").append(p.status())
                        .append(" schedtick=").append(p.schedtick())
                        .append(" syscalltick=").append(p.syscalltick())
                        .append(" m=").append(m == null ? "nil" : Integer.toString(m.mid))
                        .append(" runqsize=").append(q)
                        .append(" gfreecnt=").append(p.gfreeCount())
                        .append(" timerslen=").append(p.timers.size()).append('\n');
            } else {
                sb.append(' ');
                if (i == 0) {
                    sb.append('[');
                }
                sb.append(q);
                if (i == allp.length - 1) {
                    sb.append("]\n");
                }
            }
        }
        if (!detailed) {
            return sb.toString();
        }
        List<M> ms2 = s.allmSnapshot();
        for (M m : ms2) {
            P p = m.p;
            G cg = m.curg;
            G lg = m.lockedg;
            sb.append("  M").append(m.mid).append(": p=").append(p == null ? "nil" : Integer.toString(p.id))
                    .append(" curg=").append(cg == null ? "nil" : Long.toString(cg.goid()))
                    .append(" mallocing=0 throwing=0 preemptoff= locks=0 dying=0")
                    .append(" spinning=").append(m.spinning)
                    .append(" blocked=").append(m.blocked)
                    .append(" lockedg=").append(lg == null ? "nil" : Long.toString(lg.goid())).append('\n');
        }
        for (int i = 0; i < s.gtable.count(); i++) {
            G g = s.gtable.at(i);
            int st = g.status();
            M m = g.m;
            M lm = g.lockedm;
            sb.append("  G").append(g.goid()).append(": status=").append(st)
                    .append('(').append(st == GStatus.WAITING ? g.waitReason().text() : "").append(')')
                    .append(" m=").append(m == null || st != GStatus.RUNNING && st != GStatus.SYSCALL ? "nil" : Integer.toString(m.mid))
                    .append(" lockedm=").append(lm == null ? "nil" : Integer.toString(lm.mid)).append('\n');
        }
        return sb.toString();
    }
}
