package dev.lathe.models.gpt2;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Dropout;
import dev.lathe.core.nn.Module;

/** GPT-2's feed-forward: c_fc (C → hidden), GELU in tanh form, c_proj (hidden → C), dropout (resid_pdrop). */
final class Gpt2Mlp extends Module {
    private final Conv1D cFc;
    private final Conv1D cProj;
    private final Dropout dropout;

    Gpt2Mlp(int dim, int hidden, float std, float projStd, Gpt2Init init) {
        this.cFc = child("c_fc", new Conv1D(dim, hidden, std, init));
        this.cProj = child("c_proj", new Conv1D(hidden, dim, projStd, init));
        this.dropout = child("dropout", new Dropout());
    }

    Tensor forward(Tensor x) {
        return dropout.forward(cProj.forward(cFc.forwardGelu(x))); // c_fc's bias and the GELU fused
    }
}
