package dev.gort.cli;

import dev.gort.Gort;
import dev.gort.JvmFlags;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

/**
 * {@code ./gort run <main class> [args]}: boots gort and runs the class's
 * {@code public static void main(String[])} as goroutine 1, so everything it starts with
 * {@code Gort.go} runs on gort's scheduler. Exits with Go's codes: 0, the code given to
 * {@code Gort.exit}, 2 after a panic; 2 also for a usage error.
 */
public final class RunMain {
    private RunMain() {
    }

    static final String USAGE = "usage: ./gort run [-cp <classpath>] <main class> [args...]\n"
            + "  runs <main class>'s public static void main(String[]) as goroutine 1 under gort\n"
            + "  (settings from GOMAXPROCS, GOGC, GOMEMLIMIT, GORT_DEBUG, GORT_AFFINITY or -Dgort.* in GORT_JAVA_OPTS)";

    public static void main(String[] argv) {
        JvmFlags.check();
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("-h") || argv[0].equals("--help")) {
            System.err.println(argv.length == 0 ? "gort run: no main class given\n" + USAGE : USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        Method main;
        try {
            main = findMain(argv[0]);
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        String[] args = Arrays.copyOfRange(argv, 1, argv.length);
        try {
            return runMain(main, args);
        } catch (dev.gort.ConfigException e) {
            System.err.println("gort: " + e.getMessage());
            return 2;
        }
    }

    private static int runMain(Method main, String[] args) {
        return Gort.run(args, a -> {
            try {
                main.invoke(null, (Object) a);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                throw (Error) cause;
            }
        });
    }

    static Method findMain(String className) {
        Class<?> c;
        try {
            c = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new UsageException("gort run: class " + className + " not found on the classpath ("
                    + System.getProperty("java.class.path") + "); pass -cp <dir or jar> before the class name");
        }
        try {
            Method m = c.getMethod("main", String[].class);
            if (!Modifier.isStatic(m.getModifiers()) || m.getReturnType() != void.class) {
                throw new NoSuchMethodException();
            }
            return m;
        } catch (NoSuchMethodException e) {
            throw new UsageException("gort run: class " + className + " has no public static void main(String[] args)");
        }
    }
}
