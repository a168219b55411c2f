package dev.gort.sys;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-written bindings against the system headers, through a C probe compiled at test time
 * (see src/main/c/gort_sys.h for why there is no jextract): every OsConstants value for this OS,
 * every Errno entry, the sizes of the C types the downcall descriptors assume, and every member
 * of every struct descriptor. One dynamic test per symbol, so a failure names it, e.g.
 * {@code MAP_ANONYMOUS: Java (OsConstants.LINUX) has 32, the C headers have 4096}.
 *
 * <p>Without a C compiler ($CC, cc, gcc or clang on PATH) or one that cannot compile a hello
 * world, the probe is reported as skipped with that reason, never as passed.
 *
 * <p><b>Adding checks</b> (the netpoller's epoll/socket constants, sockaddr_in, epoll_event ...):
 * extend {@link #probe()}: {@code p.include("<sys/epoll.h>")}, then
 * {@code constants(p, NetConstants.LINUX, "NetConstants.LINUX")} for a constants record (each
 * component named as its C macro) and {@code p.struct("struct epoll_event", EpollEvent.LAYOUT,
 * "EpollEvent")} for a struct descriptor (member names as in C). List the constant names in
 * gort_sys.h's GORT-CONSTANTS block and the prototypes above it; {@link #headerAndJavaListTheSameNames}
 * keeps the two in step.
 */
class HeaderConformanceTest {

    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path HEADER_DIR = MODULE.resolve("src/main/c");
    private static final Path HEADER = HEADER_DIR.resolve("gort_sys.h");
    private static final Path WORK = MODULE.resolve("target/conformance");

    /** OsConstants components that are not macros: their C expression. */
    private static final Map<String, String> LAYOUT_EXPRESSIONS = Map.of(
            "sizeof_timespec", "sizeof(struct timespec)",
            "sizeof_rusage", "sizeof(struct rusage)",
            "offsetof_rusage_ru_maxrss", "offsetof(struct rusage, ru_maxrss)",
            "sizeof_cpu_set_t", "sizeof(cpu_set_t)");

    /** NetConstants' layout components: their C expression. */
    private static final Map<String, String> NET_LAYOUT_EXPRESSIONS = Map.ofEntries(
            Map.entry("sizeof_sockaddr_in", "sizeof(struct sockaddr_in)"),
            Map.entry("offsetof_sin_len", "offsetof(struct sockaddr_in, sin_len)"),
            Map.entry("offsetof_sin_family", "offsetof(struct sockaddr_in, sin_family)"),
            Map.entry("offsetof_sin_port", "offsetof(struct sockaddr_in, sin_port)"),
            Map.entry("offsetof_sin_addr", "offsetof(struct sockaddr_in, sin_addr)"),
            Map.entry("sizeof_sockaddr_in6", "sizeof(struct sockaddr_in6)"),
            Map.entry("offsetof_sin6_family", "offsetof(struct sockaddr_in6, sin6_family)"),
            Map.entry("offsetof_sin6_port", "offsetof(struct sockaddr_in6, sin6_port)"),
            Map.entry("offsetof_sin6_flowinfo", "offsetof(struct sockaddr_in6, sin6_flowinfo)"),
            Map.entry("offsetof_sin6_addr", "offsetof(struct sockaddr_in6, sin6_addr)"),
            Map.entry("offsetof_sin6_scope_id", "offsetof(struct sockaddr_in6, sin6_scope_id)"),
            Map.entry("sizeof_sockaddr_storage", "sizeof(struct sockaddr_storage)"),
            Map.entry("sizeof_socklen_t", "sizeof(socklen_t)"),
            Map.entry("sizeof_rlimit", "sizeof(struct rlimit)"),
            Map.entry("sizeof_epoll_event", "sizeof(struct epoll_event)"),
            Map.entry("offsetof_epoll_event_events", "offsetof(struct epoll_event, events)"),
            Map.entry("offsetof_epoll_event_data", "offsetof(struct epoll_event, data)"),
            Map.entry("sizeof_kevent", "sizeof(struct kevent)"),
            Map.entry("offsetof_kevent_ident", "offsetof(struct kevent, ident)"),
            Map.entry("offsetof_kevent_filter", "offsetof(struct kevent, filter)"),
            Map.entry("offsetof_kevent_flags", "offsetof(struct kevent, flags)"),
            Map.entry("offsetof_kevent_fflags", "offsetof(struct kevent, fflags)"),
            Map.entry("offsetof_kevent_data", "offsetof(struct kevent, data)"),
            Map.entry("offsetof_kevent_udata", "offsetof(struct kevent, udata)"));

    /** Everything the probe checks. Add new bindings here (see the class comment). */
    static CProbe probe() {
        Platform platform = Platform.current();
        CProbe p = new CProbe();
        String table = platform.isLinux() ? "OsConstants.LINUX" : "OsConstants.MACOS";
        constants(p, platform.constants(), table);
        Map<String, Integer> errno = platform.isLinux() ? Errno.LINUX : Errno.MACOS;
        new TreeSet<>(errno.keySet()).forEach(name -> p.constant(name, errno.get(name), platform.isLinux() ? "Errno.LINUX" : "Errno.MACOS"));

        // The C types behind LibC's downcall descriptors (JAVA_INT = 4 bytes, JAVA_LONG = 8).
        p.expression("sizeof(void *)", "sizeof(void *)", 8, "LibC: pointers as JAVA_LONG");
        p.expression("sizeof(size_t)", "sizeof(size_t)", 8, "LibC: size_t as JAVA_LONG");
        p.expression("sizeof(off_t)", "sizeof(off_t)", 8, "LibC.mmap: off_t as JAVA_LONG");
        p.expression("sizeof(long)", "sizeof(long)", 8, "LibC.sysconf: long as JAVA_LONG");
        p.expression("sizeof(int)", "sizeof(int)", 4, "LibC: int as JAVA_INT");
        p.expression("sizeof(pid_t)", "sizeof(pid_t)", 4, "LibC.gettid/sched_*: pid_t as JAVA_INT");
        p.expression("sizeof(clockid_t)", "sizeof(clockid_t)", 4, "LibC.clock_gettime: clockid_t as JAVA_INT");

        p.struct("struct timespec", Timespec.LAYOUT, "Timespec.LAYOUT");
        p.struct("struct timeval", Rusage.TIMEVAL, "Rusage.TIMEVAL");
        p.struct("struct rusage", Rusage.LAYOUT, "Rusage.LAYOUT");
        if (platform.isLinux()) {
            p.struct("cpu_set_t", CpuSet.LAYOUT, "CpuSet.LAYOUT"); // CpuSet.CPU_SETSIZE = OsConstants': StructLayoutTest
            p.struct("struct sched_attr", SchedAttr.LAYOUT, "SchedAttr.LAYOUT");
            p.expression("SYS_sched_setattr", "SYS_sched_setattr", SchedAttr.SYS_SCHED_SETATTR, "SchedAttr.SYS_SCHED_SETATTR");
            p.expression("SYS_sched_getattr", "SYS_sched_getattr", SchedAttr.SYS_SCHED_GETATTR, "SchedAttr.SYS_SCHED_GETATTR");
            p.expression("SCHED_OTHER", "SCHED_OTHER", SchedAttr.SCHED_OTHER, "SchedAttr.SCHED_OTHER");
            p.expression("SCHED_BATCH", "SCHED_BATCH", ThreadPriority.SCHED_BATCH, "ThreadPriority.SCHED_BATCH");
            p.expression("SCHED_IDLE", "SCHED_IDLE", ThreadPriority.SCHED_IDLE, "ThreadPriority.SCHED_IDLE");
        }
        p.expression("PRIO_PROCESS", "PRIO_PROCESS", ThreadPriority.PRIO_PROCESS, "ThreadPriority.PRIO_PROCESS");
        if (platform.isMacOS()) {
            p.expression("PRIO_DARWIN_THREAD", "PRIO_DARWIN_THREAD", ThreadPriority.PRIO_DARWIN_THREAD, "ThreadPriority.PRIO_DARWIN_THREAD");
            p.expression("PRIO_DARWIN_BG", "PRIO_DARWIN_BG", ThreadPriority.PRIO_DARWIN_BG, "ThreadPriority.PRIO_DARWIN_BG");
        }

        // The netpoller (LibCNet): socket/fcntl/epoll/eventfd/kqueue constants and struct layouts.
        String net = platform.isMacOS() ? "NetConstants.MACOS"
                : platform.arch() == Platform.Arch.X86_64 ? "NetConstants.LINUX_X86_64" : "NetConstants.LINUX_AARCH64";
        constants(p, NetConstants.current(), net, NET_LAYOUT_EXPRESSIONS);
        p.expression("sizeof(ssize_t)", "sizeof(ssize_t)", 8, "LibCNet.read/write: ssize_t as JAVA_LONG");
        return p;
    }

    /** Registers every int component of a constants record: macros by name, layout figures by LAYOUT_EXPRESSIONS. */
    static void constants(CProbe p, Record constants, String source) {
        constants(p, constants, source, LAYOUT_EXPRESSIONS);
    }

    static void constants(CProbe p, Record constants, String source, Map<String, String> layoutExpressions) {
        for (RecordComponent rc : constants.getClass().getRecordComponents()) {
            long value = intComponent(constants, rc);
            String name = rc.getName();
            if (name.startsWith("sizeof_") || name.startsWith("offsetof_")) {
                String expr = layoutExpressions.get(name);
                if (expr == null) {
                    throw new IllegalStateException(source + "." + name + " is a layout figure with no C expression;"
                            + " add one to HeaderConformanceTest.LAYOUT_EXPRESSIONS");
                }
                if (value != OsConstants.ABSENT) { // a type cannot be probed for absence; the OS lacks it
                    p.expression(source.substring(source.indexOf('.') + 1) + "." + name, expr, value, source);
                }
            } else {
                p.constant(name, value, source);
            }
        }
    }

    /** An int component, or a long one (NetConstants.EPOLLET, 1u << 31, which as an int would read as ABSENT). */
    private static long intComponent(Record r, RecordComponent rc) {
        try {
            return ((Number) rc.getAccessor().invoke(r)).longValue();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> everySymbolAgreesWithTheSystemHeaders() throws Exception {
        String compiler = usableCompiler();
        List<CProbe.Answer> answers = probe().run(compiler, HEADER_DIR, WORK);
        return answers.stream().map(a -> DynamicTest.dynamicTest(a.check().label(), () -> {
            if (!a.agrees()) {
                throw new AssertionError(a.describe() + " (probe: " + WORK.resolve("gort_probe.c") + ", compiler " + compiler + ")");
            }
        }));
    }

    @Test
    void aWrongJavaValueIsReportedWithItsSymbol() throws Exception {
        String compiler = usableCompiler();
        CProbe p = new CProbe()
                .constant("MAP_PRIVATE", 0x7777, "deliberately wrong")
                .constant("GORT_NO_SUCH_MACRO", OsConstants.ABSENT, "deliberately absent")
                .constant("GORT_NO_SUCH_MACRO_2", 1, "deliberately present");
        List<CProbe.Answer> a = p.run(compiler, HEADER_DIR, WORK.resolve("negative"));
        assertEquals("MAP_PRIVATE: Java (deliberately wrong) has 30583, the C headers have 2", a.get(0).describe());
        assertTrue(!a.get(0).agrees() && a.get(1).agrees() && !a.get(2).agrees());
        assertEquals("GORT_NO_SUCH_MACRO_2: Java (deliberately present) has 1, the C headers have not defined", a.get(2).describe());
    }

    @Test
    void aPrototypeThatDisagreesWithTheSystemIsACompileError() throws Exception {
        String compiler = usableCompiler();
        Path dir = WORK.resolve("prototype");
        Files.createDirectories(dir);
        Path src = dir.resolve("bad.c");
        Files.writeString(src, "#include \"gort_sys.h\"\nint madvise(void *addr, size_t length, long advice);\nint main(void) { return 0; }\n");
        String out = CProbe.exec(List.of(compiler, "-I", HEADER_DIR.toString(), "-o", dir.resolve("bad").toString(), src.toString()), dir);
        assertTrue(out.contains("madvise") && out.contains("exit status"), "expected a conflicting-types error, got:\n" + out);
    }

    /** The header's function and constant lists and the Java side name the same things. */
    @Test
    void headerAndJavaListTheSameNames() throws IOException {
        String header = Files.readString(HEADER);
        Set<String> functions = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^[a-z][^;(]*?[ *]([a-z_][a-z0-9_]*)\\(.*\\);").matcher(header);
        while (m.find()) {
            functions.add(m.group(1));
        }
        assertTrue(functions.contains("mmap") && functions.contains("sched_getcpu"), "parsed prototypes: " + functions);
        Set<String> libc = Stream.of(LibC.class, LibCNet.class).flatMap(k -> Arrays.stream(k.getDeclaredMethods()))
                .filter(x -> Modifier.isPublic(x.getModifiers()) && Modifier.isStatic(x.getModifiers()))
                .map(Method::getName).collect(Collectors.toCollection(TreeSet::new));
        Set<String> missing = new TreeSet<>(functions);
        missing.removeAll(libc);
        assertEquals(Set.of(), missing, "functions in gort_sys.h without a LibC or LibCNet method of the same name");

        int begin = header.indexOf("GORT-CONSTANTS-BEGIN");
        int end = header.indexOf("GORT-CONSTANTS-END");
        assertTrue(begin > 0 && end > begin, "gort_sys.h has the GORT-CONSTANTS block");
        Set<String> listed = Arrays.stream(header.substring(begin + "GORT-CONSTANTS-BEGIN".length(), end).replace("*", " ").split("\\s+"))
                .filter(s -> !s.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
        Set<String> java = new TreeSet<>();
        for (RecordComponent rc : OsConstants.class.getRecordComponents()) {
            if (!rc.getName().startsWith("sizeof_") && !rc.getName().startsWith("offsetof_")) {
                java.add(rc.getName());
            }
        }
        assertEquals(java, listed, "GORT-CONSTANTS in gort_sys.h must list exactly OsConstants' macro components");

        int netBegin = header.indexOf("GORT-NET-CONSTANTS-BEGIN");
        int netEnd = header.indexOf("GORT-NET-CONSTANTS-END");
        assertTrue(netBegin > 0 && netEnd > netBegin, "gort_sys.h has the GORT-NET-CONSTANTS block");
        Set<String> netListed = Arrays.stream(header.substring(netBegin + "GORT-NET-CONSTANTS-BEGIN".length(), netEnd)
                .replace("*", " ").split("\\s+")).filter(x -> !x.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
        Set<String> netJava = new TreeSet<>();
        for (RecordComponent rc : NetConstants.class.getRecordComponents()) {
            if (!rc.getName().startsWith("sizeof_") && !rc.getName().startsWith("offsetof_")) {
                netJava.add(rc.getName());
            }
        }
        assertEquals(netJava, netListed, "GORT-NET-CONSTANTS in gort_sys.h must list exactly NetConstants' macro components");
    }

    @Test
    void compilerDiscoveryFollowsTheDocumentedOrder() {
        Optional<String> cc = CProbe.findCompiler();
        cc.ifPresent(path -> assertTrue(Files.isExecutable(Path.of(path)), path));
    }

    /** The compiler to use, or an aborted (skipped) test saying why there is none. */
    private static String usableCompiler() throws Exception {
        Optional<String> cc = CProbe.findCompiler();
        Assumptions.assumeTrue(cc.isPresent(), "no C compiler: looked for $CC, then cc, gcc, clang on PATH; "
                + "install gcc (Debian: apt-get install gcc libc6-dev) to run the header conformance probe");
        Path dir = WORK.resolve("hello");
        Files.createDirectories(dir);
        Path src = dir.resolve("hello.c");
        Files.writeString(src, "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n");
        Path exe = dir.resolve("hello");
        Files.deleteIfExists(exe);
        String out = CProbe.exec(List.of(cc.get(), "-o", exe.toString(), src.toString()), dir);
        Assumptions.assumeTrue(Files.isExecutable(exe), "C compiler " + cc.get()
                + " cannot build a hello world (are the libc headers installed? Debian: libc6-dev):\n" + out);
        return cc.get();
    }
}
