package dev.gort.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The macOS constant tables and struct layouts, pinned on Linux to the values read by hand in
 * Apple's sources (session 25, branch darwin25). HeaderConformanceTest checks the running
 * platform's table against the system headers with a C probe, but no macOS machine has ever run
 * it, so until one does this table is what keeps the macOS values honest: every row names the
 * header (repository, path, commit read) and the value found there, and
 * {@link #everyMacOsValueIsTheHeadersValue} fails naming the row when the Java side differs.
 * A component added to OsConstants or NetConstants, or an errno added to Errno.MACOS, fails
 * {@link #theTableCoversEveryMacOsComponent} until a row with its header is added here.
 *
 * <p>{@link #ABSENT} rows say the header was read and does not define the name (macOS has no
 * epoll, no MADV_HUGEPAGE, no RUSAGE_THREAD ...). Rows whose source is not an Apple repository
 * say so in their source ({@code SECONDARY}): Apple's current Libc headers (unistd.h, time.h) are
 * not in the index the values were looked up in.
 */
class MacOsHeaderTableTest {

    private static final int ABSENT = OsConstants.ABSENT;

    /** Where each row's value was read. Keys are what the rows cite. */
    static final Map<String, String> SOURCES = new LinkedHashMap<>();

    static {
        String xnu = "apple-oss-distributions/xnu ";
        SOURCES.put("mman.h", xnu + "bsd/sys/mman.h @8d741a5d");
        SOURCES.put("resource.h", xnu + "bsd/sys/resource.h @1031c584");
        SOURCES.put("errno.h", xnu + "bsd/sys/errno.h @94d3b452");
        SOURCES.put("event.h", xnu + "bsd/sys/event.h @1031c584 (struct kevent under #pragma pack(4): 32 bytes on LP64)");
        SOURCES.put("socket.h", xnu + "bsd/sys/socket.h @1031c584");
        SOURCES.put("fcntl.h", xnu + "bsd/sys/fcntl.h @1031c584");
        SOURCES.put("in.h", xnu + "bsd/netinet/in.h @5c2921b0");
        SOURCES.put("in6.h", xnu + "bsd/netinet6/in6.h @5c2921b0");
        SOURCES.put("tcp.h", xnu + "bsd/netinet/tcp.h @4f1223e8");
        SOURCES.put("_types.h", "apple/darwin-xnu bsd/sys/_types.h @03489ce2 and bsd/arm/_types.h @0a798f67"
                + " (time_t long, suseconds_t int32, socklen_t uint32, id_t uint32, pid_t int32, off_t int64)");
        SOURCES.put("unistd.h", "Apple-FOSS-Mirror/Libc include/unistd.h @e79933b5 (an old Libc: _SC_PAGESIZE only)");
        SOURCES.put("SECONDARY libc-rs apple", "SECONDARY: rust-lang/libc src/unix/bsd/apple/mod.rs @fa196264"
                + " (ctest-checked against the macOS SDK in that project's CI); Apple's current Libc unistd.h/time.h"
                + " are not in the index read");
        SOURCES.put("not Darwin", "no Darwin header read defines it: a Linux interface (epoll, eventfd,"
                + " cpu_set_t, RUSAGE_THREAD, MADV_(NO)HUGEPAGE, SOCK_NONBLOCK/SOCK_CLOEXEC flags to socket())");
    }

    /** One pinned value: the C name, the value in the header, and which header. */
    record Row(String name, long value, String source) {
    }

    private static Row row(String name, long value, String source) {
        return new Row(name, value, source);
    }

    /** OsConstants.MACOS, component by component. */
    static final List<Row> OS = List.of(
            row("PROT_NONE", 0x00, "mman.h"), row("PROT_READ", 0x01, "mman.h"),
            row("PROT_WRITE", 0x02, "mman.h"), row("PROT_EXEC", 0x04, "mman.h"),
            row("MAP_SHARED", 0x0001, "mman.h"), row("MAP_PRIVATE", 0x0002, "mman.h"),
            row("MAP_FIXED", 0x0010, "mman.h"),
            row("MAP_ANONYMOUS", 0x1000, "mman.h"),      // MAP_ANON 0x1000, MAP_ANONYMOUS = MAP_ANON
            row("MAP_NORESERVE", 0x0040, "mman.h"),
            row("MADV_NORMAL", 0, "mman.h"), row("MADV_DONTNEED", 4, "mman.h"), row("MADV_FREE", 5, "mman.h"),
            row("MADV_HUGEPAGE", ABSENT, "not Darwin"), row("MADV_NOHUGEPAGE", ABSENT, "not Darwin"),
            row("MADV_FREE_REUSABLE", 7, "mman.h"), row("MADV_FREE_REUSE", 8, "mman.h"),
            row("_SC_PAGESIZE", 29, "unistd.h"),
            row("_SC_NPROCESSORS_CONF", 57, "SECONDARY libc-rs apple"),
            row("_SC_NPROCESSORS_ONLN", 58, "SECONDARY libc-rs apple"),
            row("CLOCK_REALTIME", 0, "SECONDARY libc-rs apple"), row("CLOCK_MONOTONIC", 6, "SECONDARY libc-rs apple"),
            row("CLOCK_PROCESS_CPUTIME_ID", 12, "SECONDARY libc-rs apple"),
            row("CLOCK_THREAD_CPUTIME_ID", 16, "SECONDARY libc-rs apple"),
            row("RUSAGE_SELF", 0, "resource.h"), row("RUSAGE_THREAD", ABSENT, "not Darwin"),
            row("CPU_SETSIZE", ABSENT, "not Darwin"),
            row("sizeof_timespec", 16, "_types.h"),                 // time_t tv_sec (long); long tv_nsec
            row("sizeof_rusage", 144, "resource.h"),                // 2 timevals of 16, 14 longs
            row("offsetof_rusage_ru_maxrss", 32, "resource.h"),
            row("sizeof_cpu_set_t", ABSENT, "not Darwin"));

    /** NetConstants.MACOS, component by component. */
    static final List<Row> NET = List.of(
            row("AF_INET", 2, "socket.h"), row("AF_INET6", 30, "socket.h"), row("SOCK_STREAM", 1, "socket.h"),
            row("SOCK_NONBLOCK", ABSENT, "not Darwin"), row("SOCK_CLOEXEC", ABSENT, "not Darwin"),
            row("SOL_SOCKET", 0xffff, "socket.h"), row("SO_REUSEADDR", 0x0004, "socket.h"),
            row("SO_REUSEPORT", 0x0200, "socket.h"), row("SO_ERROR", 0x1007, "socket.h"),
            row("SO_KEEPALIVE", 0x0008, "socket.h"), row("SO_RCVBUF", 0x1002, "socket.h"),
            row("SO_SNDBUF", 0x1001, "socket.h"), row("SO_NOSIGPIPE", 0x1022, "socket.h"),
            row("IPPROTO_TCP", 6, "in.h"), row("IPPROTO_IPV6", 41, "in.h"), row("TCP_NODELAY", 0x01, "tcp.h"),
            row("IPV6_V6ONLY", 27, "in6.h"),
            row("SHUT_RD", 0, "socket.h"), row("SHUT_WR", 1, "socket.h"), row("SHUT_RDWR", 2, "socket.h"),
            row("O_NONBLOCK", 0x00000004, "fcntl.h"), row("O_CLOEXEC", 0x01000000, "fcntl.h"),
            row("F_GETFD", 1, "fcntl.h"), row("F_SETFD", 2, "fcntl.h"), row("F_GETFL", 3, "fcntl.h"),
            row("F_SETFL", 4, "fcntl.h"), row("FD_CLOEXEC", 1, "fcntl.h"),
            row("RLIMIT_NOFILE", 8, "resource.h"),
            row("MSG_NOSIGNAL", 0x80000, "socket.h"),               // under __DARWIN_C_LEVEL >= 200809L
            row("EPOLLIN", ABSENT, "not Darwin"), row("EPOLLOUT", ABSENT, "not Darwin"),
            row("EPOLLERR", ABSENT, "not Darwin"), row("EPOLLHUP", ABSENT, "not Darwin"),
            row("EPOLLRDHUP", ABSENT, "not Darwin"), row("EPOLLET", ABSENT, "not Darwin"),
            row("EPOLL_CTL_ADD", ABSENT, "not Darwin"), row("EPOLL_CTL_DEL", ABSENT, "not Darwin"),
            row("EPOLL_CTL_MOD", ABSENT, "not Darwin"), row("EPOLL_CLOEXEC", ABSENT, "not Darwin"),
            row("EFD_CLOEXEC", ABSENT, "not Darwin"), row("EFD_NONBLOCK", ABSENT, "not Darwin"),
            row("EVFILT_READ", -1, "event.h"), row("EVFILT_WRITE", -2, "event.h"), row("EVFILT_USER", -10, "event.h"),
            row("EV_ADD", 0x0001, "event.h"), row("EV_DELETE", 0x0002, "event.h"), row("EV_ENABLE", 0x0004, "event.h"),
            row("EV_DISABLE", 0x0008, "event.h"), row("EV_ONESHOT", 0x0010, "event.h"), row("EV_CLEAR", 0x0020, "event.h"),
            row("EV_EOF", 0x8000, "event.h"), row("EV_ERROR", 0x4000, "event.h"), row("NOTE_TRIGGER", 0x01000000, "event.h"),
            // struct sockaddr_in: u8 sin_len, u8 sin_family (sa_family_t), u16 port, in_addr, char zero[8]
            row("sizeof_sockaddr_in", 16, "in.h"), row("offsetof_sin_family", 1, "in.h"),
            row("offsetof_sin_port", 2, "in.h"), row("offsetof_sin_addr", 4, "in.h"),
            // struct sockaddr_in6: u8 len, u8 family, u16 port, u32 flowinfo, in6_addr (16), u32 scope_id
            row("sizeof_sockaddr_in6", 28, "in6.h"), row("offsetof_sin6_family", 1, "in6.h"),
            row("offsetof_sin6_port", 2, "in6.h"), row("offsetof_sin6_flowinfo", 4, "in6.h"),
            row("offsetof_sin6_addr", 8, "in6.h"), row("offsetof_sin6_scope_id", 24, "in6.h"),
            row("sizeof_sockaddr_storage", 128, "socket.h"),        // _SS_MAXSIZE
            row("sizeof_socklen_t", 4, "_types.h"),
            row("sizeof_rlimit", 16, "resource.h"),                 // two rlim_t = __uint64_t
            row("sizeof_epoll_event", ABSENT, "not Darwin"), row("offsetof_epoll_event_events", ABSENT, "not Darwin"),
            row("offsetof_epoll_event_data", ABSENT, "not Darwin"),
            row("sizeof_kevent", 32, "event.h"), row("offsetof_kevent_ident", 0, "event.h"),
            row("offsetof_kevent_filter", 8, "event.h"), row("offsetof_kevent_flags", 10, "event.h"),
            row("offsetof_kevent_fflags", 12, "event.h"), row("offsetof_kevent_data", 16, "event.h"),
            row("offsetof_kevent_udata", 24, "event.h"),
            row("offsetof_sin_len", 0, "in.h"));

    /** Errno.MACOS, entry by entry (all from bsd/sys/errno.h). */
    static final List<Row> ERRNO = List.of(
            row("EPERM", 1, "errno.h"), row("ENOENT", 2, "errno.h"), row("ESRCH", 3, "errno.h"),
            row("EINTR", 4, "errno.h"), row("EIO", 5, "errno.h"), row("ENXIO", 6, "errno.h"),
            row("E2BIG", 7, "errno.h"), row("EBADF", 9, "errno.h"), row("ECHILD", 10, "errno.h"),
            row("EDEADLK", 11, "errno.h"), row("ENOMEM", 12, "errno.h"), row("EACCES", 13, "errno.h"),
            row("EFAULT", 14, "errno.h"), row("EBUSY", 16, "errno.h"), row("EEXIST", 17, "errno.h"),
            row("ENODEV", 19, "errno.h"), row("ENOTDIR", 20, "errno.h"), row("EISDIR", 21, "errno.h"),
            row("EINVAL", 22, "errno.h"), row("ENFILE", 23, "errno.h"), row("EMFILE", 24, "errno.h"),
            row("ENOSPC", 28, "errno.h"), row("EPIPE", 32, "errno.h"), row("ERANGE", 34, "errno.h"),
            row("EAGAIN", 35, "errno.h"), row("EINPROGRESS", 36, "errno.h"), row("EALREADY", 37, "errno.h"),
            row("ENOTSOCK", 38, "errno.h"), row("ENOTSUP", 45, "errno.h"), row("EAFNOSUPPORT", 47, "errno.h"),
            row("EADDRINUSE", 48, "errno.h"), row("EADDRNOTAVAIL", 49, "errno.h"), row("ENETUNREACH", 51, "errno.h"),
            row("ECONNABORTED", 53, "errno.h"), row("ECONNRESET", 54, "errno.h"), row("ENOBUFS", 55, "errno.h"),
            row("EISCONN", 56, "errno.h"), row("ENOTCONN", 57, "errno.h"), row("ETIMEDOUT", 60, "errno.h"),
            row("ECONNREFUSED", 61, "errno.h"), row("ENOSYS", 78, "errno.h"),
            row("EOPNOTSUPP", 102, "errno.h"));                     // discrete under __DARWIN_UNIX03 (all LP64)

    /** ThreadPriority's macOS constants. */
    static final List<Row> PRIORITY = List.of(
            row("PRIO_PROCESS", 0, "resource.h"), row("PRIO_DARWIN_THREAD", 3, "resource.h"),
            row("PRIO_DARWIN_BG", 0x1000, "resource.h"));

    /** The Java value of component {@code name} of {@code table} (long: NetConstants.EPOLLET is one). */
    private static long component(Record table, String name) {
        for (RecordComponent rc : table.getClass().getRecordComponents()) {
            if (rc.getName().equals(name)) {
                try {
                    return ((Number) rc.getAccessor().invoke(table)).longValue();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        throw new AssertionError(table.getClass().getSimpleName() + " has no component " + name);
    }

    /** Every disagreement between {@code table} and {@code rows}, one line each naming the header. */
    static List<String> mismatches(Record table, String tableName, List<Row> rows) {
        List<String> out = new ArrayList<>();
        for (Row r : rows) {
            long java = component(table, r.name());
            if (java != r.value()) {
                out.add(r.name() + ": " + tableName + " has " + show(java) + ", " + SOURCES.get(r.source()) + " has " + show(r.value()));
            }
        }
        return out;
    }

    private static String show(long v) {
        return v == ABSENT ? "ABSENT (not defined)" : v + " (0x" + Long.toHexString(v) + ")";
    }

    @Test
    void everyMacOsValueIsTheHeadersValue() {
        List<String> bad = new ArrayList<>();
        bad.addAll(mismatches(OsConstants.MACOS, "OsConstants.MACOS", OS));
        bad.addAll(mismatches(NetConstants.MACOS, "NetConstants.MACOS", NET));
        for (Row r : ERRNO) {
            Integer java = Errno.MACOS.get(r.name());
            if (java == null || java != r.value()) {
                bad.add(r.name() + ": Errno.MACOS has " + java + ", " + SOURCES.get(r.source()) + " has " + r.value());
            }
        }
        Map<String, Long> priority = Map.of("PRIO_PROCESS", (long) ThreadPriority.PRIO_PROCESS,
                "PRIO_DARWIN_THREAD", (long) ThreadPriority.PRIO_DARWIN_THREAD, "PRIO_DARWIN_BG", (long) ThreadPriority.PRIO_DARWIN_BG);
        for (Row r : PRIORITY) {
            if (priority.get(r.name()) != r.value()) {
                bad.add(r.name() + ": ThreadPriority has " + priority.get(r.name()) + ", " + SOURCES.get(r.source()) + " has " + r.value());
            }
        }
        assertEquals(List.of(), bad, "macOS values that differ from Apple's headers");
    }

    @Test
    void theTableCoversEveryMacOsComponent() {
        assertEquals(names(OsConstants.class), rowNames(OS), "OsConstants components without a header row (or rows without a component)");
        assertEquals(names(NetConstants.class), rowNames(NET), "NetConstants components without a header row (or rows without a component)");
        assertEquals(new TreeSet<>(Errno.MACOS.keySet()), rowNames(ERRNO), "Errno.MACOS entries without a header row");
        for (List<Row> rows : List.of(OS, NET, ERRNO, PRIORITY)) {
            for (Row r : rows) {
                assertTrue(SOURCES.containsKey(r.source()), r.name() + " cites an unknown source " + r.source());
            }
        }
    }

    @Test
    void aWrongMacOsValueIsReportedWithItsHeader() throws Exception {
        // A later edit that sets MAP_ANONYMOUS to Linux's 0x20 in the macOS table must fail, naming the header.
        RecordComponent[] rcs = OsConstants.class.getRecordComponents();
        Object[] args = new Object[rcs.length];
        Class<?>[] types = new Class<?>[rcs.length];
        for (int i = 0; i < rcs.length; i++) {
            args[i] = rcs[i].getAccessor().invoke(OsConstants.MACOS);
            types[i] = rcs[i].getType();
            if (rcs[i].getName().equals("MAP_ANONYMOUS")) {
                args[i] = 0x20;
            }
        }
        OsConstants edited = OsConstants.class.getDeclaredConstructor(types).newInstance(args);
        assertEquals(List.of("MAP_ANONYMOUS: OsConstants.MACOS has 32 (0x20), apple-oss-distributions/xnu bsd/sys/mman.h"
                + " @8d741a5d has 4096 (0x1000)"), mismatches(edited, "OsConstants.MACOS", OS));
    }

    @Test
    void macOsStructLayoutsAreTheHeaders() {
        Platform mac = Platform.detect("Mac OS X", "aarch64");
        // struct timeval: time_t tv_sec (8), __darwin_suseconds_t = __int32_t tv_usec, 4 bytes padding
        StructLayout tv = Rusage.timeval(mac);
        assertEquals(16, tv.byteSize());
        assertEquals(8, tv.byteOffset(PathElement.groupElement("tv_usec")));
        assertEquals(ValueLayout.JAVA_INT, tv.select(PathElement.groupElement("tv_usec")).withoutName());
        // struct rusage (bsd/sys/resource.h): two timevals, then 14 longs from ru_maxrss
        StructLayout ru = Rusage.rusage(mac);
        assertEquals(OsConstants.MACOS.sizeof_rusage(), ru.byteSize());
        assertEquals(OsConstants.MACOS.offsetof_rusage_ru_maxrss(), ru.byteOffset(PathElement.groupElement("ru_maxrss")));
        assertEquals(Rusage.RU_MINFLT, ru.byteOffset(PathElement.groupElement("ru_minflt")));
        assertEquals(Rusage.RU_NIVCSW, ru.byteOffset(PathElement.groupElement("ru_nivcsw")));
        // Rusage.micros reads tv_usec as an int at offset 8: right for both layouts (little-endian)
        assertEquals(Rusage.timeval(Platform.detect("Linux", "amd64")).byteSize(), tv.byteSize());
        // struct kevent
        assertEquals(32, KEvent.MACOS.size());
        assertEquals(OsConstants.MACOS.sizeof_timespec(), Timespec.LAYOUT.byteSize());
    }

    @Test
    void macOsPlatformSelectsTheMacOsTables() {
        for (String arch : new String[] {"aarch64", "x86_64"}) {
            Platform mac = Platform.detect("Mac OS X", arch);
            assertSame(OsConstants.MACOS, mac.constants(), arch);
            assertSame(NetConstants.MACOS, NetConstants.select(mac), arch);
            assertSame(Errno.MACOS, Errno.table(mac), arch);
            assertEquals(7, Advice.FREE_REUSABLE.valueOn(mac));
            assertEquals(5, Advice.FREE.valueOn(mac));
            assertEquals(4, Advice.DONTNEED.valueOn(mac));
            assertFalse(Advice.DONTNEED.zeroesPagesOn(mac), "macOS promises no zero-fill after any madvise");
            assertEquals(4096L, CpuClock.maxRssBytes(4096, mac), "ru_maxrss is bytes on macOS");
        }
        Platform linux = Platform.detect("Linux", "amd64");
        assertSame(Errno.LINUX, Errno.table(linux));
        assertSame(NetConstants.LINUX_X86_64, NetConstants.select(linux));
        assertTrue(Advice.DONTNEED.zeroesPagesOn(linux));
        assertEquals(4096L * 1024, CpuClock.maxRssBytes(4096, linux), "ru_maxrss is KiB on Linux");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> Advice.FREE_REUSABLE.valueOn(linux));
        assertTrue(e.getMessage().contains("accepted here: DONTNEED, FREE"), e.getMessage());
    }

    private static TreeSet<String> names(Class<? extends Record> k) {
        TreeSet<String> s = new TreeSet<>();
        for (RecordComponent rc : k.getRecordComponents()) {
            s.add(rc.getName());
        }
        return s;
    }

    private static TreeSet<String> rowNames(List<Row> rows) {
        TreeSet<String> s = new TreeSet<>();
        for (Row r : rows) {
            assertTrue(s.add(r.name()), "duplicate row " + r.name());
        }
        return s;
    }
}
