/**
 * Benchmarks of the native layer itself (module native-bindings): what a downcall costs on the
 * hot path, with and without {@code critical(false)}, against {@code System.nanoTime()} as the
 * floor, so the allocator, scheduler and collector know what a native call costs them.
 */
package dev.gort.bench.sys;
