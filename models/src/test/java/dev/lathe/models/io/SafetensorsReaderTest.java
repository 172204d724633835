package dev.lathe.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.models.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafetensorsReaderTest {
    @TempDir
    Path tmp;

    /** The policy's BF16 tensors, widened, against a decoding of the file's bytes done here with plain NIO. */
    @Test
    void readsAndWidensTheReferenceFile() throws IOException {
        Path file = Fixtures.gpt2Tiny("policy").resolve("model.safetensors");
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) raw.getLong(0);
        JsonNode header = new ObjectMapper().readTree(Arrays.copyOfRange(raw.array(), 8, 8 + headerLength));
        try (var reader = SafetensorsReader.open(file)) {
            assertEquals(Map.of("format", "pt"), reader.metadata());
            assertEquals(28, reader.names().size());
            for (String name : reader.names()) {
                JsonNode entry = header.get(name);
                TensorInfo info = reader.info(name);
                assertEquals(SafetensorsDType.BF16, info.dtype());
                assertArrayEquals(Fixtures.ints(entry.get("shape")), info.shape());
                long begin = entry.get("data_offsets").get(0).longValue();
                try (Tensor wide = reader.read(name, DType.F32); Tensor stored = reader.read(name)) {
                    assertEquals(DType.BF16, stored.dtype());
                    float[] got = wide.toFloatArray();
                    for (int i = 0; i < got.length; i++) {
                        short bits = raw.getShort((int) (8 + headerLength + begin + 2L * i));
                        assertEquals(Float.intBitsToFloat((bits & 0xFFFF) << 16), got[i], name + "[" + i + "]");
                        assertEquals(bits, stored.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, i));
                    }
                }
            }
        }
    }

    @Test
    void readsI64AsCheckedI32() throws IOException {
        Path file = SafetensorsFiles.write(tmp.resolve("ids.safetensors"),
                "{\"ok\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]},"
                        + "\"big\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]}}",
                SafetensorsFiles.longs(7, -2, 50256, 1L << 40));
        try (var reader = SafetensorsReader.open(file); Tensor ok = reader.read("ok")) {
            assertEquals(DType.I32, ok.dtype());
            assertArrayEquals(new int[] {7, -2, 50256}, ok.toIntArray());
            var e = assertThrows(IllegalArgumentException.class, () -> reader.read("big"));
            assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains(file.toString()), e.getMessage());
        }
    }

    /** An unpadded header (older writers) leaves the data at an odd address: values still read correctly. */
    @Test
    void readsUnalignedData() throws IOException {
        Path file = SafetensorsFiles.write(tmp.resolve("odd.safetensors"),
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{}}",
                SafetensorsFiles.floats(1.5f, -3.25f));
        try (var reader = SafetensorsReader.open(file); Tensor x = reader.read("x", DType.BF16)) {
            assertArrayEquals(new float[] {1.5f, -3.25f}, x.toFloatArray());
        }
    }

    static Stream<Arguments> corruptFiles() {
        String one = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] eight = new byte[8];
        return Stream.of(
                Arguments.of("shorter than the length field", -1L, "", new byte[3], null),
                Arguments.of("absurd header length", Long.MAX_VALUE, one, eight, null),
                Arguments.of("header length past the end", 200L, one, eight, null),
                Arguments.of("header length as unsigned 2^64-1", -1L, one, eight, null),
                Arguments.of("header not JSON", null, "{\"w\":", eight, null),
                Arguments.of("header not an object", null, "[1,2,3]", eight, null),
                Arguments.of("duplicate key", null, "{\"w\":{},\"w\":{}}", eight, null),
                Arguments.of("truncated data", null, one, new byte[5], "w"),
                Arguments.of("offsets outside the data", null,
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", eight, "w"),
                Arguments.of("begin after end", null,
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", eight, "w"),
                Arguments.of("negative offset", null,
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[-4,0]}}", eight, "w"),
                Arguments.of("overlapping tensors", null,
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight, "b"),
                Arguments.of("dtype x shape mismatch", null,
                        "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "w"),
                Arguments.of("shape overflows", null,
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}",
                        eight, "w"),
                Arguments.of("negative dimension", null,
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight, "w"),
                Arguments.of("unknown dtype", null,
                        "{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "w"),
                Arguments.of("metadata value not a string", null,
                        "{\"__metadata__\":{\"format\":1}}", eight, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptFiles")
    void rejectsCorruptFiles(String what, Long headerLength, String header, byte[] data, String tensor) throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        if (headerLength != null && headerLength == -1L && header.isEmpty()) {
            Files.write(file, data);
        } else if (headerLength != null) {
            SafetensorsFiles.write(file, headerLength, header, data);
        } else {
            SafetensorsFiles.write(file, header, data);
        }
        var e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(file).close(), what);
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        if (tensor != null) assertTrue(e.getMessage().contains("'" + tensor + "'"), e.getMessage());
    }
}
