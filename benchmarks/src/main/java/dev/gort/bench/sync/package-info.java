/**
 * sync benchmarks: gort's {@code Pool} (Go 1.13's per-P private slot + lock-free chain + victim
 * cache) against the two pools JVM services use: a {@code ConcurrentLinkedQueue} of free objects
 * and Netty's {@code Recycler} (thread-local stacks). See {@link dev.gort.bench.sync.PoolBench}.
 */
package dev.gort.bench.sync;
