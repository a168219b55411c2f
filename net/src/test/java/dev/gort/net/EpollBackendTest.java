package dev.gort.net;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The poller contract against epoll (Linux). */
@EnabledOnOs(OS.LINUX)
class EpollBackendTest extends PollerBackendContract {
    @Override
    PollerBackend open() {
        return PollerBackend.open("epoll");
    }
}
