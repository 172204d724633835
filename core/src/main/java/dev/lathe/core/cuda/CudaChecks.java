package dev.lathe.core.cuda;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import java.util.Arrays;

/** The CUDA backend's argument checks: the CPU backend's rules, plus every tensor on the device. Null is skipped. */
final class CudaChecks {
    private CudaChecks() {}

    static void onDevice(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.device() != Device.CUDA) {
                throw new IllegalArgumentException("a " + t.device() + " tensor passed to the cuda backend: " + t);
            }
        }
    }

    static void f32(Tensor... ts) {
        onDevice(ts);
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.F32) throw new IllegalArgumentException("expected an F32 tensor, got " + t);
        }
    }

    static void contiguous(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.isTransposed()) throw new IllegalArgumentException("kernel needs a contiguous tensor, got " + t);
        }
    }

    static void writable(Tensor t) {
        if (t.isTransposed()) throw new IllegalArgumentException("cannot write into a transposed view " + t);
    }

    static void sameShape(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) throw new IllegalArgumentException("shapes differ: " + a + " vs " + b);
    }

    /** F32 input and output of one shape; the input readable in place, the output writable. */
    static void elementwise(Tensor x, Tensor out) {
        f32(x, out);
        contiguous(x);
        sameShape(x, out);
        writable(out);
    }

    /** F32, contiguous, all of the first one's shape. */
    static void rowwise(Tensor first, Tensor... rest) {
        f32(first);
        contiguous(first);
        for (Tensor t : rest) {
            f32(t);
            contiguous(t);
            sameShape(first, t);
        }
    }

    /** F32 vectors of n elements (null skipped). */
    static void vector(long n, Tensor... ts) {
        for (Tensor t : ts) {
            if (t == null) continue;
            f32(t);
            if (t.numel() != n) throw new IllegalArgumentException("expected " + n + " elements, got " + t);
        }
    }

    static void ids(Tensor ids) {
        onDevice(ids);
        if (ids.dtype() != DType.I32) throw new IllegalArgumentException("ids must be I32, got " + ids);
        contiguous(ids);
    }

    /** Rows of x viewed as [rows, last dim]; an int for the grid. */
    static int rows(Tensor x) {
        int c = x.rank() == 0 ? 1 : x.dim(-1);
        return c == 0 ? 0 : Math.toIntExact(x.numel() / c);
    }
}
