package dev.lathe.core.backend;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.cpu.CpuBackend;

/**
 * Picks the backend for a device and says why on stderr, once. The CUDA backend is looked up by name so that
 * core runs where no CUDA code or driver exists; under "auto" the reason for falling back to the CPU is logged.
 */
public final class Backends {
    private static final Backend CPU = new CpuBackend();
    private static volatile boolean announced;

    private Backends() {}

    public static Backend cpu() {
        return CPU;
    }

    /** The backend that owns tensors of {@code device}. */
    public static Backend of(Device device) {
        return switch (device) {
            case CPU -> CPU;
            case CUDA -> throw new UnsupportedOperationException(
                    "the cuda backend is not part of this build; tensors can only live on the cpu");
        };
    }

    /** The backend that owns {@code t}. */
    public static Backend of(Tensor t) {
        return of(t.device());
    }

    /**
     * The backend to run on given a user's choice ("auto", "cpu" or "cuda"). "auto" takes the best one present
     * and logs why; an explicit choice that cannot be honoured is an error. The choice is announced once per
     * process on stderr.
     */
    public static Backend select(String choice) {
        String c = choice == null ? "auto" : choice.toLowerCase(java.util.Locale.ROOT);
        Backend chosen;
        String why;
        switch (c) {
            case "cpu" -> {
                chosen = CPU;
                why = "requested";
            }
            case "auto" -> {
                chosen = CPU;
                why = "auto: no cuda backend in this build";
            }
            case "cuda" -> throw new IllegalArgumentException(
                    "--device cuda: this build has no cuda backend; use --device cpu or auto");
            default -> throw new IllegalArgumentException("unknown device '" + choice + "' (expected auto, cpu or cuda)");
        }
        if (!announced) {
            announced = true;
            System.err.println("[lathe] backend: " + chosen.describe() + " (" + why + ")");
        }
        return chosen;
    }
}
