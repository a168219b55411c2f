package dev.gort.sysmon;

/**
 * sysmon's counters at one moment.
 *
 * @param rounds           rounds run
 * @param retakes          Ps taken from Ms blocked in syscalls
 * @param preemptRequests  preemption requests for Gs running longer than the slice (syscallPreempts included)
 * @param syscallPreempts  of those, requests for Gs whose slice ended while they were in a syscall (a
 *                         loop of short syscalls keeps one slice: the G yields when its call returns,
 *                         and the P goes to the hand-off rules at once, Go's sysretake)
 * @param forcedGcs        cycles started for sysmon's forced-GC request (Go's gcTriggerTime); not
 *                         MemStats' NumForcedGC, which counts Gort.gc()'s cycles only
 * @param netpollInjected  goroutines made runnable by sysmon's own network polls
 * @param scavengePasses   scavenger passes that released something
 * @param scavengedBytes   bytes released by passes sysmon drove
 * @param failures         rounds in which a duty threw (each reported on stderr)
 * @param deepSleeps       deep sleeps taken while every P was idle (Go's sysmonwait)
 */
public record SysmonStats(long rounds, long retakes, long preemptRequests, long syscallPreempts, long forcedGcs, long netpollInjected,
                          long scavengePasses, long scavengedBytes, long failures, long deepSleeps) {
}
