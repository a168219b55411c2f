/* Prints "NAME VALUE" for every constant and layout NetConstants holds (Linux build). */
#include "gort_net.h"
#include <stdio.h>

#define P(name) printf("%s %ld\n", #name, (long)(name))
#define SZ(type, field) printf("sizeof_%s %ld\n", field, (long)sizeof(type))
#define OFF(name, type, member) printf("%s %ld\n", name, (long)offsetof(type, member))

int main(void) {
    P(AF_INET); P(AF_INET6); P(SOCK_STREAM); P(SOCK_NONBLOCK); P(SOCK_CLOEXEC);
    P(SOL_SOCKET); P(SO_REUSEADDR); P(SO_REUSEPORT); P(SO_ERROR); P(SO_KEEPALIVE);
    P(SO_RCVBUF); P(SO_SNDBUF);
    P(IPPROTO_TCP); P(IPPROTO_IPV6); P(TCP_NODELAY); P(IPV6_V6ONLY);
    P(SHUT_RD); P(SHUT_WR); P(SHUT_RDWR);
    P(O_NONBLOCK); P(O_CLOEXEC); P(F_GETFD); P(F_SETFD); P(F_GETFL); P(F_SETFL); P(FD_CLOEXEC);
    P(RLIMIT_NOFILE); P(MSG_NOSIGNAL);
    P(EPOLLIN); P(EPOLLOUT); P(EPOLLERR); P(EPOLLHUP); P(EPOLLRDHUP);
    printf("EPOLLET %ld\n", (long)(int)EPOLLET);
    P(EPOLL_CTL_ADD); P(EPOLL_CTL_DEL); P(EPOLL_CTL_MOD); P(EPOLL_CLOEXEC);
    P(EFD_CLOEXEC); P(EFD_NONBLOCK);
    SZ(struct sockaddr_in, "sockaddr_in");
    OFF("offsetof_sin_family", struct sockaddr_in, sin_family);
    OFF("offsetof_sin_port", struct sockaddr_in, sin_port);
    OFF("offsetof_sin_addr", struct sockaddr_in, sin_addr);
    SZ(struct sockaddr_in6, "sockaddr_in6");
    OFF("offsetof_sin6_family", struct sockaddr_in6, sin6_family);
    OFF("offsetof_sin6_port", struct sockaddr_in6, sin6_port);
    OFF("offsetof_sin6_flowinfo", struct sockaddr_in6, sin6_flowinfo);
    OFF("offsetof_sin6_addr", struct sockaddr_in6, sin6_addr);
    OFF("offsetof_sin6_scope_id", struct sockaddr_in6, sin6_scope_id);
    SZ(struct sockaddr_storage, "sockaddr_storage");
    SZ(socklen_t, "socklen_t");
    SZ(struct rlimit, "rlimit");
    SZ(struct epoll_event, "epoll_event");
    OFF("offsetof_epoll_event_events", struct epoll_event, events);
    OFF("offsetof_epoll_event_data", struct epoll_event, data);
    /* errno values the net package maps to its exceptions */
    P(EAGAIN); P(EINTR); P(EINPROGRESS); P(ECONNRESET); P(ECONNREFUSED); P(EPIPE); P(EADDRINUSE);
    P(EMFILE); P(ENFILE); P(ENOTCONN); P(ECONNABORTED); P(EBADF); P(ETIMEDOUT); P(EADDRNOTAVAIL);
    return 0;
}
