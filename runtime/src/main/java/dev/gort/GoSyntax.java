package dev.gort;

/**
 * Parsers for the value syntaxes Go's runtime accepts in its environment, reproduced exactly so a
 * Go user's settings mean the same here. They return a sentinel instead of throwing; {@link Config}
 * turns a sentinel into a message naming the key, the value and the accepted form.
 */
final class GoSyntax {
    private GoSyntax() {
    }

    /** Returned by the parsers for a malformed value. */
    static final long MALFORMED = Long.MIN_VALUE;

    /**
     * Go's {@code parseByteCount} (runtime/string.go, used for GOMEMLIMIT): a non-negative decimal
     * integer with an optional suffix {@code B, KiB, MiB, GiB, TiB}. No sign, no spaces, no
     * fractions, no SI (kB, MB) suffixes; overflow of int64 is malformed.
     */
    static long parseByteCount(String s) {
        if (s == null || s.isEmpty()) {
            return MALFORMED;
        }
        int shift = 0;
        String digits = s;
        if (s.endsWith("B")) {
            digits = s.substring(0, s.length() - 1);
            if (digits.endsWith("i")) {
                if (digits.length() < 2) {
                    return MALFORMED;
                }
                shift = switch (digits.charAt(digits.length() - 2)) {
                    case 'K' -> 10;
                    case 'M' -> 20;
                    case 'G' -> 30;
                    case 'T' -> 40;
                    default -> -1;
                };
                if (shift < 0) {
                    return MALFORMED;
                }
                digits = digits.substring(0, digits.length() - 2);
            }
        }
        long n = parseDecimal(digits);
        if (n == MALFORMED) {
            return MALFORMED;
        }
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
            return MALFORMED; // overflow, as Go reports it
        }
        return n << shift;
    }

    /** A non-negative decimal integer of digits only, or MALFORMED (also on overflow). */
    static long parseDecimal(String s) {
        if (s == null || s.isEmpty()) {
            return MALFORMED;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return MALFORMED;
            }
            if (n > (Long.MAX_VALUE - (c - '0')) / 10) {
                return MALFORMED;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /**
     * Go's {@code time.ParseDuration} without a sign: one or more decimal numbers, each with an
     * optional fraction and a unit ({@code ns, us, µs, μs, ms, s, m, h}), e.g. {@code 20us},
     * {@code 1.5s}, {@code 2m30s}; {@code 0} alone is zero. Returns nanoseconds or MALFORMED
     * (also on overflow).
     */
    static long parseDuration(String s) {
        if (s == null || s.isEmpty()) {
            return MALFORMED;
        }
        if (s.equals("0")) {
            return 0;
        }
        long total = 0;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            long whole = 0;
            while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
                if (whole > (Long.MAX_VALUE - 9) / 10) {
                    return MALFORMED;
                }
                whole = whole * 10 + (s.charAt(i) - '0');
                i++;
            }
            boolean hasWhole = i > start;
            long frac = 0;
            long fracScale = 1;
            boolean hasFrac = false;
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                    if (fracScale < 1_000_000_000_000_000L) { // digits beyond 18 places cannot matter
                        frac = frac * 10 + (s.charAt(i) - '0');
                        fracScale *= 10;
                    }
                    hasFrac = true;
                    i++;
                }
            }
            if (!hasWhole && !hasFrac) {
                return MALFORMED;
            }
            int unitStart = i;
            while (i < s.length() && !(s.charAt(i) >= '0' && s.charAt(i) <= '9') && s.charAt(i) != '.') {
                i++;
            }
            long unit = switch (s.substring(unitStart, i)) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> -1L;
            };
            if (unit < 0) {
                return MALFORMED; // missing or unknown unit
            }
            try {
                long part = Math.multiplyExact(whole, unit);
                part = Math.addExact(part, (long) ((double) frac * unit / fracScale));
                total = Math.addExact(total, part);
            } catch (ArithmeticException overflow) {
                return MALFORMED;
            }
        }
        return total;
    }

    /** Formats nanoseconds the way Go's Duration.String does for the common cases (20µs, 10ms, 2m0s). */
    static String formatDuration(long nanos) {
        if (nanos == 0) {
            return "0s";
        }
        if (nanos < 1_000L) {
            return nanos + "ns";
        }
        if (nanos < 1_000_000L) {
            return trim(nanos / 1e3) + "µs";
        }
        if (nanos < 1_000_000_000L) {
            return trim(nanos / 1e6) + "ms";
        }
        long secondsWhole = nanos / 1_000_000_000L;
        double seconds = (nanos % 60_000_000_000L) / 1e9;
        long minutes = secondsWhole / 60 % 60;
        long hours = secondsWhole / 3600;
        StringBuilder sb = new StringBuilder();
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            sb.append(minutes).append('m');
        }
        return sb.append(trim(seconds)).append('s').toString();
    }

    private static String trim(double v) {
        String s = String.format(java.util.Locale.ROOT, "%.9f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
