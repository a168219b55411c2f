package dev.gort.sys;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A C program, generated from a list of checks, that prints what the system headers say about
 * each one; compiled with the system C compiler and run at test time.
 *
 * <p>Each check has a label (the symbol named in a failure), a C expression, and the value the
 * Java side uses. Kinds of checks:
 * <ul>
 * <li>{@link #constant}: a macro; {@link OsConstants#ABSENT} on the Java side means the headers
 *     must not define it ({@code #ifdef} in the probe), so a constant missing on one side is
 *     caught as well as a wrong value.</li>
 * <li>{@link #expression}: any C integer expression, e.g. {@code sizeof(pid_t)}.</li>
 * <li>{@link #struct}: a Java StructLayout against a C type: sizeof the type, then offsetof and
 *     sizeof of every named member, recursing into nested structs
 *     ({@code offsetof(struct rusage, ru_utime.tv_usec)}) and taking arrays as a whole. Padding
 *     is not named and not checked on its own; it shows in the offsets that follow it.</li>
 * </ul>
 * The probe prints one line per check, {@code <index> <value>} or {@code <index> absent}.
 */
final class CProbe {

    /** One fact to compare; {@code javaValue} is {@link OsConstants#ABSENT} for "must not exist". */
    record Check(String label, String cExpression, boolean isMacro, long javaValue, String javaSource) {
    }

    /** The C side's answer for a check: empty when the macro is not defined. */
    record Answer(Check check, Optional<Long> cValue) {
        boolean agrees() {
            return check.javaValue == OsConstants.ABSENT ? cValue.isEmpty() : cValue.isPresent() && cValue.get() == check.javaValue;
        }

        String describe() {
            String java = check.javaValue == OsConstants.ABSENT ? "absent" : String.valueOf(check.javaValue);
            String c = cValue.map(String::valueOf).orElse("not defined");
            return check.label + ": Java (" + check.javaSource + ") has " + java + ", the C headers have " + c;
        }
    }

    private final Set<String> includes = new LinkedHashSet<>();
    private final Map<String, Check> checks = new LinkedHashMap<>();

    CProbe include(String header) {
        includes.add(header);
        return this;
    }

    CProbe constant(String name, long javaValue, String javaSource) {
        return add(new Check(name, name, true, javaValue, javaSource));
    }

    CProbe expression(String label, String cExpression, long javaValue, String javaSource) {
        return add(new Check(label, cExpression, false, javaValue, javaSource));
    }

    /** Checks {@code layout} against the C type {@code cType} ("struct timespec", "cpu_set_t"). */
    CProbe struct(String cType, GroupLayout layout, String javaSource) {
        expression("sizeof(" + cType + ")", "sizeof(" + cType + ")", layout.byteSize(), javaSource);
        members(cType, "", layout, 0, javaSource);
        return this;
    }

    private void members(String cType, String prefix, GroupLayout group, long base, String javaSource) {
        long offset = base;
        for (MemoryLayout m : group.memberLayouts()) {
            if (m instanceof PaddingLayout) {
                // not checked on its own: it shows in the offsets that follow it
            } else if (m.name().isEmpty()) {
                throw new IllegalArgumentException("a member of " + javaSource + " has no name; name it as in C: " + m);
            } else {
                String path = prefix + m.name().get();
                expression("offsetof(" + cType + ", " + path + ")", "offsetof(" + cType + ", " + path + ")", offset, javaSource);
                expression("sizeof(((" + cType + " *)0)->" + path + ")", "sizeof(((" + cType + " *)0)->" + path + ")",
                        m.byteSize(), javaSource);
                if (m instanceof GroupLayout nested) {
                    members(cType, path + ".", nested, offset, javaSource);
                }
            }
            // a union's members all start at its base; a struct's follow each other
            if (group instanceof java.lang.foreign.StructLayout) {
                offset += m.byteSize();
            }
        }
    }

    private CProbe add(Check c) {
        if (checks.putIfAbsent(c.label, c) != null) {
            throw new IllegalArgumentException("probe check '" + c.label + "' registered twice");
        }
        return this;
    }

    List<Check> checks() {
        return List.copyOf(checks.values());
    }

    /** The probe's C source. */
    String source() {
        StringBuilder c = new StringBuilder();
        c.append("/* Generated by CProbe for HeaderConformanceTest: one line per check, '<index> <value>' or '<index> absent'. */\n");
        c.append("#include \"gort_sys.h\"\n#include <stdio.h>\n#include <stddef.h>\n");
        for (String h : includes) {
            c.append("#include ").append(h).append('\n');
        }
        c.append("\nint main(void) {\n");
        int i = 0;
        for (Check k : checks.values()) {
            c.append("    /* ").append(k.label.replace("*/", "* /")).append(" */\n");
            if (k.isMacro) {
                c.append("#ifdef ").append(k.cExpression).append('\n');
            }
            c.append("    printf(\"").append(i).append(" %lld\\n\", (long long)(").append(k.cExpression).append("));\n");
            if (k.isMacro) {
                c.append("#else\n    printf(\"").append(i).append(" absent\\n\");\n#endif\n");
            }
            i++;
        }
        c.append("    return 0;\n}\n");
        return c.toString();
    }

    /**
     * Writes, compiles and runs the probe in {@code workDir}; returns one answer per check.
     * Throws IOException with the compiler's output when the probe does not compile.
     */
    List<Answer> run(String compiler, Path headerDir, Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path src = workDir.resolve("gort_probe.c");
        Path exe = workDir.resolve("gort_probe");
        Files.writeString(src, source());
        Files.deleteIfExists(exe);      // else a failed compile leaves the last run's probe to answer
        String compileOut = exec(List.of(compiler, "-std=gnu11", "-Wall", "-I", headerDir.toString(), "-o", exe.toString(),
                src.toString()), workDir);
        if (!Files.isExecutable(exe)) {
            throw new IOException("the probe " + src + " did not compile with " + compiler + ":\n" + compileOut);
        }
        String out = exec(List.of(exe.toString()), workDir);
        List<Check> list = checks();
        Map<Integer, Optional<Long>> values = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] parts = line.strip().split(" ");
            if (parts.length == 2 && parts[0].matches("\\d+")) {
                values.put(Integer.parseInt(parts[0]), parts[1].equals("absent") ? Optional.empty() : Optional.of(Long.parseLong(parts[1])));
            }
        }
        if (values.size() != list.size()) {
            throw new IOException("the probe printed " + values.size() + " answers for " + list.size() + " checks:\n" + out);
        }
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            answers.add(new Answer(list.get(i), values.get(i)));
        }
        return answers;
    }

    /** Runs a command, returns stdout+stderr; a non-zero exit is left to the caller to detect. */
    static String exec(List<String> command, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            return text + "\n(exit status " + p.exitValue() + " from " + String.join(" ", command) + ")";
        }
        return text;
    }

    /** The first C compiler found: $CC, then cc, gcc, clang on PATH; empty when there is none. */
    static Optional<String> findCompiler() {
        List<String> candidates = new ArrayList<>();
        String cc = System.getenv("CC");
        if (cc != null && !cc.isBlank()) {
            candidates.add(cc.strip());
        }
        candidates.addAll(List.of("cc", "gcc", "clang"));
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String name : candidates) {
            if (name.contains("/")) {
                if (Files.isExecutable(Path.of(name))) {
                    return Optional.of(name);
                }
                continue;
            }
            for (String dir : path.split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                    return Optional.of(Path.of(dir, name).toString());
                }
            }
        }
        return Optional.empty();
    }
}
