package dev.gort.net;

import dev.gort.sys.LibCNet;
import dev.gort.sys.SockAddr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One descriptor's own native scratch: errno capture buffers and small out-parameters, so no
 * downcall made from a goroutine goes through a ThreadLocal (see LibCNet's class comment: after a
 * park, a ThreadLocal lookup in compiled code can return the previous M's buffer).
 *
 * <pre>
 *  0        16        32        48                 112      128                      128+128+8
 *  +--------+---------+---------+------------------+--------+------------------------+----------+
 *  |readCap |writeCap |setupCap | event 64         | opt 16 | readAddr (storage+len) | setupAddr|
 *  +--------+---------+---------+------------------+--------+------------------------+----------+
 * </pre>
 * The event slot holds the registration's change: one epoll_event (12 or 16 bytes) or two
 * struct kevent (2 x 32 bytes, EVFILT_READ and EVFILT_WRITE).
 * The reading side (read, accept) uses readCap/readAddr, the writing side (write, connect,
 * SO_ERROR) writeCap/opt/setupAddr, everything else (socket set-up, epoll_ctl, close,
 * setsockopt) setupCap/event. One reader and one writer may run at once, so those two never share.
 */
final class DescNatives {
    private static final long SLOT = 16;
    private static final long ADDR_BYTES = SockAddr.STORAGE_BYTES + 8L;
    /** Room for the largest registration change list: two struct kevent. */
    static final long EVENT_BYTES = 64;

    final MemorySegment readCap;
    final MemorySegment writeCap;
    final MemorySegment setupCap;
    final long event;
    final long opt;
    final long readAddr;
    final long setupAddr;

    DescNatives() {
        if (LibCNet.captureBytes() > SLOT) {
            throw new IllegalStateException("errno capture state is " + LibCNet.captureBytes() + " bytes; DescNatives reserves " + SLOT);
        }
        MemorySegment block = Arena.ofAuto().allocate(4 * SLOT + EVENT_BYTES + 2 * ADDR_BYTES, 16);
        readCap = block.asSlice(0, LibCNet.captureBytes());
        writeCap = block.asSlice(SLOT, LibCNet.captureBytes());
        setupCap = block.asSlice(2 * SLOT, LibCNet.captureBytes());
        event = block.address() + 3 * SLOT;
        opt = block.address() + 3 * SLOT + EVENT_BYTES;
        readAddr = opt + SLOT;
        setupAddr = readAddr + ADDR_BYTES;
    }

    /** The socklen_t after a sockaddr buffer, primed with the buffer's capacity. */
    static long primedLen(long addr) {
        long lenAt = addr + SockAddr.STORAGE_BYTES;
        dev.gort.sys.NativeMemory.putInt(lenAt, SockAddr.STORAGE_BYTES);
        return lenAt;
    }
}
