package dev.gort.sys;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * {@code struct sockaddr_in} / {@code struct sockaddr_in6} in native memory: encode a Java
 * {@link InetSocketAddress}, decode one the kernel wrote (accept, getsockname).
 *
 * <pre>
 * sockaddr_in (16 bytes)                      sockaddr_in6 (28 bytes)
 * Linux:                                       Linux:
 *  0      2      4              8        16     0      2      4          8                 24        28
 *  +------+------+--------------+--------+      +------+------+----------+-----------------+---------+
 *  |family| port |   sin_addr   |  zero  |      |family| port | flowinfo |  sin6_addr (16) | scope_id|
 *  | u16  | u16BE|   4 bytes BE | 8 bytes|      | u16  | u16BE|   u32    |                 |   u32   |
 *  +------+------+--------------+--------+      +------+------+----------+-----------------+---------+
 * macOS (NOT RUN): byte 0 is sin_len / sin6_len (u8) and byte 1 the family (u8); the rest is the same.
 * </pre>
 * Port and address are in network byte order (big-endian); the family in host order. Offsets
 * come from {@link NetConstants} and are checked against the headers by HeaderConformanceTest.
 */
public final class SockAddr {
    private SockAddr() {
    }

    private static final NetConstants C = NetConstants.current();

    /** Bytes a caller reserves for any address the kernel may write (sockaddr_storage). */
    public static final int STORAGE_BYTES = C.sizeof_sockaddr_storage();

    /**
     * Writes {@code address} at {@code addr} (at least {@link #STORAGE_BYTES} bytes) and returns
     * the length to pass as addrlen. The unresolved or wildcard host maps to INADDR_ANY /
     * in6addr_any by the InetSocketAddress the caller built.
     */
    public static int encode(InetSocketAddress address, long addr) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address " + address + " is unresolved; pass a numeric IPv4/IPv6 address or a resolved name");
        }
        InetAddress ip = address.getAddress();
        int port = address.getPort();
        NativeMemory.fill(addr, STORAGE_BYTES, (byte) 0);
        if (ip instanceof Inet4Address) {
            putFamily(addr, C.AF_INET(), C.sizeof_sockaddr_in());
            putPort(addr + C.offsetof_sin_port(), port);
            byte[] b = ip.getAddress();
            for (int i = 0; i < 4; i++) {
                NativeMemory.putByte(addr + C.offsetof_sin_addr() + i, b[i]);
            }
            return C.sizeof_sockaddr_in();
        }
        if (ip instanceof Inet6Address v6) {
            putFamily(addr, C.AF_INET6(), C.sizeof_sockaddr_in6());
            putPort(addr + C.offsetof_sin6_port(), port);
            byte[] b = ip.getAddress();
            for (int i = 0; i < 16; i++) {
                NativeMemory.putByte(addr + C.offsetof_sin6_addr() + i, b[i]);
            }
            NativeMemory.putInt(addr + C.offsetof_sin6_scope_id(), v6.getScopeId());
            return C.sizeof_sockaddr_in6();
        }
        throw new IllegalArgumentException("unsupported address type " + ip.getClass().getName() + "; accepted: IPv4, IPv6");
    }

    /** Reads the address the kernel wrote at {@code addr}. */
    public static InetSocketAddress decode(long addr) {
        int family = family(addr);
        try {
            if (family == C.AF_INET()) {
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    b[i] = NativeMemory.getByte(addr + C.offsetof_sin_addr() + i);
                }
                return new InetSocketAddress(InetAddress.getByAddress(b), getPort(addr + C.offsetof_sin_port()));
            }
            if (family == C.AF_INET6()) {
                byte[] b = new byte[16];
                for (int i = 0; i < 16; i++) {
                    b[i] = NativeMemory.getByte(addr + C.offsetof_sin6_addr() + i);
                }
                int scope = NativeMemory.getInt(addr + C.offsetof_sin6_scope_id());
                InetAddress ip = scope == 0 ? InetAddress.getByAddress(b) : Inet6Address.getByAddress(null, b, scope);
                return new InetSocketAddress(ip, getPort(addr + C.offsetof_sin6_port()));
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("impossible: fixed-length address rejected", e);
        }
        throw new IllegalArgumentException("unsupported address family " + family + " (AF_INET=" + C.AF_INET() + ", AF_INET6=" + C.AF_INET6() + ")");
    }

    /** The address family at {@code addr}. */
    public static int family(long addr) {
        if (C.has(C.offsetof_sin_len())) {
            return NativeMemory.getByte(addr + C.offsetof_sin_family()) & 0xff;
        }
        return Short.toUnsignedInt(NativeMemory.ALL.get(java.lang.foreign.ValueLayout.JAVA_SHORT, addr + C.offsetof_sin_family()));
    }

    /** For error messages: the address at {@code addr}, or its raw family if undecodable. */
    static String describe(long addr, int len) {
        if (addr == 0 || len < 2) {
            return LibC.hex(addr);
        }
        try {
            return String.valueOf(decode(addr));
        } catch (RuntimeException e) {
            return LibC.hex(addr) + "(family " + family(addr) + ")";
        }
    }

    private static void putFamily(long addr, int family, int length) {
        if (C.has(C.offsetof_sin_len())) {
            NativeMemory.putByte(addr + C.offsetof_sin_len(), (byte) length);
            NativeMemory.putByte(addr + C.offsetof_sin_family(), (byte) family);
        } else {
            NativeMemory.ALL.set(java.lang.foreign.ValueLayout.JAVA_SHORT, addr + C.offsetof_sin_family(), (short) family);
        }
    }

    private static void putPort(long at, int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port " + port + " out of range; accepted: 0..65535");
        }
        NativeMemory.putByte(at, (byte) (port >>> 8));
        NativeMemory.putByte(at + 1, (byte) port);
    }

    private static int getPort(long at) {
        return (NativeMemory.getByte(at) & 0xff) << 8 | (NativeMemory.getByte(at + 1) & 0xff);
    }
}
