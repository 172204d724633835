package dev.lathe.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.models.Padding.Side;
import org.junit.jupiter.api.Test;

class PaddingTest {
    private static final int[] LENGTHS = {4, 2, 0};

    @Test
    void rightPadding() {
        try (var s = Scope.open()) {
            assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, Padding.mask(LENGTHS, 4, Side.RIGHT).toIntArray());
            assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}, Padding.positions(LENGTHS, 4, Side.RIGHT).toIntArray());
            assertArrayEquals(new int[] {3, 1}, Padding.lastTokenIndex(new int[] {4, 2}, 4, Side.RIGHT));
        }
    }

    @Test
    void leftPaddingFollowsHuggingFacesCumsum() {
        try (var s = Scope.open()) {
            assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0}, Padding.mask(LENGTHS, 4, Side.LEFT).toIntArray());
            assertArrayEquals(new int[] {0, 1, 2, 3, 0, 0, 0, 1, 0, 0, 0, 0}, Padding.positions(LENGTHS, 4, Side.LEFT).toIntArray());
            assertArrayEquals(new int[] {3, 3}, Padding.lastTokenIndex(new int[] {4, 2}, 4, Side.LEFT));
            // Any mask, e.g. packed or with holes: cumsum(mask) - 1, clamped at 0.
            Tensor mask = Tensor.ofInts(new int[] {0, 1, 0, 1, 1}, 1, 5);
            assertArrayEquals(new int[] {0, 0, 0, 1, 2}, Padding.positionsFromMask(mask).toIntArray());
        }
    }

    @Test
    void rejectsImpossibleLengths() {
        assertThrows(IllegalArgumentException.class, () -> Padding.mask(new int[] {5}, 4, Side.RIGHT));
        assertThrows(IllegalArgumentException.class, () -> Padding.lastTokenIndex(new int[] {0}, 4, Side.LEFT));
    }
}
