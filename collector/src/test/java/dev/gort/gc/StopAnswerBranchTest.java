package dev.gort.gc;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The assist's and the mark worker's look at a pending stop has no branch of its own in the
 * bytecode: the worlds' {@code preemptRequested} and {@code stopRequested} or their flags without a
 * branch, and the assist's loop and the
 * drain or their answer into the exit that the budget's end takes too. A branch of its own is one
 * whose profile is empty until a stop finds an assist draining, so C2 compiles it as an uncommon
 * trap, and that first stop deoptimizes the assist on its way to the safepoint (session 21 pd99's
 * 2.1 ms mark completion, session 22 pd1g). {@link DrainStopBranchTest} shows the drain's case in a
 * child JVM; this pins the shape down for the methods C2 inlines the answer into. A {@code ||} or
 * {@code &&} on the answer brings the branch back and fails here.
 */
class StopAnswerBranchTest {

    @Test
    void theWorldsStopAnswersHaveNoBranch() throws IOException {
        for (Class<?> world : List.of(SchedWorld.class, ThreadWorld.class)) {
            for (String method : List.of("preemptRequested", "stopRequested")) {
                List<Instruction> code = code(world, method, "()Z");
                for (Instruction i : code) {
                    assertFalse(i instanceof BranchInstruction, world.getSimpleName() + "." + method + " branches: " + code);
                }
            }
        }
    }

    @Test
    void theAssistOrsThePendingStopIntoItsLoopsExit() throws IOException {
        // Session 33: the pass (steal, drain, wait) is assistOnce; alloc retries it in debt.
        assertAnswerOred(code(Assists.class, "assistOnce", "(Ldev/gort/gc/Mutator;)Ldev/gort/gc/Mutator;"), "preemptRequested", 2);
    }

    @Test
    void theAssistsRetryTakesTheSafepointBeforeItsBranches() throws IOException {
        // Session 33, branch pacefix33 (review33b): between a pass and the allocation safepoint that
        // yields to the stop it broke off for, the only branch is the null test (the world exiting);
        // the retry's rare branch (an uncommon trap until a stop has found an assist) comes after
        // the stop is answered, so its deoptimization cannot fall inside the pause.
        List<Instruction> code = code(Assists.class, "alloc", "(Ldev/gort/gc/Mutator;)Ldev/gort/gc/Mutator;");
        int passes = 0;
        for (int k = 0; k < code.size(); k++) {
            if (code.get(k) instanceof InvokeInstruction inv && inv.name().equalsString("assistOnce")) {
                passes++;
                int j = k + 1;
                for (; j < code.size(); j++) {
                    Instruction i = code.get(j);
                    if (i instanceof InvokeInstruction next) {
                        assertTrue(next.name().equalsString("assistSafepointThenCurrent"),
                                "the first call after a pass is " + next.name().stringValue() + ", not the safepoint");
                        break;
                    }
                    if (i instanceof BranchInstruction b) {
                        assertTrue(b.opcode() == Opcode.IFNULL || b.opcode() == Opcode.IFNONNULL,
                                "a branch (" + b + ", instruction " + j + ") between a pass and its safepoint: " + code);
                    }
                }
                assertTrue(j < code.size(), "no safepoint after the pass at instruction " + k);
            }
        }
        assertTrue(passes >= 1, "no call of assistOnce in Assists.alloc");
    }

    @Test
    void theDrainOrsThePendingStopIntoItsBudgetsExit() throws IOException {
        assertAnswerOred(code(Marker.class, "drain", "(Ldev/gort/gc/GcWork;JLjava/util/function/BooleanSupplier;)J"), "getAsBoolean", 1);
    }

    /** Every call of {@code name} in {@code code} (at least {@code atLeast}) is followed by an {@code ior}. */
    private static void assertAnswerOred(List<Instruction> code, String name, int atLeast) {
        int calls = 0;
        for (int k = 0; k < code.size(); k++) {
            if (code.get(k) instanceof InvokeInstruction inv && inv.name().equalsString(name)) {
                calls++;
                assertTrue(k + 1 < code.size() && code.get(k + 1).opcode() == Opcode.IOR,
                        "the answer of " + name + " (instruction " + k + ") is not or-ed into another test but followed by "
                                + (k + 1 < code.size() ? code.get(k + 1) : "nothing"));
            }
        }
        assertTrue(calls >= atLeast, "no call of " + name + " found");
    }

    /** The instructions of one method, as javac compiled it (labels and line numbers left out). */
    static List<Instruction> code(Class<?> c, String name, String descriptor) throws IOException {
        byte[] bytes;
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            assertNotNull(in, c + "'s class file");
            bytes = in.readAllBytes();
        }
        ClassModel cm = ClassFile.of().parse(bytes);
        for (MethodModel m : cm.methods()) {
            if (m.methodName().equalsString(name) && m.methodType().equalsString(descriptor)) {
                List<Instruction> out = new ArrayList<>();
                m.code().orElseThrow().forEach(e -> {
                    if (e instanceof Instruction i) {
                        out.add(i);
                    }
                });
                return out;
            }
        }
        throw new AssertionError(c.getSimpleName() + "." + name + descriptor + " not found");
    }
}
