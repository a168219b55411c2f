/*
 * gort_sys.h: every C function, constant and struct gort's native bindings (dev.gort.sys) use.
 *
 * Nothing compiles this into gort: the bindings are hand-written Java (LibC, OsConstants, Errno,
 * Timespec, Rusage, CpuSet) with the same names, because jextract cannot be installed on the
 * build machines. This header is their contract:
 *
 *   - native-bindings/jextract.sh runs jextract on it where jextract is installed, so the
 *     hand-written bindings can be diffed against generated ones.
 *   - HeaderConformanceTest compiles a C probe that includes this header with the system C
 *     compiler. A prototype below that disagrees with the system headers is a compile error
 *     ("conflicting types for ..."), so the signatures are checked too. The probe prints every
 *     constant listed between the GORT-CONSTANTS markers, every errno name, and sizeof/offsetof
 *     of every struct member, and the test compares each with the Java side, naming the symbol
 *     that differs. The test also fails when a constant listed here has no Java counterpart or
 *     a function listed here has no LibC method of the same name.
 *
 * Adding a binding (e.g. the netpoller's epoll, eventfd and socket calls):
 *   1. add the system #include and the prototype below (under #if defined(__linux__) when
 *      Linux-only), copied from the man page with the parameter names;
 *   2. add the constant names to the GORT-CONSTANTS list;
 *   3. add the Java side: a LibC method of the same name, the values in a constants record,
 *      a struct descriptor class with a StructLayout whose member names are the C names;
 *   4. register the record and the layouts in HeaderConformanceTest.probe() (one line each;
 *      e.g. probe.struct("struct epoll_event", EpollEvent.LAYOUT) checks sizeof and every
 *      member's offsetof and size, so packed structs such as x86_64's epoll_event are covered).
 */
#ifndef GORT_SYS_H
#define GORT_SYS_H

#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getcpu, cpu_set_t, gettid, RUSAGE_THREAD, MADV_* beyond POSIX */
#endif

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#if defined(__linux__)
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
/* struct sched_attr. glibc 2.41+ defines it in <sched.h> itself (under _GNU_SOURCE), where the
   uapi header's second definition would not compile; this has only been compiled against glibc
   2.36. Before 2.41 it comes from the uapi header, which also defines struct sched_param, already
   in <sched.h>: renamed for the include. */
#if !defined(SCHED_ATTR_SIZE_VER1) && !(defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 41)))
#define sched_param gort_linux_sched_param
#include <linux/sched/types.h>
#undef sched_param
#endif
#endif
#if defined(__APPLE__)
#include <sys/event.h>
#endif

/* ---- memory: the OsMemory state machine (PosixOsMemory) ---- */
void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
int munmap(void *addr, size_t length);
int mprotect(void *addr, size_t len, int prot);
int madvise(void *addr, size_t length, int advice);
#if defined(__APPLE__)
/* Darwin declares mincore with a const address and a plain char vector (xnu bsd/sys/mman.h:
   int mincore(const void *, size_t, char *)); glibc's is the line below. Same ABI (pointers),
   but a C redeclaration with the other types is a "conflicting types" error, so the probe would
   not compile on macOS with the Linux prototype. */
int mincore(const void *addr, size_t length, char *vec);
#else
int mincore(void *addr, size_t length, unsigned char *vec);
#endif

/* ---- system facts, clocks, resource usage (SysInfo, CpuClock) ---- */
long sysconf(int name);
int clock_gettime(clockid_t clockid, struct timespec *tp);
int getrusage(int who, struct rusage *usage);
pid_t getpid(void);
char *strerror(int errnum);

/* ---- scratch memory and benchmark peers ---- */
void *malloc(size_t size);
void free(void *ptr);

/* ---- threads and CPUs (CpuAffinity) ---- */
/* ThreadPriority: a thread lowering its own priority (Linux: per-thread nice through sched_setattr;
   macOS: PRIO_DARWIN_THREAD / PRIO_DARWIN_BG, the thread's background band). */
#if defined(__linux__)
/* glibc with _GNU_SOURCE declares 'which' as enum __priority_which (an int in the ABI: LibC passes JAVA_INT) */
int setpriority(__priority_which_t which, id_t who, int prio);
int getpriority(__priority_which_t which, id_t who);
#else
int setpriority(int which, id_t who, int prio);
int getpriority(int which, id_t who);
#endif
#if defined(__linux__)
int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask);
int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask);
int sched_getcpu(void);
pid_t gettid(void);
/* ThreadSlice: the EEVDF slice of SCHED_OTHER threads (Linux 6.12+). glibc before 2.41 has no
   wrappers: LibC calls them as syscall(SYS_sched_setattr, tid, attr, flags) and
   syscall(SYS_sched_getattr, tid, attr, size, flags), every variadic argument passed as a long. */
int sched_setattr(pid_t tid, struct sched_attr *attr, unsigned int flags);
int sched_getattr(pid_t tid, struct sched_attr *attr, unsigned int size, unsigned int flags);
#endif
#if defined(__APPLE__)
int pthread_threadid_np(pthread_t thread, uint64_t *thread_id);
#endif

/* ---- sockets and readiness polling: the netpoller (LibCNet, NetConstants) ---- */
int socket(int domain, int type, int protocol);
int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen);
int listen(int sockfd, int backlog);
int accept(int sockfd, struct sockaddr *addr, socklen_t *addrlen);
int connect(int sockfd, const struct sockaddr *addr, socklen_t addrlen);
ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);
int close(int fd);
int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen);
int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen);
int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen);
int getpeername(int sockfd, struct sockaddr *addr, socklen_t *addrlen);
int fcntl(int fd, int cmd, ...);
int shutdown(int sockfd, int how);
/* getrlimit(int resource, struct rlimit *rlim) and setrlimit(int resource, const struct rlimit *rlim)
 * are bound too; glibc with _GNU_SOURCE types resource as the enum __rlimit_resource_t (an int in
 * the ABI), so they are not re-declared here. */
#if defined(__linux__)
int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
int epoll_create1(int flags);
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
int eventfd(unsigned int initval, int flags);
#endif
#if defined(__APPLE__)
int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout);
#endif

/*
 * Structs (Java descriptors with StructLayout; layouts checked member by member):
 *   struct timespec  -> Timespec     struct timeval -> Rusage.TIMEVAL
 *   struct rusage    -> Rusage       cpu_set_t      -> CpuSet (Linux)
 *
 * Constants (values per OS in OsConstants.LINUX / OsConstants.MACOS; a constant an OS lacks is
 * OsConstants.ABSENT there, and the probe checks that the header does not define it either).
 * One name per word, between the markers; errno names come from Errno's tables.
 *
 * GORT-CONSTANTS-BEGIN
 *   PROT_NONE PROT_READ PROT_WRITE PROT_EXEC
 *   MAP_SHARED MAP_PRIVATE MAP_FIXED MAP_ANONYMOUS MAP_NORESERVE
 *   MADV_NORMAL MADV_DONTNEED MADV_FREE MADV_HUGEPAGE MADV_NOHUGEPAGE MADV_FREE_REUSABLE MADV_FREE_REUSE
 *   _SC_PAGESIZE _SC_NPROCESSORS_CONF _SC_NPROCESSORS_ONLN
 *   CLOCK_REALTIME CLOCK_MONOTONIC CLOCK_PROCESS_CPUTIME_ID CLOCK_THREAD_CPUTIME_ID
 *   RUSAGE_SELF RUSAGE_THREAD
 *   CPU_SETSIZE
 * GORT-CONSTANTS-END
 *
 * The netpoller's constants (NetConstants.LINUX_X86_64 / LINUX_AARCH64 / MACOS; its sizeof_ and
 * offsetof_ components, for sockaddr_in, sockaddr_in6, sockaddr_storage, socklen_t, rlimit,
 * epoll_event (packed on x86_64) and struct kevent, are checked as C expressions):
 *
 * GORT-NET-CONSTANTS-BEGIN
 *   AF_INET AF_INET6 SOCK_STREAM SOCK_NONBLOCK SOCK_CLOEXEC
 *   SOL_SOCKET SO_REUSEADDR SO_REUSEPORT SO_ERROR SO_KEEPALIVE SO_RCVBUF SO_SNDBUF SO_NOSIGPIPE
 *   IPPROTO_TCP IPPROTO_IPV6 TCP_NODELAY IPV6_V6ONLY SHUT_RD SHUT_WR SHUT_RDWR
 *   O_NONBLOCK O_CLOEXEC F_GETFD F_SETFD F_GETFL F_SETFL FD_CLOEXEC RLIMIT_NOFILE MSG_NOSIGNAL
 *   EPOLLIN EPOLLOUT EPOLLERR EPOLLHUP EPOLLRDHUP EPOLLET
 *   EPOLL_CTL_ADD EPOLL_CTL_DEL EPOLL_CTL_MOD EPOLL_CLOEXEC EFD_CLOEXEC EFD_NONBLOCK
 *   EVFILT_READ EVFILT_WRITE EVFILT_USER EV_ADD EV_DELETE EV_ENABLE EV_DISABLE EV_ONESHOT EV_CLEAR
 *   EV_EOF EV_ERROR NOTE_TRIGGER
 * GORT-NET-CONSTANTS-END
 */

#endif /* GORT_SYS_H */
