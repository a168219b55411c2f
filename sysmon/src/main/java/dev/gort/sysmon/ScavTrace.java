package dev.gort.sysmon;

/**
 * Go's scavtrace line (runtime/mgcscavenge.go printScavTrace, Go 1.19+), field by field:
 * <pre>
 * scav 1024 KiB work (bg), 0 KiB work (eager), 524288 KiB now, 12% util
 *      |                   |                   |               +- heapInUse * 100 / heapRetained
 *      |                   |                   +- address space released to the OS now (HeapReleased)
 *      |                   +- released synchronously (heap growth, memory limit) since the last line
 *      +- released by the background scavenger since the last line
 * </pre>
 * A line for {@code freeOSMemory} ends with {@code " (forced)"}. (extern.go documents the third
 * field as "KiB total"; the code prints "KiB now", which is what Go users see.)
 */
public final class ScavTrace {
    private ScavTrace() {
    }

    public static String line(long releasedBg, long releasedEager, long heapReleased, long heapInUse, long heapRetained,
                              boolean forced) {
        long util = heapRetained <= 0 ? 0 : heapInUse * 100 / heapRetained;
        return "scav " + (releasedBg >> 10) + " KiB work (bg), " + (releasedEager >> 10) + " KiB work (eager), "
                + (heapReleased >> 10) + " KiB now, " + util + "% util" + (forced ? " (forced)" : "");
    }
}
