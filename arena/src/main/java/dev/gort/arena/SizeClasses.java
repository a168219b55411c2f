package dev.gort.arena;

/**
 * Go's size-class table (src/runtime/sizeclasses.go, Go 1.16 to 1.24): 8 KiB pages, 67 small
 * classes from 8 B to 32 KiB, class 0 meaning "large" (an object with a span of its own).
 *
 * <p>A spanClass is {@code sizeclass << 1 | noscan}: spans of pointer-free objects are kept apart
 * from spans of objects the collector must scan, so a whole span can be skipped while marking.
 *
 * <p>The lookup follows Go's two-table scheme: {@code size_to_class8[(size+7)/8]} for sizes up to
 * 1024 - 8, {@code size_to_class128[(size-1024+127)/128]} above. Both tables are derived here from
 * the class sizes (smallest class that fits), so only the two columns copied from Go are data.
 */
public final class SizeClasses {
    private SizeClasses() {
    }

    /** log2 of the runtime page (Go's _PageShift). Not the OS page. */
    public static final int PAGE_SHIFT = 13;
    /** The runtime page: 8192 bytes (Go's _PageSize). */
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    /** Largest small object (Go's _MaxSmallSize); larger objects get their own span. */
    public static final int MAX_SMALL_SIZE = 32768;
    /** Number of size classes including class 0 (= large), Go's _NumSizeClasses. */
    public static final int NUM_SIZE_CLASSES = 68;
    /** Number of span classes: every size class in a scan and a noscan flavour. */
    public static final int NUM_SPAN_CLASSES = NUM_SIZE_CLASSES << 1;

    static final int SMALL_SIZE_DIV = 8;
    static final int SMALL_SIZE_MAX = 1024;
    static final int LARGE_SIZE_DIV = 128;

    /** Object size of each class (Go's class_to_size). */
    private static final int[] CLASS_TO_SIZE = {0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192,
        208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408,
        1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
        10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};

    /** Pages per span of each class (Go's class_to_allocnpages). */
    private static final int[] CLASS_TO_PAGES = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7,
        2, 9, 7, 5, 8, 3, 10, 7, 4};

    /** Objects per span of each class. */
    private static final int[] CLASS_TO_NELEMS = new int[NUM_SIZE_CLASSES];
    /** Go's divMul: {@code offset * divMul >>> 32 == offset / size} for every offset inside a span. */
    private static final long[] CLASS_TO_DIVMUL = new long[NUM_SIZE_CLASSES];

    /** Hot-path tables (public fields are read by MCache; they are never written after init). */
    static final byte[] SIZE_TO_CLASS8 = new byte[SMALL_SIZE_MAX / SMALL_SIZE_DIV + 1];
    static final byte[] SIZE_TO_CLASS128 = new byte[(MAX_SMALL_SIZE - SMALL_SIZE_MAX) / LARGE_SIZE_DIV + 1];
    /**
     * The hot path's single table: the class of every small size by {@code (size + 7) >>> 3}, 8 B
     * granular over the whole small range (4097 entries). Every class size is a multiple of 8, so
     * the smallest class holding {@code ((size + 7) / 8) * 8} bytes is the smallest holding
     * {@code size}: the same answers as Go's two tables (SizeClassesTest checks every size), one
     * load and no branch between them.
     */
    static final byte[] SIZE_TO_CLASS = new byte[MAX_SMALL_SIZE / SMALL_SIZE_DIV + 1];

    static {
        if (CLASS_TO_SIZE.length != NUM_SIZE_CLASSES || CLASS_TO_PAGES.length != NUM_SIZE_CLASSES) {
            throw new AssertionError("size-class table has " + CLASS_TO_SIZE.length + "/" + CLASS_TO_PAGES.length
                    + " entries, expected " + NUM_SIZE_CLASSES);
        }
        for (int c = 1; c < NUM_SIZE_CLASSES; c++) {
            CLASS_TO_NELEMS[c] = (int) (CLASS_TO_PAGES[c] * PAGE_SIZE / CLASS_TO_SIZE[c]);
            CLASS_TO_DIVMUL[c] = 0xFFFF_FFFFL / CLASS_TO_SIZE[c] + 1;
        }
        int c = 1;
        for (int i = 0; i < SIZE_TO_CLASS8.length; i++) {
            int size = i * SMALL_SIZE_DIV;
            while (CLASS_TO_SIZE[c] < size) {
                c++;
            }
            SIZE_TO_CLASS8[i] = (byte) c;
        }
        for (int i = 0; i < SIZE_TO_CLASS128.length; i++) {
            int size = SMALL_SIZE_MAX + i * LARGE_SIZE_DIV;
            while (CLASS_TO_SIZE[c] < size) {
                c++;
            }
            SIZE_TO_CLASS128[i] = (byte) c;
        }
        c = 1;
        for (int i = 0; i < SIZE_TO_CLASS.length; i++) {
            while (CLASS_TO_SIZE[c] < i * SMALL_SIZE_DIV) {
                c++;
            }
            SIZE_TO_CLASS[i] = (byte) c;
        }
    }

    /** The size class for a small request ({@code 1 <= size <= 32768}). */
    public static int sizeToClass(int size) {
        if (size <= SMALL_SIZE_MAX - 8) {
            return SIZE_TO_CLASS8[(size + 7) >>> 3];
        }
        return SIZE_TO_CLASS128[(size - SMALL_SIZE_MAX + 127) >>> 7];
    }

    /** Object size of class {@code sizeClass} (0 for class 0 = large). */
    public static int classToSize(int sizeClass) {
        return CLASS_TO_SIZE[sizeClass];
    }

    /** Pages per span of class {@code sizeClass}. */
    public static int classToPages(int sizeClass) {
        return CLASS_TO_PAGES[sizeClass];
    }

    /** Objects per span of class {@code sizeClass}. */
    public static int classToObjects(int sizeClass) {
        return CLASS_TO_NELEMS[sizeClass];
    }

    static long classToDivMul(int sizeClass) {
        return CLASS_TO_DIVMUL[sizeClass];
    }

    /** {@code sizeclass << 1 | noscan}. */
    public static int spanClass(int sizeClass, boolean noscan) {
        return sizeClass << 1 | (noscan ? 1 : 0);
    }

    public static int sizeClassOf(int spanClass) {
        return spanClass >>> 1;
    }

    public static boolean isNoscan(int spanClass) {
        return (spanClass & 1) != 0;
    }
}
