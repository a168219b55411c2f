package dev.gort.arena;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The size-class table against Go's sizeclasses.go (Go 1.16 to 1.24), row by row. */
class SizeClassesTest {
    /** class, bytes/obj, pages/span, objects/span, tail waste: copied from Go's generated table comment. */
    static final int[][] GO = {
        {1, 8, 1, 1024, 0},
        {2, 16, 1, 512, 0},
        {3, 24, 1, 341, 8},
        {4, 32, 1, 256, 0},
        {5, 48, 1, 170, 32},
        {6, 64, 1, 128, 0},
        {7, 80, 1, 102, 32},
        {8, 96, 1, 85, 32},
        {9, 112, 1, 73, 16},
        {10, 128, 1, 64, 0},
        {11, 144, 1, 56, 128},
        {12, 160, 1, 51, 32},
        {13, 176, 1, 46, 96},
        {14, 192, 1, 42, 128},
        {15, 208, 1, 39, 80},
        {16, 224, 1, 36, 128},
        {17, 240, 1, 34, 32},
        {18, 256, 1, 32, 0},
        {19, 288, 1, 28, 128},
        {20, 320, 1, 25, 192},
        {21, 352, 1, 23, 96},
        {22, 384, 1, 21, 128},
        {23, 416, 1, 19, 288},
        {24, 448, 1, 18, 128},
        {25, 480, 1, 17, 32},
        {26, 512, 1, 16, 0},
        {27, 576, 1, 14, 128},
        {28, 640, 1, 12, 512},
        {29, 704, 1, 11, 448},
        {30, 768, 1, 10, 512},
        {31, 896, 1, 9, 128},
        {32, 1024, 1, 8, 0},
        {33, 1152, 1, 7, 128},
        {34, 1280, 1, 6, 512},
        {35, 1408, 2, 11, 896},
        {36, 1536, 1, 5, 512},
        {37, 1792, 2, 9, 256},
        {38, 2048, 1, 4, 0},
        {39, 2304, 2, 7, 256},
        {40, 2688, 1, 3, 128},
        {41, 3072, 3, 8, 0},
        {42, 3200, 2, 5, 384},
        {43, 3456, 3, 7, 384},
        {44, 4096, 1, 2, 0},
        {45, 4864, 3, 5, 256},
        {46, 5376, 2, 3, 256},
        {47, 6144, 3, 4, 0},
        {48, 6528, 4, 5, 128},
        {49, 6784, 5, 6, 256},
        {50, 6912, 6, 7, 768},
        {51, 8192, 1, 1, 0},
        {52, 9472, 7, 6, 512},
        {53, 9728, 6, 5, 512},
        {54, 10240, 5, 4, 0},
        {55, 10880, 4, 3, 128},
        {56, 12288, 3, 2, 0},
        {57, 13568, 5, 3, 256},
        {58, 14336, 7, 4, 0},
        {59, 16384, 2, 1, 0},
        {60, 18432, 9, 4, 0},
        {61, 19072, 7, 3, 128},
        {62, 20480, 5, 2, 0},
        {63, 21760, 8, 3, 256},
        {64, 24576, 3, 1, 0},
        {65, 27264, 10, 3, 128},
        {66, 28672, 7, 2, 0},
        {67, 32768, 4, 1, 0}
    };

    @Test
    void tableMatchesGo() {
        assertEquals(68, SizeClasses.NUM_SIZE_CLASSES);
        assertEquals(136, SizeClasses.NUM_SPAN_CLASSES);
        assertEquals(8192, SizeClasses.PAGE_SIZE);
        assertEquals(32768, SizeClasses.MAX_SMALL_SIZE);
        assertEquals(67, GO.length);
        for (int[] row : GO) {
            int c = row[0];
            assertEquals(row[1], SizeClasses.classToSize(c), "size of class " + c);
            assertEquals(row[2], SizeClasses.classToPages(c), "pages of class " + c);
            assertEquals(row[3], SizeClasses.classToObjects(c), "objects of class " + c);
            long tail = row[2] * 8192L - (long) row[3] * row[1];
            assertEquals(row[4], tail, "tail waste of class " + c);
        }
    }

    @Test
    void lookupPicksTheSmallestClassThatFits() {
        for (int size = 1; size <= SizeClasses.MAX_SMALL_SIZE; size++) {
            int c = SizeClasses.sizeToClass(size);
            assertTrue(SizeClasses.classToSize(c) >= size, "class " + c + " too small for " + size);
            assertTrue(c == 1 || SizeClasses.classToSize(c - 1) < size, "class " + (c - 1) + " would fit " + size);
        }
    }

    @Test
    void hotPathTableAgreesWithGosTwoTablesForEverySmallSize() {
        for (int size = 1; size <= SizeClasses.MAX_SMALL_SIZE; size++) {
            assertEquals(SizeClasses.sizeToClass(size), SizeClasses.SIZE_TO_CLASS[(size + 7) >>> 3], "size " + size);
        }
    }

    @Test
    void divMulDividesEveryOffsetInASpan() {
        for (int c = 1; c < SizeClasses.NUM_SIZE_CLASSES; c++) {
            long size = SizeClasses.classToSize(c);
            long mul = SizeClasses.classToDivMul(c);
            long spanBytes = SizeClasses.classToPages(c) * SizeClasses.PAGE_SIZE;
            for (long off = 0; off < spanBytes; off++) {
                assertEquals(off / size, (off * mul) >>> 32, "class " + c + " offset " + off);
            }
        }
    }

    @Test
    void spanClassPacksNoscan() {
        assertEquals(9, SizeClasses.spanClass(4, true));
        assertEquals(8, SizeClasses.spanClass(4, false));
        assertEquals(4, SizeClasses.sizeClassOf(9));
        assertTrue(SizeClasses.isNoscan(9));
    }
}
