package dev.gort.net.demo;

/** Command-line options shared by the demo servers: {@code --port N} (required) and {@code --host H}. */
record ServerArgs(String host, int port) {
    static ServerArgs parse(String command, String[] args) {
        String host = "127.0.0.1";
        Integer port = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--port" -> port = intArg(command, a, value(command, args, ++i));
                case "--host" -> host = value(command, args, ++i);
                case "-h", "--help" -> {
                    System.out.println(usage(command));
                    System.exit(0);
                }
                default -> fail(command, "unknown argument '" + a + "'");
            }
        }
        if (port == null) {
            fail(command, "--port is required");
        }
        if (port < 0 || port > 65535) {
            fail(command, "--port " + port + " is out of range; accepted: 0..65535 (0 = any free port)");
        }
        return new ServerArgs(host, port);
    }

    /** Listens, or prints the reason (address in use, bad address) and exits with status 1. */
    static dev.gort.net.Listener listenOrExit(String command, ServerArgs a) {
        try {
            return dev.gort.net.Listener.listen(a.host(), a.port());
        } catch (dev.gort.net.NetException | IllegalArgumentException e) {
            System.err.println("gort " + command + ": " + e.getMessage());
            System.exit(1);
            return null;
        }
    }

    private static String value(String command, String[] args, int i) {
        if (i >= args.length) {
            fail(command, args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int intArg(String command, String name, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            fail(command, name + " '" + v + "' is not a number; accepted: an integer 0..65535");
            return -1;
        }
    }

    static String usage(String command) {
        return "usage: ./gort " + command + " --port N [--host ADDR]   (default host 127.0.0.1; GOMAXPROCS sets the Ps)";
    }

    private static void fail(String command, String why) {
        System.err.println("gort " + command + ": " + why);
        System.err.println(usage(command));
        System.exit(2);
    }
}
