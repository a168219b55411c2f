/**
 * Reference-model stress loads for the collector, in main code so that the collector's tests and
 * the long soak ({@code ./gort soak}, {@code dev.gort.cli.Soak}) run the same checks: what a test
 * proves in seconds, the soak repeats for half an hour.
 *
 * <h2>The loads</h2>
 * <ul>
 *   <li>{@link dev.gort.gc.stress.GraphModel} (TESTING.md G1): a random object graph per mutator
 *       (allocate, link, unlink, overwrite, globals, root slots, pointer channels with an echo
 *       goroutine), mirrored by a graph of Java objects; after every cycle every object the model
 *       reaches is checked (payload and pointer fields), and at a quiescent point the heap's live
 *       bytes must equal the model's reachable bytes exactly.</li>
 *   <li>{@link dev.gort.gc.stress.TreeSwapLoad} (G4, Go's TestGCOld): two full trees of height 14
 *       whose equal-height subtrees are swapped and replaced; after every batch both trees are
 *       full to the height, counted and payload-checked.</li>
 *   <li>{@link dev.gort.gc.stress.PoolChurn}: a shared pointer pool taken from, filled and dropped
 *       by every mutator; every object handed out must be pooled at that moment and intact.</li>
 * </ul>
 * Each load runs on the calling mutator, a goroutine (with a pushed {@code Frame}) or a thread
 * registered with a ThreadWorld (with its {@code RootSlots}): {@link dev.gort.gc.stress.Slots} is
 * the one view of both, and the caller passes its world's poll.
 *
 * <h2>Failure</h2>
 * A disagreement throws {@link dev.gort.gc.stress.StressFailure} (an AssertionError) naming the
 * object, its address and what was expected. The loads print nothing; seeds are the caller's.
 *
 * <h2>Rejected</h2>
 * The model used to be an id-indexed list inside a test class: it grew by one entry per allocation
 * (a 10-minute run over threads would need tens of GB of Java heap) and could not be used by a
 * main program. The Java object mirror is collected by the JVM as the native graph is by gort, so
 * the model's memory follows the live graph, and it costs no renumbering.
 */
package dev.gort.gc.stress;
