package dev.gort.gc;

import dev.gort.arena.GcSupport;
import dev.gort.arena.SizeClasses;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a managed object: its size and its pointer mask (which 8-byte words hold managed
 * pointers). The collector needs nothing else: allocation copies the mask into the arena's bitmap
 * region (one bit per heap word) and marking follows exactly the words whose bit is set. A type
 * whose mask is empty is <em>noscan</em>: it is allocated in noscan spans, writes no bitmap and is
 * black as soon as it is marked (Go's spanClass noscan bit).
 *
 * <p>Types are built once, at start-up, and then shared; building allocates, using does not.
 * <pre>{@code
 * static final Type NODE = Type.struct("Node")
 *         .pointer("left").pointer("right").longField("value").build();
 * static final long LEFT = NODE.offset("left"), RIGHT = NODE.offset("right"), VALUE = NODE.offset("value");
 * }</pre>
 *
 * <p>Layout rule (as C and Go): each field is aligned to its own alignment (pointer, long and
 * double 8, int 4, bytes 1, a nested struct or array its element's), and the size is rounded up
 * to the largest alignment. Managed pointers are always 8-byte aligned, so a pointer word is
 * exactly one bit of the mask.
 *
 * <p>Invariant: {@code ptrMask} has no bit set at or beyond {@link #ptrWords()}; {@code ptrWords}
 * is Go's "ptrdata / 8" (the prefix of the object that can hold pointers), so scanning stops there.
 */
public final class Type {
    /** Largest object gort types describe: the mask is materialised, so keep it bounded. */
    public static final long MAX_SIZE = 1L << 34;

    /** One managed pointer (8 bytes). */
    public static final Type POINTER = new Type("pointer", 8, 8, new long[] {1L}, 1, Map.of());
    /** One Java long / Go int64 (8 bytes, noscan). */
    public static final Type LONG = primitive("long", 8);
    /** One Java double (8 bytes, noscan). */
    public static final Type DOUBLE = primitive("double", 8);
    /** One Java int (4 bytes, noscan). */
    public static final Type INT = primitive("int", 4);
    /** One byte (noscan). */
    public static final Type BYTE = primitive("byte", 1);

    private final String name;
    private final long size;
    private final int align;
    private final long[] ptrMask;   // bit i of word i/64 = heap word i holds a pointer
    private final long ptrWords;    // words [0, ptrWords) may hold pointers; none after
    private final Map<String, Long> offsets;
    private long[] fullMask;        // the mask zero-extended to cover every word of the object
    /**
     * For the allocation fast path: the words of pointer bits it writes when 1..64 (one bitmap
     * read-modify-write of {@link #allocMask}), 0 when noscan (nothing written), -1 when larger
     * (the whole {@link #fullMask()}).
     */
    final int allocWords;
    /** The first mask word, for {@link #allocWords} 1..64. */
    final long allocMask;
    /**
     * The span class {@link Collector#alloc}'s inline fast path takes this type from (Go's
     * spanClass: size class and noscan), or -1 when the fast path does not serve it: size 0 (the
     * general path reports it), more than 64 pointer-bit words (the whole mask is written out of
     * line) or a large object.
     */
    final int fastSpanClass;
    /**
     * {@link GcSupport#stampKey} of the bits the fast path writes (0 for noscan, whose spans are
     * never stamped, so an unstamped noscan span's stamp 0 matches): when the cached span's
     * {@link dev.gort.arena.MCache#pointerStamp} equals it, the slot already holds these bits.
     */
    final long stampKey;

    private Type(String name, long size, int align, long[] ptrMask, long ptrWords, Map<String, Long> offsets) {
        this.name = name;
        this.size = size;
        this.align = align;
        this.ptrMask = ptrMask;
        this.ptrWords = ptrWords;
        this.offsets = offsets;
        long words = (size + 7) >>> 3;
        this.allocWords = ptrWords == 0 ? 0 : words <= 64 ? (int) words : -1;
        this.allocMask = ptrMask.length == 0 ? 0 : ptrMask[0];
        this.fastSpanClass = size <= 0 || allocWords < 0 || size > SizeClasses.MAX_SMALL_SIZE ? -1
                : SizeClasses.spanClass(SizeClasses.sizeToClass((int) size), allocWords == 0);
        this.stampKey = allocWords > 0 ? GcSupport.stampKey(allocWords, allocMask) : 0;
    }

    private static Type primitive(String name, int size) {
        return new Type(name, size, size, new long[0], 0, Map.of());
    }

    /** Starts a struct type. */
    public static Builder struct(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("type name must be a non-empty string, got " + (name == null ? "null" : "\"" + name + "\""));
        }
        return new Builder(name);
    }

    /** An array of {@code count} elements of {@code element}, laid out back to back. */
    public static Type arrayOf(Type element, long count) {
        if (element == null) {
            throw new IllegalArgumentException("array element type is null");
        }
        long stride = element.stride();
        if (count < 0 || (count > 0 && stride > MAX_SIZE / count)) {
            throw new IllegalArgumentException("array of " + count + " x " + element.name + " (" + stride
                    + " bytes each): the count must be in [0, " + (MAX_SIZE / stride) + "] so the size stays <= " + MAX_SIZE);
        }
        long size = stride * count;
        long[] mask;
        long ptrWords;
        if (element.ptrWords == 0 || count == 0) {
            mask = new long[0];
            ptrWords = 0;
        } else {
            long strideWords = stride / 8;
            ptrWords = (count - 1) * strideWords + element.ptrWords;
            mask = new long[(int) ((ptrWords + 63) >>> 6)];
            for (long e = 0; e < count; e++) {
                long base = e * strideWords;
                for (long w = 0; w < element.ptrWords; w++) {
                    if (element.isPointerWord(w)) {
                        long bit = base + w;
                        mask[(int) (bit >>> 6)] |= 1L << bit;
                    }
                }
            }
        }
        return new Type("[" + count + "]" + element.name, size, element.align, mask, ptrWords, Map.of());
    }

    /** A noscan array of {@code n} bytes. */
    public static Type bytes(long n) {
        return arrayOf(BYTE, n);
    }

    public String name() {
        return name;
    }

    /** Size in bytes (what the allocator is asked for). */
    public long size() {
        return size;
    }

    /** Alignment in bytes (1, 4 or 8). */
    public int align() {
        return align;
    }

    /** Distance between consecutive elements of an array of this type. */
    public long stride() {
        return (size + align - 1) & -align;
    }

    /** True when no word can hold a managed pointer: the collector never scans it. */
    public boolean noscan() {
        return ptrWords == 0;
    }

    /** Number of leading words that may hold pointers (Go's ptrdata / 8). */
    public long ptrWords() {
        return ptrWords;
    }

    /** True if heap word {@code wordIndex} of an object of this type holds a managed pointer. */
    public boolean isPointerWord(long wordIndex) {
        if (wordIndex < 0 || wordIndex >= ptrWords) {
            return false;
        }
        return (ptrMask[(int) (wordIndex >>> 6)] & (1L << wordIndex)) != 0;
    }

    /** The mask word {@code i} (bits for heap words 64i .. 64i+63); 0 past the end. */
    public long maskWord(int i) {
        return i < ptrMask.length ? ptrMask[i] : 0L;
    }

    /** Number of 64-bit mask words ({@code ceil(ptrWords / 64)}). */
    public int maskWords() {
        return ptrMask.length;
    }

    /** Words the allocator writes pointer bits for: the whole object, ceil(size / 8). */
    public long sizeWords() {
        return (size + 7) >>> 3;
    }

    /**
     * The mask zero-extended to {@link #sizeWords()} bits, for the allocator: writing it clears
     * bits a previous object in the same slot may have left. Shared: do not modify.
     */
    public long[] fullMask() {
        long[] m = fullMask;
        if (m == null) {
            m = Arrays.copyOf(ptrMask, (int) Math.max(1, (sizeWords() + 63) >>> 6));
            fullMask = m;
        }
        return m;
    }

    /** Number of pointer words in one object (popcount of the mask). */
    public long pointerCount() {
        long n = 0;
        for (long w : ptrMask) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** Byte offset of a named field; fails with the known field names if there is none. */
    public long offset(String field) {
        Long off = offsets.get(field);
        if (off == null) {
            throw new IllegalArgumentException("type " + name + " has no field \"" + field + "\"; its fields are " + offsets.keySet());
        }
        return off;
    }

    /** Field names to offsets, in declaration order. */
    public Map<String, Long> fields() {
        return offsets;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append("{size=").append(size).append(", ptrs=");
        for (long w = 0; w < ptrWords; w++) {
            sb.append(isPointerWord(w) ? 'P' : '.');
        }
        return sb.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Type t && t.size == size && t.align == align && t.ptrWords == ptrWords
                && Arrays.equals(t.ptrMask, ptrMask) && t.name.equals(name) && t.offsets.equals(offsets);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Long.hashCode(size) + Arrays.hashCode(ptrMask);
    }

    /** Fluent struct builder: fields are laid out in call order with natural alignment. */
    public static final class Builder {
        private final String name;
        private final LinkedHashMap<String, Long> offsets = new LinkedHashMap<>();
        private long size;
        private int align = 1;
        private long[] mask = new long[1];
        private long ptrWords;
        private boolean built;

        private Builder(String name) {
            this.name = name;
        }

        public Builder pointer(String field) {
            return field(field, POINTER);
        }

        public Builder longField(String field) {
            return field(field, LONG);
        }

        public Builder doubleField(String field) {
            return field(field, DOUBLE);
        }

        public Builder intField(String field) {
            return field(field, INT);
        }

        /** {@code n} inline bytes (noscan). */
        public Builder bytes(String field, long n) {
            return field(field, Type.bytes(n));
        }

        /** An inline array of {@code count} elements of {@code element}. */
        public Builder array(String field, Type element, long count) {
            return field(field, arrayOf(element, count));
        }

        /** A nested (inline) value of {@code type}: its pointer words become this struct's. */
        public Builder field(String field, Type type) {
            if (built) {
                throw new IllegalStateException("type " + name + " was already built; start a new Type.struct(...)");
            }
            if (field == null || field.isEmpty()) {
                throw new IllegalArgumentException("field name of type " + name + " must be non-empty");
            }
            if (offsets.containsKey(field)) {
                throw new IllegalArgumentException("type " + name + " already has a field \"" + field + "\"");
            }
            if (type == null) {
                throw new IllegalArgumentException("field \"" + field + "\" of type " + name + " has a null type");
            }
            long off = (size + type.align - 1) & -type.align;
            if (off + type.size > MAX_SIZE) {
                throw new IllegalArgumentException("type " + name + " would exceed " + MAX_SIZE + " bytes at field \"" + field + "\"");
            }
            offsets.put(field, off);
            if (type.ptrWords > 0) {
                // off is 8-aligned here: every type with pointers has alignment 8.
                long baseWord = off >>> 3;
                long newPtrWords = baseWord + type.ptrWords;
                int need = (int) ((newPtrWords + 63) >>> 6);
                if (need > mask.length) {
                    mask = Arrays.copyOf(mask, Math.max(need, mask.length * 2));
                }
                for (long w = 0; w < type.ptrWords; w++) {
                    if (type.isPointerWord(w)) {
                        long bit = baseWord + w;
                        mask[(int) (bit >>> 6)] |= 1L << bit;
                    }
                }
                ptrWords = newPtrWords;
            }
            size = off + type.size;
            align = Math.max(align, type.align);
            return this;
        }

        public Type build() {
            if (offsets.isEmpty()) {
                throw new IllegalArgumentException("type " + name + " has no fields; add at least one (pointer, longField, intField, doubleField, bytes, array, field)");
            }
            built = true;
            long finalSize = (size + align - 1) & -align;
            long[] finalMask = Arrays.copyOf(mask, (int) ((ptrWords + 63) >>> 6));
            return new Type(name, finalSize, align, finalMask, ptrWords, Collections.unmodifiableMap(new LinkedHashMap<>(offsets)));
        }
    }
}
