package dev.gort;

import java.util.Arrays;

/**
 * GORT_AFFINITY: how Ms (the scheduler's platform threads) are placed on CPUs.
 * {@code none} leaves them to the OS; {@code spread} pins M number i to the i-th allowed CPU
 * (round robin); {@code list:0,2} pins round robin over exactly those CPUs.
 */
public sealed interface Affinity {
    /** The largest CPU number a list may name: CPU_SETSIZE - 1 on Linux. */
    int MAX_CPU = 1023;

    record None() implements Affinity {
        @Override
        public String toString() {
            return "none";
        }
    }

    record Spread() implements Affinity {
        @Override
        public String toString() {
            return "spread";
        }
    }

    /** Pins round robin over {@code cpus}, in the given order; no duplicates, each in 0..MAX_CPU. */
    record CpuList(int[] cpus) implements Affinity {
        public CpuList {
            cpus = cpus.clone();
        }

        @Override
        public int[] cpus() {
            return cpus.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CpuList l && Arrays.equals(cpus, l.cpus);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(cpus);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("list:");
            for (int i = 0; i < cpus.length; i++) {
                sb.append(i == 0 ? "" : ",").append(cpus[i]);
            }
            return sb.toString();
        }
    }

    /** Parses the value; returns null with {@code problem[0]} set when malformed. */
    static Affinity parse(String s, String[] problem) {
        switch (s) {
            case "none":
                return new None();
            case "spread":
                return new Spread();
            default:
                break;
        }
        if (!s.startsWith("list:")) {
            problem[0] = "unknown policy";
            return null;
        }
        String body = s.substring("list:".length());
        if (body.isEmpty()) {
            problem[0] = "the list names no CPU";
            return null;
        }
        String[] parts = body.split(",", -1);
        int[] cpus = new int[parts.length];
        boolean[] seen = new boolean[MAX_CPU + 1];
        for (int i = 0; i < parts.length; i++) {
            long n = GoSyntax.parseDecimal(parts[i]);
            if (n == GoSyntax.MALFORMED) {
                problem[0] = "\"" + parts[i] + "\" is not a CPU number";
                return null;
            }
            if (n > MAX_CPU) {
                problem[0] = "CPU " + parts[i] + " is beyond the largest CPU number " + MAX_CPU;
                return null;
            }
            if (seen[(int) n]) {
                problem[0] = "CPU " + n + " is listed twice";
                return null;
            }
            seen[(int) n] = true;
            cpus[i] = (int) n;
        }
        return new CpuList(cpus);
    }
}
