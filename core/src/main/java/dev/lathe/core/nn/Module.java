package dev.lathe.core.nn;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A tree of named parameters and sub-modules, PyTorch style ({@code h.0.attn.c_attn.weight}). A module owns its
 * parameters: they are created outside any scope and freed by {@link #close()}.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a parameter built by {@code init} (run outside any open scope) and marks it as requiring grad. */
    protected final Tensor parameter(String name, Supplier<Tensor> init) {
        Tensor t = Scope.escape(init);
        t.requiresGrad(true);
        if (params.put(name, t) != null) throw new IllegalArgumentException("duplicate parameter " + name);
        return t;
    }

    /**
     * Puts {@code replacement} (created outside any scope) in place of this module's parameter {@code name},
     * closing the old tensor; e.g. a frozen weight re-stored in another dtype. Returns the replacement.
     */
    protected final Tensor replaceParameter(String name, Tensor replacement) {
        Tensor old = params.replace(name, replacement);
        if (old == null) throw new IllegalArgumentException("no parameter " + name);
        old.close();
        return replacement;
    }

    /** Registers a sub-module. */
    protected final <M extends Module> M child(String name, M module) {
        if (children.put(name, module) != null) throw new IllegalArgumentException("duplicate module " + name);
        return module;
    }

    /** Every parameter with its dotted path, in registration order. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out) {
        params.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out));
    }

    /** This module (under "") and every sub-module with its dotted path, parents before children. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String path, Map<String, Module> out) {
        out.put(path, this);
        children.forEach((k, m) -> m.collectModules(path.isEmpty() ? k : path + "." + k, out));
    }

    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public final long parameterCount() {
        long n = 0;
        for (Tensor t : parameters()) n += t.numel();
        return n;
    }

    /** Frees every parameter's gradient. */
    public final void zeroGrad() {
        for (Tensor t : parameters()) t.zeroGrad();
    }

    /** Training mode (dropout on where configured) or evaluation mode, for this module and its children. */
    public final void train(boolean on) {
        training = on;
        children.values().forEach(m -> m.train(on));
    }

    public final boolean isTraining() {
        return training;
    }

    /** Training mode, PyTorch's {@code module.train()}. */
    public final void train() {
        train(true);
    }

    /** Evaluation mode (no dropout), PyTorch's {@code module.eval()}: generation, scoring, references, eval. */
    public final void eval() {
        train(false);
    }

    /** This module and every module below it, depth first in registration order (PyTorch's modules()). */
    public final List<Module> modules() {
        List<Module> out = new ArrayList<>();
        out.add(this);
        children.values().forEach(m -> out.addAll(m.modules()));
        return out;
    }

    /**
     * Moves every parameter of this module tree (and its gradient) to {@code device} in place, PyTorch's
     * {@code model.to(device)}: each stays the same tensor object, so modules, optimizers and names keep referring
     * to it and it keeps its requiresGrad flag. Inputs of a forward must then live on that device too.
     */
    public final void to(Device device) {
        for (Tensor t : parameters()) t.relocate(device);
    }

    /** Frees parameters, their gradients and every sub-module. */
    @Override
    public void close() {
        params.values().forEach(Tensor::close);
        children.values().forEach(Module::close);
    }
}
