package dev.gort;

/**
 * A start-up setting that gort refuses: the message names the setting, the value, where it came
 * from and the accepted form, e.g.
 * {@code malformed GOGC: "abc" (environment variable GOGC); accepted: "off" or an integer percent (any negative one is off, as in Go), e.g. GOGC=100}.
 */
public final class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final ConfigKey key;
    private final String value;

    ConfigException(ConfigKey key, String value, String source, String detail, String accepted) {
        super("malformed " + key.env() + ": \"" + value + "\" (" + source + ")"
                + (detail == null ? "" : ": " + detail) + "; accepted: " + accepted);
        this.key = key;
        this.value = value;
    }

    /** The setting that was refused. */
    public ConfigKey key() {
        return key;
    }

    /** The refused value, as given. */
    public String value() {
        return value;
    }
}
