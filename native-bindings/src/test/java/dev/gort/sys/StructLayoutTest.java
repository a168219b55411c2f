package dev.gort.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemoryLayout.PathElement;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The struct descriptors agree with OsConstants' size figures (HeaderConformanceTest checks both against C). */
class StructLayoutTest {

    @Test
    void descriptorsMatchTheConstantTable() {
        OsConstants c = Platform.current().constants();
        assertEquals(c.sizeof_timespec(), Timespec.LAYOUT.byteSize());
        assertEquals(c.sizeof_rusage(), Rusage.LAYOUT.byteSize());
        assertEquals(c.offsetof_rusage_ru_maxrss(), Rusage.LAYOUT.byteOffset(PathElement.groupElement("ru_maxrss")));
        assertEquals(Rusage.RU_MAXRSS, c.offsetof_rusage_ru_maxrss());
        assertEquals(Rusage.RU_STIME, Rusage.LAYOUT.byteOffset(PathElement.groupElement("ru_stime")));
        assertEquals(Rusage.RU_MINFLT, Rusage.LAYOUT.byteOffset(PathElement.groupElement("ru_minflt")));
        assertEquals(Rusage.RU_MAJFLT, Rusage.LAYOUT.byteOffset(PathElement.groupElement("ru_majflt")));
        assertEquals(Rusage.RU_NVCSW, Rusage.LAYOUT.byteOffset(PathElement.groupElement("ru_nvcsw")));
        assertEquals(Rusage.RU_NIVCSW, Rusage.LAYOUT.byteOffset(PathElement.groupElement("ru_nivcsw")));
        assertEquals(Timespec.TV_NSEC, Timespec.LAYOUT.byteOffset(PathElement.groupElement("tv_nsec")));
        assertEquals(16, Rusage.TIMEVAL.byteSize());
        if (Platform.current().isLinux()) {
            assertEquals(c.sizeof_cpu_set_t(), CpuSet.LAYOUT.byteSize());
            assertEquals(c.CPU_SETSIZE(), CpuSet.CPU_SETSIZE);
        }
    }
}
