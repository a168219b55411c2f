/*
 * The C declarations LibCNet binds (what jextract would read), and the headers that define the
 * constants and struct layouts in NetConstants. NetHeaderConformanceTest compiles
 * src/test/c/net_probe.c, which includes this file, with gcc and compares every value it prints
 * with the Java table for this platform.
 */
#ifndef GORT_NET_H
#define GORT_NET_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
#ifdef __APPLE__
#include <sys/event.h>
#include <sys/time.h>
#endif

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
/* int getrlimit(int resource, struct rlimit *rlim);
 * int setrlimit(int resource, const struct rlimit *rlim);
 * (glibc with _GNU_SOURCE types resource as the enum __rlimit_resource_t: an int on the ABI, so
 * these stay comments here and <sys/resource.h> declares them.) */
#ifdef __linux__
int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
int epoll_create1(int flags);
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
int eventfd(unsigned int initval, int flags);
#endif
#ifdef __APPLE__
int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout);
#endif

#endif
