package dev.lathe.core.ops;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;

/**
 * The device an op runs on: that of its tensor inputs, which must all live on one device. Ops never copy across
 * devices on their own; a host tensor given to a device op (or the reverse) is an error naming both devices.
 */
public final class Devices {
    private Devices() {}

    /** The one device of the non-null {@code tensors} (at least one); mixed devices throw, naming {@code op}. */
    public static Device common(String op, Tensor... tensors) {
        Tensor first = null;
        for (Tensor t : tensors) {
            if (t == null) continue;
            if (first == null) {
                first = t;
            } else if (t.device() != first.device()) {
                throw new IllegalArgumentException(op + ": inputs on different devices: " + first + " is on "
                        + first.device() + ", " + t + " is on " + t.device() + " (move them with .to(device) first)");
            }
        }
        if (first == null) throw new IllegalArgumentException(op + ": no tensor input");
        return first.device();
    }
}
