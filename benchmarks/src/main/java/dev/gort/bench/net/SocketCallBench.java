package dev.gort.bench.net;

import dev.gort.sys.LibCNet;
import dev.gort.sys.NativeMemory;
import dev.gort.sys.NetConstants;
import dev.gort.sys.SockAddr;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The netpoller's per-operation syscall cost on a connected loopback TCP pair: write 64 bytes on
 * one end, read them on the other (two syscalls per op, never blocking), through
 * <ul>
 * <li>{@code gort_heap}: LibCNet.writeHeap/readHeap (critical downcalls with heap access straight
 *     into the byte[]: no copy, but a heap segment per call);</li>
 * <li>{@code gort_native}: LibCNet.write/read on native memory (ordinary downcalls, errno captured);</li>
 * <li>{@code gort_conn}: the whole {@code Conn.write}/{@code Conn.read} path (reference count,
 *     deadline check, the per-thread native I/O buffer and its copy), from a platform thread;</li>
 * <li>{@code jdk_nio}: non-blocking {@code SocketChannel} with heap ByteBuffers (the JDK's own path,
 *     what virtual threads and Netty's NIO transport sit on) — the baseline.</li>
 * </ul>
 * Run with {@code -prof gc} to see that the gort paths allocate nothing per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Thread)
public class SocketCallBench {
    private static final NetConstants C = NetConstants.current();
    private static final int SIZE = 64;

    private int a;
    private int b;
    private long nativeBuf;
    private Arena arena;
    private final byte[] out = new byte[SIZE];
    private final byte[] in = new byte[SIZE];
    private SocketChannel ca;
    private SocketChannel cb;
    private ServerSocketChannel ssc;
    private final ByteBuffer outBuf = ByteBuffer.allocate(SIZE);
    private final ByteBuffer inBuf = ByteBuffer.allocate(SIZE);
    private dev.gort.net.Conn connA;
    private dev.gort.net.Conn connB;

    @Setup(Level.Trial)
    public void setup() throws IOException, InterruptedException {
        arena = Arena.ofConfined();
        long addr = arena.allocate(SockAddr.STORAGE_BYTES + 8L, 8).address();
        nativeBuf = arena.allocate(SIZE, 8).address();
        int lfd = LibCNet.socket(C.AF_INET(), C.SOCK_STREAM() | C.SOCK_CLOEXEC(), 0);
        int len = SockAddr.encode(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), addr);
        LibCNet.bind(lfd, addr, len);
        LibCNet.listen(lfd, 1);
        NativeMemory.putInt(addr + SockAddr.STORAGE_BYTES, SockAddr.STORAGE_BYTES);
        LibCNet.getsockname(lfd, addr, addr + SockAddr.STORAGE_BYTES);
        a = LibCNet.socket(C.AF_INET(), C.SOCK_STREAM() | C.SOCK_CLOEXEC(), 0);
        if (LibCNet.connect(a, addr, C.sizeof_sockaddr_in()) != 0) {
            throw new IllegalStateException("connect failed");
        }
        b = LibCNet.accept4(lfd, 0, 0, C.SOCK_NONBLOCK() | C.SOCK_CLOEXEC());
        LibCNet.setNonBlocking(a);
        LibCNet.setsockoptInt(a, C.IPPROTO_TCP(), C.TCP_NODELAY(), 1);
        LibCNet.close(lfd);

        ssc = ServerSocketChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ca = SocketChannel.open(ssc.getLocalAddress());
        cb = ssc.accept();
        ca.configureBlocking(false);
        cb.configureBlocking(false);
        ca.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);

        try (dev.gort.net.Listener ln = dev.gort.net.Listener.listen("127.0.0.1", 0)) {
            connA = dev.gort.net.Conn.dial(ln.address());
            connB = ln.accept();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        LibCNet.close(a);
        LibCNet.close(b);
        arena.close();
        ca.close();
        cb.close();
        ssc.close();
        connA.close();
        connB.close();
    }

    @Benchmark
    public long gort_conn() {
        connA.write(out, 0, SIZE);
        int got = 0;
        while (got < SIZE) {
            got += connB.read(in, got, SIZE - got); // parks (helper poller) if the bytes are not there yet
        }
        return got;
    }

    @Benchmark
    public long gort_heap() {
        LibCNet.writeHeap(a, out, 0, SIZE);
        long got = 0;
        while (got < SIZE) {
            long n = LibCNet.readHeap(b, in, (int) got, SIZE - (int) got);
            if (n > 0) {
                got += n;
            }
        }
        return got;
    }

    @Benchmark
    public long gort_native() {
        LibCNet.write(a, nativeBuf, SIZE);
        long got = 0;
        while (got < SIZE) {
            long n = LibCNet.read(b, nativeBuf + got, SIZE - got);
            if (n > 0) {
                got += n;
            }
        }
        return got;
    }

    @Benchmark
    public long jdk_nio() throws IOException {
        outBuf.clear();
        ca.write(outBuf);
        inBuf.clear();
        while (inBuf.hasRemaining()) {
            cb.read(inBuf);
        }
        return inBuf.position();
    }
}
