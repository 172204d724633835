package dev.lathe.models.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.models.io.SafetensorsDType;
import dev.lathe.models.io.SafetensorsException;
import dev.lathe.models.io.SafetensorsReader;
import dev.lathe.models.io.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated safetensors files: opening one either succeeds or throws {@link SafetensorsException} (the documented
 * exception), and every tensor of a file that opened reads without error in a type Lathe reads (an
 * IllegalArgumentException only for a type it does not read, or an I64 value past I32).
 */
class SafetensorsFuzzTest {
    private static final int MUTATIONS = 3000;

    @TempDir
    Path tmp;

    /** Six tensors of six types, a metadata block, the header padded to 8 bytes as the reference writer pads it. */
    static byte[] validFile() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"e\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[40,48]},"
                + "\"c\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[48,52]},"
                + "\"d\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[52,56]},"
                + "\"f\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[56,59]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[59,59]}}";
        byte[] h = (header + " ".repeat((8 - header.length() % 8) % 8)).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 59).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (int i = 0; i < 6; i++) b.putFloat(i - 2.5f);
        b.putLong(7).putLong(-3);
        for (int i = 0; i < 59 - 40; i++) b.put((byte) (i * 37));
        return b.array();
    }

    @Test
    void theUnmutatedFileReads() throws IOException {
        Path file = Files.write(tmp.resolve("valid.safetensors"), validFile());
        assertEquals(Outcome.OPENED, openAndReadAll(file));
    }

    @Test
    void mutatedFilesOnlyEverThrowSafetensorsException() throws IOException {
        byte[] valid = validFile();
        Path file = tmp.resolve("mutated.safetensors");
        int[] outcomes = new int[Outcome.values().length];
        for (int seed = 0; seed < MUTATIONS; seed++) {
            Random rng = new Random(seed);
            byte[] bytes = rng.nextInt(8) == 0 ? Mutations.editLengthField(valid, rng) : Mutations.mutate(valid, rng);
            Files.write(file, bytes);
            outcomes[check(file, seed).ordinal()]++;
        }
        // the mutations reach both sides: files rejected, and files still valid whose tensors were read
        if (outcomes[Outcome.REJECTED.ordinal()] < MUTATIONS / 4 || outcomes[Outcome.OPENED.ordinal()] < MUTATIONS / 50) {
            fail("mutations too weak or too strong: " + java.util.Arrays.toString(outcomes));
        }
    }

    private enum Outcome { OPENED, REJECTED }

    private static Outcome check(Path file, int seed) {
        try {
            return openAndReadAll(file);
        } catch (SafetensorsException e) {
            return Outcome.REJECTED;
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ": " + t, t);
        }
    }

    private static Outcome openAndReadAll(Path file) throws IOException {
        try (var reader = SafetensorsReader.open(file); var s = Scope.open()) {
            for (String name : reader.names()) {
                TensorInfo info = reader.info(name);
                DType type = info.dtype().toDType();
                if (type == null) {
                    assertThrows(IllegalArgumentException.class, () -> reader.read(name));
                } else if (info.dtype() == SafetensorsDType.I64) {
                    try {
                        reader.read(name);
                    } catch (IllegalArgumentException e) {
                        if (!e.getMessage().contains("does not fit I32")) throw e;
                    }
                } else {
                    reader.read(name);
                    if (type.isFloating()) reader.read(name, DType.F32);
                }
            }
        }
        return Outcome.OPENED;
    }
}
