package dev.lathe.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradClipAndScheduleTest {

    @Test
    void clipReturnsPreClipNormAndScalesToMaxNorm() {
        Tensor a = Tensor.zeros(2).requiresGrad(true), b = Tensor.zeros(1).requiresGrad(true), c = Tensor.zeros(3);
        a.setGrad(Scope.escape(() -> Tensor.of(new float[] {3, 0}, 2)));
        b.setGrad(Scope.escape(() -> Tensor.of(new float[] {4}, 1)));
        double norm = GradClip.clipGradNorm(List.of(a, b, c), 1.0);
        assertEquals(5.0, norm, 1e-6);
        assertEquals(1.0, GradClip.globalNorm(List.of(a, b, c)), 1e-5);
        assertArrayEquals(new float[] {0.6f, 0f}, a.grad().toFloatArray(), 1e-6f);
        // Under the limit: untouched.
        assertEquals(1.0, GradClip.clipGradNorm(List.of(a, b), 10.0), 1e-5);
        assertArrayEquals(new float[] {0.8f}, b.grad().toFloatArray(), 1e-6f);
        a.close();
        b.close();
        c.close();
    }

    @Test
    void schedulesFollowHuggingFaceFormulas() {
        LrSchedule lin = LrSchedule.linear(10, 110);
        assertEquals(0.0, lin.factor(0));
        assertEquals(0.5, lin.factor(5), 1e-12);
        assertEquals(1.0, lin.factor(10), 1e-12);
        assertEquals(0.5, lin.factor(60), 1e-12);
        assertEquals(0.0, lin.factor(110), 1e-12);
        assertEquals(0.0, lin.factor(500), 1e-12);

        LrSchedule cos = LrSchedule.cosine(0, 100);
        assertEquals(1.0, cos.factor(0), 1e-12);
        assertEquals(0.5, cos.factor(50), 1e-12);
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 0.25)), cos.factor(25), 1e-12);
        assertEquals(0.0, cos.factor(100), 1e-12);

        LrSchedule constant = LrSchedule.named("constant", 4, 100);
        assertEquals(0.25, constant.factor(1), 1e-12);
        assertEquals(1.0, constant.factor(99), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.named("triangle", 0, 10));
    }
}
