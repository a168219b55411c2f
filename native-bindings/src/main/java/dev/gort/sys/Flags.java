package dev.gort.sys;

/** Renders flag words symbolically for error messages. */
final class Flags {
    private Flags() {
    }

    static String prot(int prot) {
        OsConstants c = Platform.current().constants();
        if (prot == c.PROT_NONE()) {
            return "PROT_NONE";
        }
        StringBuilder sb = new StringBuilder();
        if ((prot & c.PROT_READ()) != 0) {
            sb.append("PROT_READ");
        }
        if ((prot & c.PROT_WRITE()) != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append("PROT_WRITE");
        }
        if ((prot & c.PROT_EXEC()) != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append("PROT_EXEC");
        }
        int rest = prot & ~(c.PROT_READ() | c.PROT_WRITE() | c.PROT_EXEC());
        if (rest != 0) {
            sb.append(sb.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(rest));
        }
        return sb.toString();
    }

    static String map(int flags) {
        OsConstants c = Platform.current().constants();
        StringBuilder sb = new StringBuilder();
        int rest = flags;
        int[] bits = {c.MAP_SHARED(), c.MAP_PRIVATE(), c.MAP_FIXED(), c.MAP_ANONYMOUS(), c.MAP_NORESERVE()};
        String[] names = {"MAP_SHARED", "MAP_PRIVATE", "MAP_FIXED", c.MAP_ANONYMOUS() == 0x20 ? "MAP_ANONYMOUS" : "MAP_ANON",
            "MAP_NORESERVE"};
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                sb.append(sb.isEmpty() ? "" : "|").append(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0 || sb.isEmpty()) {
            sb.append(sb.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(rest));
        }
        return sb.toString();
    }

    static String madv(int advice) {
        OsConstants c = Platform.current().constants();
        if (advice == c.MADV_DONTNEED()) {
            return "MADV_DONTNEED";
        }
        if (advice == c.MADV_FREE()) {
            return "MADV_FREE";
        }
        if (advice == c.MADV_HUGEPAGE()) {
            return "MADV_HUGEPAGE";
        }
        if (advice == c.MADV_NOHUGEPAGE()) {
            return "MADV_NOHUGEPAGE";
        }
        if (advice == c.MADV_FREE_REUSABLE()) {
            return "MADV_FREE_REUSABLE";
        }
        if (advice == c.MADV_NORMAL()) {
            return "MADV_NORMAL";
        }
        return String.valueOf(advice);
    }
}
