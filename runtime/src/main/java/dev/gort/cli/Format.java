package dev.gort.cli;

import java.util.Locale;

/** Human figures for the tools' tables. */
final class Format {
    private Format() {
    }

    /** Bytes with a binary unit and one decimal: {@code 1023.5 MiB}; negative values keep their sign. */
    static String bytes(long b) {
        if (b < 0 && b != Long.MIN_VALUE) {
            return "-" + bytes(-b);
        }
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Mebibytes with one decimal, for table columns. */
    static String mib(long b) {
        if (b < 0) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.1f", b / 1048576.0);
    }

    /** A JSON string literal. */
    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
