/**
 * gort's public face: start-up settings, the bootstrap and the public API.
 *
 * <h2>Configuration ({@link dev.gort.Config})</h2>
 * Settings are read once, at start-up, from two maps: the environment and the system properties.
 * Both are parameters of {@link dev.gort.Config#load}, so tests pass literal maps and never touch
 * the real process environment. Each setting ({@link dev.gort.ConfigKey}) has Go's environment
 * name where Go has one (GOMAXPROCS, GOGC, GOMEMLIMIT), a {@code gort.*} system property, and an
 * accepted form quoted verbatim in error messages.
 *
 * <ol>
 * <li>For each key in {@link dev.gort.ConfigKey} order: take the system property if set and
 *     non-empty, else the environment variable; note the source ("system property gort.gogc").
 *     A property and an environment value that differ produce a warning.</li>
 * <li>Parse with Go's own syntax ({@link dev.gort.GoSyntax}: parseByteCount for GOMEMLIMIT,
 *     time.ParseDuration for periods, GODEBUG's comma-separated key=value for GORT_DEBUG).</li>
 * <li>A malformed value throws {@link dev.gort.ConfigException}: "malformed KEY: "value" (source):
 *     detail; accepted: form". Non-fatal findings are collected as warnings.</li>
 * </ol>
 *
 * <p>Alternatives rejected: Go's silent fallback to defaults (a typo in GOMEMLIMIT would quietly
 * remove the limit the operator asked for); the environment overriding properties (the property
 * is given to this JVM explicitly, the environment is inherited); reading {@code System.getenv}
 * deep inside the modules (untestable, and each module would need its own error wording).
 */
package dev.gort;
