package dev.gort.sys;

import java.util.Locale;

/**
 * The operating system and architecture gort runs on, and the constant table that goes with them.
 *
 * <p>Selected once, at class initialisation, from {@code os.name}/{@code os.arch}. gort supports
 * 64-bit Linux (x86_64, aarch64) and macOS (x86_64, arm64); on anything else {@link #current()}
 * throws an {@link UnsupportedOperationException} that names what was found and what is supported.
 * The bindings pass C pointers as {@code long}s, which is sound only on these LP64 ABIs.
 */
public final class Platform {

    /** Operating systems gort has constant tables for. */
    public enum Os { LINUX, MACOS }

    /** Instruction-set architectures gort has constant tables for. */
    public enum Arch { X86_64, AARCH64 }

    private static final Platform CURRENT = detect(System.getProperty("os.name"), System.getProperty("os.arch"));

    private final Os os;
    private final Arch arch;
    private final OsConstants constants;

    private Platform(Os os, Arch arch, OsConstants constants) {
        this.os = os;
        this.arch = arch;
        this.constants = constants;
    }

    /** The platform this JVM runs on. */
    public static Platform current() {
        return CURRENT != null ? CURRENT : require(System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /** {@link #detect}, but an unsupported platform is an UnsupportedOperationException naming it. Visible for tests. */
    static Platform require(String osName, String osArch) {
        Platform p = detect(osName, osArch);
        if (p == null) {
            throw new UnsupportedOperationException("gort runs on 64-bit Linux (x86_64, aarch64) and macOS (x86_64, arm64);"
                    + " this JVM reports os.name=" + osName + ", os.arch=" + osArch);
        }
        return p;
    }

    /** Maps Java's os.name/os.arch to a platform; null when unsupported. Visible for tests. */
    static Platform detect(String osName, String osArch) {
        String name = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        Arch a = switch (arch) {
            case "amd64", "x86_64" -> Arch.X86_64;
            case "aarch64", "arm64" -> Arch.AARCH64;
            default -> null;
        };
        if (a == null) {
            return null;
        }
        if (name.startsWith("linux")) {
            return new Platform(Os.LINUX, a, OsConstants.LINUX);
        }
        if (name.startsWith("mac") || name.startsWith("darwin")) {
            return new Platform(Os.MACOS, a, OsConstants.MACOS);
        }
        return null;
    }

    public Os os() {
        return os;
    }

    public Arch arch() {
        return arch;
    }

    public OsConstants constants() {
        return constants;
    }

    public boolean isLinux() {
        return os == Os.LINUX;
    }

    public boolean isMacOS() {
        return os == Os.MACOS;
    }

    @Override
    public String toString() {
        return os.name().toLowerCase(Locale.ROOT) + "/" + arch.name().toLowerCase(Locale.ROOT);
    }
}
