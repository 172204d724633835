package dev.lathe.core.backend;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.cpu.CpuBackend;
import java.lang.reflect.InvocationTargetException;

/**
 * Picks the backend for a device and says why on stderr, once. The CUDA backend
 * ({@code dev.lathe.core.cuda.CudaBackend}) is created on first use, so core runs where no driver exists; under
 * "auto" the reason for falling back to the CPU is logged. {@link #install} puts another backend behind a device
 * (tests use {@link EmulatedDeviceBackend} to run device code paths on a machine without a GPU).
 */
public final class Backends {
    private static final Backend CPU = new CpuBackend();
    private static final String CUDA_CLASS = "dev.lathe.core.cuda.CudaBackend";
    private static volatile Backend device;
    private static volatile boolean announced;

    private Backends() {}

    public static Backend cpu() {
        return CPU;
    }

    /** The backend that owns tensors of {@code device}. */
    public static Backend of(Device device) {
        return switch (device) {
            case CPU -> CPU;
            case CUDA -> cuda();
        };
    }

    /** The backend that owns {@code t}. */
    public static Backend of(Tensor t) {
        return of(t.device());
    }

    /**
     * Puts {@code backend} behind {@link Device#CUDA} (null: back to the real CUDA backend, created on next use)
     * and returns the one it replaces. Tensors made under the previous one must be closed first.
     */
    public static synchronized Backend install(Backend backend) {
        Backend previous = device;
        device = backend;
        return previous;
    }

    /** Null when a CUDA device can be used, else why not (no driver, no device, missing libraries). */
    public static String cudaUnavailableReason() {
        if (device != null) return null;
        try {
            return (String) Class.forName(CUDA_CLASS).getMethod("unavailableReason").invoke(null);
        } catch (ClassNotFoundException e) {
            return "this build has no cuda backend";
        } catch (ReflectiveOperationException e) {
            return "cuda backend: " + rootMessage(e);
        }
    }

    private static Backend cuda() {
        Backend b = device;
        if (b != null) return b;
        synchronized (Backends.class) {
            if (device == null) {
                String why = cudaUnavailableReason();
                if (why != null) throw new IllegalStateException("no usable CUDA device: " + why);
                try {
                    device = (Backend) Class.forName(CUDA_CLASS).getMethod("get").invoke(null);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot start the cuda backend: " + rootMessage(e), e);
                }
            }
            return device;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
        while (t.getCause() != null && t.getMessage() == null) t = t.getCause();
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /**
     * The backend to run on given a user's choice ("auto", "cpu" or "cuda"). "auto" takes the GPU when one is
     * usable and logs why not otherwise; an explicit choice that cannot be honoured is an error. The choice is
     * announced once per process on stderr.
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
                String missing = cudaUnavailableReason();
                chosen = missing == null ? cuda() : CPU;
                // The folders searched are listed only when cuda is asked for explicitly.
                why = missing == null ? "auto" : "auto: " + missing.replaceFirst("\\s*Looked at:.*$", "");
            }
            case "cuda" -> {
                String missing = cudaUnavailableReason();
                if (missing != null) {
                    throw new IllegalArgumentException("--device cuda: " + missing + "; use --device cpu or auto");
                }
                chosen = cuda();
                why = "requested";
            }
            default -> throw new IllegalArgumentException("unknown device '" + choice + "' (expected auto, cpu or cuda)");
        }
        if (!announced) {
            announced = true;
            System.err.println("[lathe] backend: " + chosen.describe() + " (" + why + ")");
        }
        return chosen;
    }
}
