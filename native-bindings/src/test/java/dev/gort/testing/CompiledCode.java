package dev.gort.testing;

import java.lang.management.ManagementFactory;
import javax.management.ObjectName;

/**
 * What the JIT has compiled in this JVM, for tests that check a warm-up left a path compiled: the
 * list {@code jcmd Compiler.codelist} prints, read through the DiagnosticCommand MBean (no jcmd
 * process), one "id level state name [addresses]" a line.
 */
public final class CompiledCode {
    private CompiledCode() {
    }

    /** This JVM's compiled methods, as {@code jcmd PID Compiler.codelist} prints them. */
    public static String codeList() throws Exception {
        return (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "compilerCodelist", new Object[] {null}, new String[] {String[].class.getName()});
    }

    /**
     * This JVM's compile queues and the compiles in progress, as {@code jcmd PID Compiler.queue}
     * prints them: a method queued or being compiled appears as {@code Class::method (N bytes)}.
     */
    public static String compileQueue() throws Exception {
        return (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "compilerQueue", new Object[] {null}, new String[] {String[].class.getName()});
    }

    /**
     * True if {@code method} (as {@link #level} takes it) is queued for the JIT or being compiled in
     * {@code queue} ({@link #compileQueue}), whose lines name a method {@code Class::name (N bytes)}.
     */
    public static boolean queued(String queue, String method) {
        String noDescriptor = method.substring(0, method.indexOf('('));
        int dot = noDescriptor.lastIndexOf('.');
        return queue.contains(noDescriptor.substring(0, dot) + "::" + noDescriptor.substring(dot + 1) + " (");
    }

    /**
     * The highest tier (1-4) at which {@code method} (name and descriptor, e.g.
     * {@code dev.gort.gc.ThreadWorld.updateFlagsLocked()V}) has live (state 0) code in {@code list}; 0 if none.
     */
    public static int level(String list, String method) {
        int level = 0;
        for (String line : list.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[2].equals("0") && f[3].equals(method)) {
                level = Math.max(level, Integer.parseInt(f[1]));
            }
        }
        return level;
    }
}
