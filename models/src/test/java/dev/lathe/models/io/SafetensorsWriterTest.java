package dev.lathe.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir
    Path tmp;

    /** Larger element types first, then names; compact header, metadata last, spaces up to a multiple of 8. */
    @Test
    void layoutIsTheReferenceWriters() throws IOException {
        Path file = tmp.resolve("m.safetensors");
        try (var s = Scope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("z.half", bf16(1f, -2f, 0.5f));
            tensors.put("b", Tensor.of(new float[] {1, 2}, 2));
            tensors.put("a.ids", Tensor.ofInts(new int[] {3, 4, 5, 6}, 2, 2));
            tensors.put("c", Tensor.of(new float[] {7}, 1, 1));
            SafetensorsWriter.write(file, tensors);
        }
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        // The crate's dtype order puts F32 above I32 (both 4 bytes), and both above BF16.
        String expected = "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]},"
                + "\"a.ids\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[12,28]},"
                + "\"z.half\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[28,34]},"
                + "\"__metadata__\":{\"format\":\"pt\"}}";
        assertEquals(0, n % 8);
        assertEquals(expected + " ".repeat(n - expected.length()), new String(bytes, 8, n, StandardCharsets.US_ASCII));
        assertEquals(8 + n + 34, bytes.length);
        // b's 1.0, 2.0 open the data; a.ids' 3 follows c; BF16 1.0 is 0x3F80.
        assertEquals(1f, b.getFloat(8 + n));
        assertEquals(2f, b.getFloat(8 + n + 4));
        assertEquals(3, b.getInt(8 + n + 12));
        assertEquals((short) 0x3F80, b.getShort(8 + n + 28));
    }

    /** Storing F32 as BF16 / F16 rounds to nearest, ties to even; F32 is written bit for bit. */
    @Test
    void convertsOnWriteAndRoundTrips() throws IOException {
        float tieDown = 1f + 0x1p-8f; // exactly between two bfloat16 values; the even one is 1.0
        float up = 1f + 0x1p-8f + 0x1p-12f; // just past the tie: rounds up to 1 + 2^-7
        float[] values = {tieDown, up, -0f, Float.MIN_NORMAL, 65504f, 1e-8f};
        try (var s = Scope.open()) {
            Map<String, Tensor> one = Map.of("v", Tensor.of(values, values.length));
            for (DType dtype : List.of(DType.F32, DType.BF16, DType.F16)) {
                Path file = tmp.resolve(dtype + ".safetensors");
                SafetensorsWriter.write(file, one, dtype);
                try (var reader = SafetensorsReader.open(file)) {
                    assertEquals(SafetensorsDType.of(dtype), reader.info("v").dtype());
                    float[] got = reader.read("v", DType.F32).toFloatArray();
                    for (int i = 0; i < values.length; i++) {
                        assertEquals(Float.floatToRawIntBits(rounded(values[i], dtype)), Float.floatToRawIntBits(got[i]),
                                dtype + " value " + values[i]);
                    }
                }
            }
        }
    }

    /** The file appears whole under its name; no temporary is left beside it, and an old file is replaced. */
    @Test
    void replacesAtomicallyLeavingNoTemporary() throws IOException {
        Path file = tmp.resolve("w.safetensors");
        Files.writeString(file, "old");
        try (var s = Scope.open()) {
            SafetensorsWriter.write(file, Map.of("x", Tensor.of(new float[] {4, 5}, 2)));
        }
        try (var reader = SafetensorsReader.open(file); var s = Scope.open()) {
            assertArrayEquals(new float[] {4, 5}, reader.read("x").toFloatArray());
        }
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void writesTransposedViewsInLogicalOrder() throws IOException {
        Path file = tmp.resolve("t.safetensors");
        try (var s = Scope.open()) {
            Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            SafetensorsWriter.write(file, Map.of("f32", m.t()));
            SafetensorsWriter.write(tmp.resolve("h.safetensors"), Map.of("h", m.t()), DType.BF16);
            try (var reader = SafetensorsReader.open(file); var half = SafetensorsReader.open(tmp.resolve("h.safetensors"))) {
                assertArrayEquals(new int[] {3, 2}, reader.info("f32").shape());
                assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, reader.read("f32").toFloatArray());
                assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, half.read("h", DType.F32).toFloatArray());
            }
        }
    }

    private static Tensor bf16(float... v) {
        Tensor t = Tensor.empty(DType.BF16, v.length);
        dev.lathe.core.backend.Backends.cpu().copy(Tensor.of(v, v.length), t);
        return t;
    }

    /** Reference rounding, independent of the backend: the JDK's float16, and bfloat16 round-to-nearest-even by hand. */
    private static float rounded(float x, DType dtype) {
        return switch (dtype) {
            case F32 -> x;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(x));
            case BF16 -> {
                int bits = Float.floatToRawIntBits(x);
                int lower = bits & 0xFFFF, upper = bits >>> 16;
                if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) upper++;
                yield Float.intBitsToFloat(upper << 16);
            }
            default -> throw new IllegalArgumentException();
        };
    }
}
