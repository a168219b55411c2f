package dev.gort.sched;

import java.util.Arrays;
import java.util.BitSet;

/**
 * CPU pinning of Ms ({@code GORT_AFFINITY}): {@code none} (default), {@code spread} (M i on the
 * i-th allowed CPU, round robin), or {@code list:0,2,...} (M i on the i-th listed CPU, round robin).
 */
public record Affinity(Kind kind, int[] cpus) {
    public enum Kind { NONE, SPREAD, LIST }

    public static final Affinity NONE = new Affinity(Kind.NONE, new int[0]);
    public static final Affinity SPREAD = new Affinity(Kind.SPREAD, new int[0]);

    static final String ACCEPTED = "accepted: none | spread | list:<cpu>[,<cpu>...] with CPU numbers >= 0, e.g. list:0,2";

    public Affinity {
        cpus = cpus.clone();
    }

    /** Parses a GORT_AFFINITY value; a bad one is an IllegalArgumentException naming it and the accepted forms. */
    public static Affinity parse(String value) {
        if (value == null) {
            throw new IllegalArgumentException("GORT_AFFINITY is null; " + ACCEPTED);
        }
        String v = value.trim();
        if (v.equals("none") || v.isEmpty()) {
            return NONE;
        }
        if (v.equals("spread")) {
            return SPREAD;
        }
        if (v.startsWith("list:")) {
            String[] parts = v.substring(5).split(",", -1);
            int[] cpus = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                String s = parts[i].trim();
                try {
                    cpus[i] = Integer.parseInt(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("GORT_AFFINITY=" + value + ": '" + s + "' is not a CPU number; " + ACCEPTED);
                }
                if (cpus[i] < 0) {
                    throw new IllegalArgumentException("GORT_AFFINITY=" + value + ": CPU " + cpus[i] + " is negative; " + ACCEPTED);
                }
            }
            return new Affinity(Kind.LIST, cpus);
        }
        throw new IllegalArgumentException("GORT_AFFINITY=" + value + " is not understood; " + ACCEPTED);
    }

    /**
     * The listed CPUs that {@code allowed} (the process's affinity mask) does not hold, in list
     * order; empty for none and spread, which pick from the mask themselves.
     */
    public int[] cpusNotAllowed(BitSet allowed) {
        return kind != Kind.LIST ? new int[0] : Arrays.stream(cpus).filter(c -> !allowed.get(c)).toArray();
    }

    /**
     * The refusal of a list naming CPUs this process may not run on (an M pinned there failed at
     * start and ran unpinned, with only a warning): names them and the CPUs accepted.
     */
    public static String notAllowedMessage(String value, int[] bad, BitSet allowed) {
        return "GORT_AFFINITY=" + value + ": " + notAllowedProblem(bad) + "; accepted: " + notAllowedAccepted(allowed);
    }

    /** The refusal's first half: which CPUs of the list the mask lacks (also Config's ConfigException). */
    public static String notAllowedProblem(int[] bad) {
        return (bad.length == 1 ? "CPU " + bad[0] + " is" : "CPUs "
                + String.join(",", Arrays.stream(bad).mapToObj(Integer::toString).toList()) + " are")
                + " not in this process's affinity mask";
    }

    /** The refusal's second half: what is accepted instead, given the process's mask. */
    public static String notAllowedAccepted(BitSet allowed) {
        return "the CPUs it allows, " + dev.gort.sys.CpuAffinity.format(allowed) + " (list:<cpu>[,<cpu>...] of those), spread or none";
    }

    /** The CPU for M number {@code mIndex} (0-based), or -1 for none; {@code allowed} is the process mask. */
    int cpuFor(int mIndex, BitSet allowed) {
        switch (kind) {
            case NONE:
                return -1;
            case LIST:
                return cpus[mIndex % cpus.length];
            default:
                int n = allowed.cardinality();
                if (n == 0) {
                    return -1;
                }
                int k = mIndex % n;
                int cpu = allowed.nextSetBit(0);
                for (int i = 0; i < k; i++) {
                    cpu = allowed.nextSetBit(cpu + 1);
                }
                return cpu;
        }
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case SPREAD -> "spread";
            case LIST -> "list:" + String.join(",", Arrays.stream(cpus).mapToObj(Integer::toString).toList());
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Affinity a && a.kind == kind && Arrays.equals(a.cpus, cpus);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(cpus);
    }
}
