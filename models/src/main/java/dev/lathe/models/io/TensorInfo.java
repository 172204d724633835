package dev.lathe.models.io;

import java.util.Arrays;

/**
 * One header entry of a safetensors file: element type, shape and the byte range [begin, end) of its data,
 * relative to the start of the data area (just after the header).
 */
public record TensorInfo(String name, SafetensorsDType dtype, int[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public long numel() {
        long n = 1;
        for (int d : shape) n *= d; // validated not to overflow when the header was read
        return n;
    }

    public long byteLength() {
        return end - begin;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
