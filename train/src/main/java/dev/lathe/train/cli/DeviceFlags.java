package dev.lathe.train.cli;

import dev.lathe.core.Device;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.ops.Autocast;

/**
 * Where a command runs its models: {@code --device auto|cpu|cuda}, and for the trainers TRL's precision flags
 * {@code --bf16} (BF16 autocast for the GEMMs, {@link Autocast}: F32 master weights, gradients and optimizer
 * moments) and {@code --tf32} (the GPU's F32 GEMMs on TF32 tensor cores). Models are loaded on the host and moved
 * with {@code to(device())} before the optimizer exists; batches are built on the host and moved there.
 *
 * <p>{@link #read} and {@link #readWithPrecision} only check the flags (and pick the backend); the precision settings are process-wide, so {@link #apply} switches
 * them on for the run and {@link #close} switches them off again.
 */
final class DeviceFlags implements AutoCloseable {
    private final Backend backend;
    private final boolean bf16;
    private final boolean tf32;
    private boolean applied;

    private DeviceFlags(Backend backend, boolean bf16, boolean tf32) {
        this.backend = backend;
        this.bf16 = bf16;
        this.tf32 = tf32;
    }

    /** {@code --device} alone (inference commands). */
    static DeviceFlags read(Args args) {
        return new DeviceFlags(select(args), false, false);
    }

    /** {@code --device}, {@code --bf16} and {@code --tf32} (trainers); --tf32 off the GPU is a usage error. */
    static DeviceFlags readWithPrecision(Args args) {
        Backend backend = select(args);
        boolean tf32 = args.bool("tf32");
        if (tf32 && backend.device() == Device.CPU) {
            throw new UsageException("--tf32 needs a GPU (--device cuda): the " + backend.name()
                    + " backend has no TF32 GEMMs; its F32 GEMMs are exact F32 already");
        }
        return new DeviceFlags(backend, args.bool("bf16"), tf32);
    }

    private static Backend select(Args args) {
        try {
            return Backends.select(args.string("device", "auto"));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UsageException(e.getMessage());
        }
    }

    Device device() {
        return backend.device();
    }

    /** Switches the precision flags on for the run (until {@link #close}). */
    DeviceFlags apply() {
        if (tf32) {
            try {
                backend.setTf32(true);
            } catch (UnsupportedOperationException e) {
                throw new UsageException("--tf32: " + e.getMessage());
            }
        }
        if (bf16) Autocast.setDefault(true);
        applied = true;
        return this;
    }

    /** Switches off what {@link #apply} switched on. */
    @Override
    public void close() {
        if (!applied) return;
        applied = false;
        if (bf16) Autocast.setDefault(false);
        if (tf32) backend.setTf32(false);
    }
}
