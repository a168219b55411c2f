package dev.gort;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed GORT_DEBUG settings: every {@link DebugKey} with its value (default when absent).
 * Syntax as Go's GODEBUG: comma-separated {@code key=value}; empty items are skipped; when a key
 * repeats, the last one wins. gort is stricter than Go (which ignores what it cannot parse): a
 * known key with a value out of its range, or without {@code =value}, stops start-up.
 */
public final class GortDebug {
    private final EnumMap<DebugKey, Integer> values;

    private GortDebug(EnumMap<DebugKey, Integer> values) {
        this.values = values;
    }

    /** Every key at its default. */
    public static GortDebug defaults() {
        return new GortDebug(new EnumMap<>(DebugKey.class));
    }

    /** This key's value. */
    public int get(DebugKey key) {
        return values.getOrDefault(key, key.defaultValue());
    }

    /** Whether the key was given explicitly. */
    public boolean isSet(DebugKey key) {
        return values.containsKey(key);
    }

    public int gctrace() {
        return get(DebugKey.GCTRACE);
    }

    public int schedtrace() {
        return get(DebugKey.SCHEDTRACE);
    }

    public boolean scheddetail() {
        return get(DebugKey.SCHEDDETAIL) != 0;
    }

    public boolean scavtrace() {
        return get(DebugKey.SCAVTRACE) != 0;
    }

    public boolean gccheckmark() {
        return get(DebugKey.GCCHECKMARK) != 0;
    }

    public boolean gcpoison() {
        return get(DebugKey.GCPOISON) != 0;
    }

    public int gcstress() {
        return get(DebugKey.GCSTRESS);
    }

    public int gcstoptheworld() {
        return get(DebugKey.GCSTOPTHEWORLD);
    }

    public boolean madvdontneed() {
        return get(DebugKey.MADVDONTNEED) != 0;
    }

    public boolean invalidptr() {
        return get(DebugKey.INVALIDPTR) != 0;
    }

    public boolean harddecommit() {
        return get(DebugKey.HARDDECOMMIT) != 0;
    }

    public boolean checkptr() {
        return get(DebugKey.CHECKPTR) != 0;
    }

    /**
     * Parses {@code text}. Throws {@link ConfigException} for a malformed known key; appends one
     * warning to {@code warnings} naming all unknown keys and listing the known ones.
     */
    static GortDebug parse(String text, String source, List<String> warnings) {
        EnumMap<DebugKey, Integer> values = new EnumMap<>(DebugKey.class);
        Map<String, Boolean> unknown = new java.util.LinkedHashMap<>();
        for (String item : text.split(",", -1)) {
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            String name = eq < 0 ? item : item.substring(0, eq);
            DebugKey key = DebugKey.byName(name);
            if (key == null) {
                unknown.put(name.isEmpty() ? item : name, Boolean.TRUE);
                continue;
            }
            if (eq < 0) {
                throw new ConfigException(ConfigKey.GORT_DEBUG, text, source,
                        "key " + name + " has no value", name + "=<value> with value " + key.accepted());
            }
            String raw = item.substring(eq + 1);
            long v = GoSyntax.parseDecimal(raw);
            if (v == GoSyntax.MALFORMED || v < key.min() || v > key.max()) {
                throw new ConfigException(ConfigKey.GORT_DEBUG, text, source,
                        name + "=\"" + raw + "\" is out of range", "for " + name + ": " + key.accepted());
            }
            values.put(key, (int) v);
        }
        if (!unknown.isEmpty()) {
            warnings.add((unknown.size() == 1 ? "unknown GORT_DEBUG key " : "unknown GORT_DEBUG keys ")
                    + String.join(", ", unknown.keySet()) + " (" + source + ") ignored; known keys: " + DebugKey.known());
        }
        return new GortDebug(values);
    }

    /** The explicitly set keys as GORT_DEBUG text ({@code gctrace=1,scavtrace=1}); empty when none. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ",").append(k.key()).append('=').append(v));
        return sb.toString();
    }
}
