package dev.gort.gc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TypeTest {

    @Test
    void structLayoutFollowsNaturalAlignment() {
        Type t = Type.struct("Mixed").intField("a").pointer("p").bytes("b", 3).longField("l").intField("i").build();
        assertEquals(0, t.offset("a"));
        assertEquals(8, t.offset("p"));
        assertEquals(16, t.offset("b"));
        assertEquals(24, t.offset("l"));
        assertEquals(32, t.offset("i"));
        assertEquals(40, t.size(), "size rounds up to the 8-byte alignment");
        assertEquals(8, t.align());
        assertFalse(t.noscan());
        assertEquals(2, t.ptrWords(), "scanning can stop after word 1");
        assertTrue(t.isPointerWord(1));
        assertFalse(t.isPointerWord(0));
        assertFalse(t.isPointerWord(2));
        assertFalse(t.isPointerWord(4));
        assertEquals(1, t.pointerCount());
    }

    @Test
    void noscanDetection() {
        Type t = Type.struct("Point").doubleField("x").doubleField("y").longField("id").build();
        assertTrue(t.noscan());
        assertEquals(0, t.ptrWords());
        assertEquals(24, t.size());
        assertTrue(Type.bytes(100).noscan());
        assertEquals(100, Type.bytes(100).size());
        assertEquals(1, Type.bytes(100).align());
        Type ints = Type.struct("Ints").intField("a").intField("b").intField("c").build();
        assertEquals(12, ints.size());
        assertEquals(4, ints.align());
    }

    @Test
    void arraysRepeatTheElementMask() {
        Type pair = Type.struct("Pair").pointer("key").longField("hash").build();
        Type arr = Type.arrayOf(pair, 100);
        assertEquals(1600, arr.size());
        assertEquals(199, arr.ptrWords(), "last pointer is word 198");
        for (int w = 0; w < 200; w++) {
            assertEquals(w % 2 == 0, arr.isPointerWord(w), "word " + w);
        }
        assertEquals(100, arr.pointerCount());
        Type ptrs = Type.arrayOf(Type.POINTER, 1000);
        assertEquals(1000, ptrs.pointerCount());
        assertEquals(1000, ptrs.ptrWords());
        assertEquals(-1L, ptrs.maskWord(0));
        assertEquals(0L, ptrs.maskWord(1000));
        assertTrue(Type.arrayOf(Type.POINTER, 0).noscan());
    }

    @Test
    void nestedStructsAndInlineArrays() {
        Type inner = Type.struct("Inner").longField("x").pointer("p").build();
        Type outer = Type.struct("Outer").intField("tag").field("in", inner).array("kids", Type.POINTER, 3).build();
        assertEquals(8, outer.offset("in"));
        assertEquals(24, outer.offset("kids"));
        assertEquals(48, outer.size());
        assertEquals("Outer{size=48, ptrs=..PPPP}", outer.toString());
    }

    @Test
    void maskCrossesLongBoundaries() {
        Type.Builder b = Type.struct("Wide");
        for (int i = 0; i < 130; i++) {
            if (i % 3 == 0) {
                b.pointer("f" + i);
            } else {
                b.longField("f" + i);
            }
        }
        Type t = b.build();
        for (int i = 0; i < 130; i++) {
            assertEquals(i % 3 == 0, t.isPointerWord(i), "word " + i);
            assertEquals(i * 8L, t.offset("f" + i));
        }
        assertEquals(130 * 8, t.size());
        assertEquals(3, t.maskWords());
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        var e = assertThrows(IllegalArgumentException.class, () -> Type.struct("Empty").build());
        assertTrue(e.getMessage().contains("no fields"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Type.struct("Dup").pointer("a").longField("a"));
        assertTrue(e.getMessage().contains("already has a field \"a\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Type.arrayOf(Type.LONG, -1));
        assertTrue(e.getMessage().contains("count must be in [0, "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Type.arrayOf(Type.LONG, Long.MAX_VALUE / 4));
        assertTrue(e.getMessage().contains("count must be in"), e.getMessage());
        Type t = Type.struct("T").pointer("p").build();
        e = assertThrows(IllegalArgumentException.class, () -> t.offset("q"));
        assertTrue(e.getMessage().contains("has no field \"q\"") && e.getMessage().contains("[p]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Type.struct(""));
        Type.Builder b = Type.struct("Once").pointer("p");
        b.build();
        assertThrows(IllegalStateException.class, () -> b.pointer("q"));
    }
}
