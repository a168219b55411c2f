package dev.gort.net;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The poller contract against kqueue: runs on macOS only, so on this project's Linux machines it is reported as skipped (never run yet). */
@EnabledOnOs(OS.MAC)
class KqueueBackendTest extends PollerBackendContract {
    @Override
    PollerBackend open() {
        return PollerBackend.open("kqueue");
    }
}
