package dev.gort.bench.net;

/** {@code --port N} for the peer servers. */
final class PeerArgs {
    private PeerArgs() {
    }

    static int port(String[] args) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--port")) {
                try {
                    int p = Integer.parseInt(args[i + 1]);
                    if (p >= 0 && p <= 65535) {
                        return p;
                    }
                } catch (NumberFormatException ignored) {
                    // reported below
                }
                throw new IllegalArgumentException("--port '" + args[i + 1] + "': accepted: an integer 0..65535");
            }
        }
        throw new IllegalArgumentException("usage: --port N");
    }
}
