package dev.gort;

import dev.gort.gc.Collector;
import dev.gort.gc.Global;
import dev.gort.gc.Mem;
import dev.gort.gc.PtrPool;
import dev.gort.gc.Type;
import dev.gort.sched.Frame;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * README's examples for the gort heap (section "collector (`dev.gort.gc`): writing code for the gort
 * heap") compile and run as written. The code between the {@code README-BEGIN}/{@code README-END}
 * markers below is README's text; {@link #readmeExamplesAreCopiedHereVerbatim} reads README.md and
 * fails when one of its example lines is no longer here, so a README edit that would not compile or
 * run fails the suite until this copy follows it (issue #5: "README's section on writing code for the
 * gort heap ... with a short example").
 */
class ReadmeHeapExampleTest {
    private static final String SECTION = "## collector (`dev.gort.gc`): writing code for the gort heap";

    // README-BEGIN tree
    static final Type NODE = Type.struct("Node")
            .pointer("left").pointer("right").longField("value").build();
    static final long LEFT = NODE.offset("left"), RIGHT = NODE.offset("right"), VALUE = NODE.offset("value");

    long tree(Collector gc, int depth) {                 // binary-trees' bottomUpTree
        try (Frame f = Frame.push(1)) {                  // one root slot on this goroutine's shadow stack
            long n = gc.alloc(NODE);                     // zeroed; allocation is a safepoint
            f.set(0, n);                                 // n is now a root: it survives the next allocations
            if (depth > 0) {
                Mem.storePtr(n, LEFT, tree(gc, depth - 1));   // pointer stores go through the write barrier
                Mem.storePtr(n, RIGHT, tree(gc, depth - 1));
            }
            return n;                                    // the caller roots it before its next safepoint
        }
    }
    // README-END tree

    /** The example's last two lines, with the collector the runtime started. */
    Global treeExample(Collector gc) {
        // README-BEGIN tree
        Global cache = gc.newGlobal();                       // a global root (native root table)
        cache.set(tree(gc, 10));
        // README-END tree
        return cache;
    }

    /** README's PtrPool example; BUF and fill are the example's own names, defined here. */
    static final Type BUF = Type.bytes(256);

    static void fill(Collector gc, long buf) {
        gc.allocBytes(64);                                   // allocates: the frame must keep buf
        for (int i = 0; i < 256; i++) {
            Mem.putByte(buf, i, (byte) i);
        }
    }

    void poolExample(Collector gc) {
        // README-BEGIN pool
        PtrPool buffers = Gort.newPtrPool(() -> gc.alloc(BUF));   // the running collector's; New allocates when empty
        // (outside Gort.run: new PtrPool(collector) or new PtrPool(collector, newObject))
        // in a goroutine:
        try (Frame f = Frame.push(1)) {
            f.set(0, buffers.get());             // a pooled BUF or a new one, rooted before the next safepoint
            fill(gc, f.get(0));                  // ... use it (may allocate: the frame keeps it) ...
            buffers.put(f.get(0));               // back into the pool: a root again, for one or two cycles
        }
        buffers.close();                         // frees its root slots
        // README-END pool
    }

    /** Counts the nodes of a tree and checks that each holds its two children or none. */
    static long count(long n, int depth) {
        assertNotEquals(0, n, "a node at depth " + depth + " is missing");
        if (depth == 0) {
            assertEquals(0, Mem.loadPtr(n, LEFT));
            assertEquals(0, Mem.loadPtr(n, RIGHT));
            return 1;
        }
        return 1 + count(Mem.loadPtr(n, LEFT), depth - 1) + count(Mem.loadPtr(n, RIGHT), depth - 1);
    }

    @Test
    void treeExampleRunsAndTheGlobalKeepsTheTree() {
        assertEquals(0, Gort.run(new String[0], args -> {
            Collector gc = Gort.collector();
            gc.gc();
            long before = gc.heap().readMemStats().heapObjects();
            Global cache = treeExample(gc);
            for (int i = 0; i < 3; i++) {
                gc.gc();                                     // nothing but the global holds the tree
                assertEquals((1L << 11) - 1, count(cache.get(), 10), "every node of the depth-10 tree survives");
                assertEquals(0, Mem.getLong(cache.get(), VALUE));
            }
            assertEquals(before + (1L << 11) - 1, gc.heap().readMemStats().heapObjects(), "the tree is all that was added");
            cache.close();
            gc.gc();
            assertEquals(before, gc.heap().readMemStats().heapObjects(), "closing the global frees the tree");
        }, new Gort.Options().settings(Map.of("GOMAXPROCS", "2"), Map.of())));
    }

    @Test
    void poolExampleRuns() {
        assertEquals(0, Gort.run(new String[0], args -> {
            Collector gc = Gort.collector();
            gc.gc();
            long before = gc.heap().readMemStats().heapObjects();
            poolExample(gc);
            poolExample(gc);
            gc.gc();
            gc.gc();
            assertEquals(before, gc.heap().readMemStats().heapObjects(), "a closed pool roots nothing; the garbage is freed");
        }, new Gort.Options().settings(Map.of("GOMAXPROCS", "2"), Map.of())));
    }

    @Test
    void readmeExamplesAreCopiedHereVerbatim() throws IOException {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null && !(Files.exists(dir.resolve("README.md")) && Files.readString(dir.resolve("README.md")).contains(SECTION))) {
            dir = dir.getParent();
        }
        assertNotNull(dir, "no README.md with the section \"" + SECTION + "\" above " + System.getProperty("user.dir"));
        List<String> readme = Files.readAllLines(dir.resolve("README.md"));
        List<String> blocks = javaBlocks(readme.subList(readme.indexOf(SECTION), readme.size()));
        assertEquals(2, blocks.size(), "README's heap section has two java examples (the tree, the PtrPool): " + blocks);
        String here = normalise(copied(Files.readAllLines(dir.resolve("runtime/src/test/java/dev/gort/ReadmeHeapExampleTest.java"))));
        for (String block : blocks) {
            for (String line : block.split("\n")) {
                String l = normalise(line);
                assertTrue(l.isEmpty() || here.contains("\n" + l + "\n"),
                        "README example line not in ReadmeHeapExampleTest (copy it between the README-BEGIN/END markers): " + line);
            }
        }
    }

    /** The java code blocks of a README section (up to the next "## " header), one string each. */
    private static List<String> javaBlocks(List<String> section) {
        List<String> blocks = new ArrayList<>();
        StringBuilder cur = null;
        for (int i = 1; i < section.size(); i++) {
            String l = section.get(i);
            if (l.startsWith("## ")) {
                break;
            }
            if (l.strip().equals("```java")) {
                cur = new StringBuilder();
            } else if (l.strip().equals("```") && cur != null) {
                blocks.add(cur.toString());
                cur = null;
            } else if (cur != null) {
                cur.append(l).append('\n');
            }
        }
        return blocks;
    }

    /** The lines between this file's README-BEGIN and README-END markers. */
    private static List<String> copied(List<String> source) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String l : source) {
            if (l.strip().startsWith("// README-BEGIN")) {
                in = true;
            } else if (l.strip().startsWith("// README-END")) {
                in = false;
            } else if (in) {
                out.add(l);
            }
        }
        return out;
    }

    /** Each line stripped and its runs of blanks made one: indentation and comment alignment may differ. */
    private static String normalise(List<String> lines) {
        StringBuilder b = new StringBuilder("\n");
        for (String l : lines) {
            b.append(normalise(l)).append('\n');
        }
        return b.toString();
    }

    private static String normalise(String line) {
        return line.strip().replaceAll("\\s+", " ");
    }
}
