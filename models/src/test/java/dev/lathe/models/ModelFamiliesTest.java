package dev.lathe.models;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.llama.LlamaModel;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** config.json's model_type picks the family. */
class ModelFamiliesTest {
    @Test
    void qwen3AndGpt2FoldersLoadAsTheirFamilies() throws IOException, URISyntaxException {
        Path qwen3 = Path.of(ModelFamiliesTest.class.getResource("/qwen3-tiny/policy").toURI());
        try (CausalLm m = ModelFamilies.loadCausalLm(qwen3)) {
            assertInstanceOf(LlamaModel.class, m);
        }
        try (CausalLm m = ModelFamilies.loadCausalLm(Fixtures.gpt2Tiny("policy"))) {
            assertInstanceOf(Gpt2Model.class, m);
        }
    }
}
