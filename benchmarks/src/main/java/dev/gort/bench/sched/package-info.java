/**
 * Scheduler benchmarks: goroutine ping-pong, spawn, buffered channels and gosched against virtual
 * threads (SynchronousQueue, LockSupport hand-off, ArrayBlockingQueue) and ForkJoinPool tasks, with
 * a raw Continuation resume+yield as the floor ({@link dev.gort.bench.sched.ContinuationFloorBench}).
 */
package dev.gort.bench.sched;
