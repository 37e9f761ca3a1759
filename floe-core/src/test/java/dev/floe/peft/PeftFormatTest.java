package dev.floe.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.io.TensorData;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Param;
import dev.floe.text.MiniLm;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face PEFT adapter folders: one written by {@code make_hf_lora_fixture.py} (standard
 * library only, from PEFT's documented key names) loads onto MiniLM and gives the outputs
 * {@code W + (lora_alpha / r) · B A} gives; writing and reading back is exact; bad folders fail in
 * one line naming the key.
 */
class PeftFormatTest {

    /** fp32 sums in different orders: the adapter's outputs and the hand-merged ones agree this closely. */
    private static final double TOLERANCE = 1e-4;
    private static final List<String> TEXTS = List.of("The cat sits on the mat.", "Cheap pills, buy now!");

    @TempDir
    Path dir;

    static Path fixture() throws URISyntaxException {
        return Path.of(PeftFormatTest.class.getResource("hf-minilm-lora/" + PeftFormat.CONFIG_FILE).toURI()).getParent();
    }

    @Test
    void aPeftFolderLoadsOntoMiniLmAndGivesTheOutputsOfTheWeightsItImplies() throws Exception {
        Path folder = fixture();
        try (MiniLm m = MiniLm.load()) {
            ModelGraph g = m.graph();
            float[][] base = m.embed(TEXTS);
            PeftFormat.Imported imported = PeftFormat.read(folder, g, MiniLm.COMPONENT, "hf", PeftFormat.MINILM_BASE);
            assertEquals(new LoraSpec("hf", 2, 6, 0.1, "encoder/**/{query,value}"), imported.spec());
            assertEquals(12, imported.layers().size());
            assertEquals("encoder/layer.0/attention/self/query", imported.layers().get(0));
            assertEquals(java.util.Optional.of(PeftFormat.MINILM_BASE), imported.baseModel());
            float[][] adapted = m.embed(TEXTS);
            assertTrue(maxDiff(base, adapted) > 1e-3, "the adapter changes the embeddings");

            // the reference: switch the module off and add (lora_alpha / r) · B A to each weight by hand,
            // from the file's raw tensors under PEFT's names
            Lora.deactivate(g, "hf");
            SafetensorsFile raw = Safetensors.read(folder.resolve(PeftFormat.WEIGHTS_FILE));
            double scale = 6.0 / 2;
            Map<String, float[]> saved = new HashMap<>();
            for (int layer = 0; layer < 6; layer++) {
                for (String module : List.of("query", "value")) {
                    String key = "base_model.model.encoder.layer." + layer + ".attention.self." + module;
                    float[] a = raw.tensors().get(key + ".lora_A.weight").toFloats(); // (2, 384)
                    float[] b = raw.tensors().get(key + ".lora_B.weight").toFloats(); // (384, 2)
                    Param w = g.parameters().get("encoder/layer." + layer + "/attention/self/" + module + "/weight");
                    float[] values = w.toFloatArray(); // (384, 384)
                    saved.put(w.path(), values.clone());
                    for (int o = 0; o < 384; o++) {
                        for (int i = 0; i < 384; i++) {
                            double ba = 0;
                            for (int k = 0; k < 2; k++) {
                                ba += (double) b[o * 2 + k] * a[k * 384 + i];
                            }
                            values[o * 384 + i] = (float) (values[o * 384 + i] + scale * ba);
                        }
                    }
                    w.load(values, w.shape().getShape());
                }
            }
            float[][] merged = m.embed(TEXTS);
            assertTrue(maxDiff(adapted, merged) < TOLERANCE, "adapter vs W + (alpha/r) B A: " + maxDiff(adapted, merged));
            saved.forEach((path, v) -> g.parameters().get(path).load(v, g.parameters().get(path).shape().getShape()));
            Lora.activate(g, "hf");

            // written back out, the folder holds the same tensors under the same names, and the same settings
            Path out = dir.resolve("out");
            PeftFormat.write(g, "hf", out, PeftFormat.MINILM_BASE);
            SafetensorsFile again = Safetensors.read(out.resolve(PeftFormat.WEIGHTS_FILE));
            assertEquals(raw.tensors(), again.tensors());
            JsonNode in = Json.mapper().readTree(folder.resolve(PeftFormat.CONFIG_FILE).toFile());
            JsonNode written = Json.mapper().readTree(out.resolve(PeftFormat.CONFIG_FILE).toFile());
            for (String key : List.of("peft_type", "r", "target_modules", "base_model_name_or_path", "bias",
                    "fan_in_fan_out", "task_type", "use_dora", "use_rslora")) {
                assertEquals(in.get(key), written.get(key), key);
            }
            assertEquals(6.0, written.get("lora_alpha").asDouble());
            assertEquals(0.1, written.get("lora_dropout").asDouble());
        }
    }

    @Test
    void writingThenReadingGivesBitIdenticalFactorsAndOutputs() throws IOException {
        Path folder = dir.resolve("adapter");
        float[] trained;
        Map<String, float[]> factors = new LinkedHashMap<>();
        try (ModelGraph g = tiny()) {
            // a selection that last names alone cannot express: query of layer 1 and the FFN output of layer 0
            Lora.inject(g, new LoraSpec("mine", 2, 3, 0.0, "encoder/{layer.1/attention/self/query,layer.0/output/dense}"));
            randomize(g);
            trained = pooled(g);
            g.parameters().forEach((k, p) -> {
                if ("mine".equals(p.adapter())) {
                    factors.put(k, p.toFloatArray());
                }
            });
            PeftFormat.write(g, "mine", folder, "my-org/tiny-bert");
        }
        SafetensorsFile f = Safetensors.read(folder.resolve(PeftFormat.WEIGHTS_FILE));
        assertEquals(List.of(
                        "base_model.model.encoder.layer.0.output.dense.lora_A.weight",
                        "base_model.model.encoder.layer.0.output.dense.lora_B.weight",
                        "base_model.model.encoder.layer.1.attention.self.query.lora_A.weight",
                        "base_model.model.encoder.layer.1.attention.self.query.lora_B.weight"),
                List.copyOf(new java.util.TreeSet<>(f.tensors().keySet())));
        assertArrayEquals(new long[] {2, 16}, f.tensors().get("base_model.model.encoder.layer.0.output.dense.lora_A.weight").shape(),
                "A is [r, in]: the FFN output reads the 16-wide intermediate");
        assertArrayEquals(new long[] {8, 2}, f.tensors().get("base_model.model.encoder.layer.0.output.dense.lora_B.weight").shape(),
                "B is [out, r]");
        assertEquals("pt", f.metadata().get("format"));
        JsonNode config = Json.mapper().readTree(folder.resolve(PeftFormat.CONFIG_FILE).toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals(2, config.get("r").asInt());
        assertEquals(3.0, config.get("lora_alpha").asDouble());
        String regex = config.get("target_modules").asText();
        assertTrue("encoder.layer.1.attention.self.query".matches(regex), regex);
        assertTrue("encoder.layer.0.output.dense".matches(regex), regex);
        assertFalse("encoder.layer.0.attention.self.query".matches(regex), regex);
        assertFalse("encoder.layer.1.output.dense".matches(regex), regex);

        try (ModelGraph fresh = tiny()) {
            PeftFormat.Imported imported = PeftFormat.read(folder, fresh, "encoder", "mine", "tiny-bert");
            assertEquals(List.of("encoder/layer.0/output/dense", "encoder/layer.1/attention/self/query"), imported.layers());
            assertEquals(2, imported.spec().rank());
            assertEquals(3.0, imported.spec().alpha());
            fresh.parameters().forEach((k, p) -> {
                if ("mine".equals(p.adapter())) {
                    assertArrayEquals(factors.get(k), p.toFloatArray(), k);
                }
            });
            assertArrayEquals(trained, pooled(fresh), "the same factors on the same base give the same outputs");
        }
    }

    @Test
    void keysOfATaskModelThatWrapsTheEncoderInBertLoadTheSame() throws Exception {
        Path folder = tinyAdapter();
        Path copy = copyOf(folder, c -> {});
        Path weights = copy.resolve(PeftFormat.WEIGHTS_FILE);
        SafetensorsFile f = Safetensors.read(weights);
        Map<String, TensorData> renamed = new LinkedHashMap<>();
        f.tensors().forEach((k, v) -> renamed.put(k.replace("base_model.model.", "base_model.model.bert."), v));
        Safetensors.write(weights, renamed, f.metadata());
        try (ModelGraph plain = tiny(); ModelGraph wrapped = tiny()) {
            PeftFormat.read(folder, plain, "encoder", "a");
            PeftFormat.read(copy, wrapped, "encoder", "a");
            assertArrayEquals(pooled(plain), pooled(wrapped));
        }
    }

    @Test
    void rsLoraScalesByAlphaOverTheRootOfTheRank() throws Exception {
        Path folder = copyOf(tinyAdapter(), config -> config.put("use_rslora", true).put("r", 2).put("lora_alpha", 3));
        try (ModelGraph g = tiny()) {
            LoraSpec spec = PeftFormat.read(folder, g, "encoder", "rs").spec();
            assertEquals(3 / Math.sqrt(2), spec.scale(), 1e-12, "PEFT's use_rslora scale is lora_alpha / sqrt(r)");
        }
    }

    @Test
    void halfAndBfloatFactorsWidenExactly() {
        assertEquals(1.0f, PeftFormat.halfToFloat(0x3C00));
        assertEquals(-2.0f, PeftFormat.halfToFloat(0xC000));
        assertEquals(65504f, PeftFormat.halfToFloat(0x7BFF));
        assertEquals(0x1p-24f, PeftFormat.halfToFloat(0x0001), "smallest subnormal");
        assertEquals(Float.POSITIVE_INFINITY, PeftFormat.halfToFloat(0x7C00));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3FC0);
        b.flip();
        assertArrayEquals(new float[] {1.5f}, PeftFormat.floats(new TensorData(dev.floe.io.DType.BF16, new long[] {1}, b)));
    }

    @Test
    void badFoldersFailInOneLineNamingTheKeyAndTheFixAndLeaveTheGraphAlone() throws Exception {
        Path good = tinyAdapter();
        assertFails(copyOf(good, c -> c.put("peft_type", "IA3")), null,
                "peft_type is 'IA3' but Floe reads LORA adapters only");
        assertFails(copyOf(good, c -> c.put("base_model_name_or_path", "bert-base-uncased")), "tiny-bert",
                "base_model_name_or_path is 'bert-base-uncased' but the model here is tiny-bert");
        assertFails(copyOf(good, c -> c.put("use_dora", true)), null, "use_dora is true");
        assertFails(copyOf(good, c -> c.put("bias", "all")), null, "bias is 'all'");
        assertFails(copyOf(good, c -> c.put("r", 4)), null,
                "base_model.model.encoder.layer.0.output.dense.lora_A.weight has shape [2, 16] but the layer and r give [r, in] = [4, 16]");
        assertFails(withTensor(good, "base_model.model.classifier.weight", new long[] {2, 8}), null,
                "key base_model.model.classifier.weight is not a LoRA factor");
        assertFails(withTensor(good, "base_model.model.pooler.dense.lora_A.weight", new long[] {2, 8}), null,
                "key base_model.model.pooler.dense.lora_A.weight names module pooler.dense, which is not part of a BERT encoder");
        assertFails(withTensor(good, "base_model.model.encoder.layer.7.attention.self.key.lora_A.weight", new long[] {2, 8}),
                null, "(Floe layer encoder/layer.7/attention/self/key), but encoder 'encoder' has no such Linear layer");
        assertFails(dir.resolve("nowhere"), null, "is not a folder");
    }

    @Test
    void twoKeysForOneLayerAreRefusedInsteadOfOneSilentlyWinning() throws Exception {
        // the tiny adapter's own key is base_model.model.encoder.layer.0.output.dense.lora_A.weight
        assertFails(withTensor(tinyAdapter(), "base_model.model.bert.encoder.layer.0.output.dense.lora_A.weight",
                new long[] {2, 16}), null, "both name layer encoder/layer.0/output/dense");
    }

    @Test
    void targetModulesNeverCatchTheBertModelsPoolerWhichTheAdapterDoesNotAdapt() throws IOException {
        Path folder = dir.resolve("dense");
        try (ModelGraph g = tiny()) {
            List<String> layers = Lora.inject(g, new LoraSpec("d", 2, 2, 0.0, "encoder/**/dense"));
            assertEquals(6, layers.size(), "attention.output, intermediate and output dense of both layers");
            PeftFormat.write(g, "d", folder, "my-org/tiny-bert");
        }
        JsonNode targets = Json.mapper().readTree(folder.resolve(PeftFormat.CONFIG_FILE).toFile()).get("target_modules");
        // PEFT matches a list entry as a suffix of every module of the BertModel, which has pooler.dense;
        // a string is matched with re.fullmatch
        assertTrue(targets.isTextual(), "a list [\"dense\"] would also adapt pooler.dense: " + targets);
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(targets.asText());
        assertTrue(p.matcher("encoder.layer.1.intermediate.dense").matches(), targets.asText());
        assertTrue(p.matcher("encoder.layer.0.attention.output.dense").matches(), targets.asText());
        assertFalse(p.matcher("pooler.dense").matches(), targets.asText());
    }

    @Test
    void anAdapterTrainedOnOtherEncoderWeightsIsRefusedByItsBaseHash() throws Exception {
        Path folder = tinyAdapter();
        try (ModelGraph other = tiny(99)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PeftFormat.read(folder, other, "encoder", "x"));
            assertTrue(e.getMessage().contains("floe.base_hash"), e.getMessage());
            assertTrue(Lora.attached(other).isEmpty());
        }
    }

    private void assertFails(Path folder, String expectedBase, String fragment) {
        try (ModelGraph g = tiny()) {
            int before = g.parameters().size();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PeftFormat.read(folder, g, "encoder", "x", expectedBase == null ? "tiny-bert" : expectedBase));
            assertTrue(e.getMessage().contains(fragment), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
            assertEquals(before, g.parameters().size(), "nothing injected");
            assertTrue(Lora.attached(g).isEmpty());
        }
    }

    /** A valid folder: LoRA r 2 on layer.0/output/dense of the seed-1 tiny encoder. */
    private Path tinyAdapter() throws IOException {
        Path folder = dir.resolve("tiny-" + System.nanoTime());
        try (ModelGraph g = tiny()) {
            Lora.inject(g, new LoraSpec("t", 2, 2, 0.0, "encoder/layer.0/output/dense"));
            randomize(g);
            PeftFormat.write(g, "t", folder, "my-org/tiny-bert");
        }
        return folder;
    }

    private Path copyOf(Path folder, Consumer<ObjectNode> edit) throws IOException {
        Path copy = dir.resolve("copy-" + System.nanoTime());
        AtomicFiles.copyTree(folder, copy);
        ObjectNode config = (ObjectNode) Json.mapper().readTree(copy.resolve(PeftFormat.CONFIG_FILE).toFile());
        edit.accept(config);
        Files.writeString(copy.resolve(PeftFormat.CONFIG_FILE), Json.write(config));
        return copy;
    }

    private Path withTensor(Path folder, String key, long[] shape) throws IOException {
        Path copy = copyOf(folder, c -> {});
        Path weights = copy.resolve(PeftFormat.WEIGHTS_FILE);
        SafetensorsFile f = Safetensors.read(weights);
        Map<String, TensorData> tensors = new LinkedHashMap<>(f.tensors());
        tensors.put(key, TensorData.ofFloats(shape, new float[(int) (shape[0] * shape[1])]));
        Safetensors.write(weights, tensors, f.metadata());
        return copy;
    }

    private static ModelGraph tiny() {
        return tiny(1);
    }

    /** A 2-layer BERT-style encoder, hidden 8, FFN 16, random weights from {@code seed}. */
    private static ModelGraph tiny(long seed) {
        TensorSpec ids = TensorSpec.of("[batch, seq]", ElementType.INT64);
        TransformerEncoder enc = TransformerEncoder.builder().name("encoder").vocab(20).hidden(8).layers(2).heads(2)
                .intermediate(16).maxPositions(8).typeVocab(2).dropout(0).build();
        return ModelGraph.builder().seed(seed).input("ids", ids).input("mask", ids).add(enc)
                .wire("ids", "encoder.input_ids").wire("mask", "encoder.attention_mask")
                .output("pooled", "encoder.pooled").build();
    }

    private static void randomize(ModelGraph g) {
        SplittableRandom r = new SplittableRandom(3);
        for (Param p : g.parameters().values()) {
            if (p.adapter() != null) {
                float[] v = new float[Math.toIntExact(p.size())];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (r.nextGaussian() * 0.5);
                }
                p.load(v, p.shape().getShape());
            }
        }
    }

    private static float[] pooled(ModelGraph g) {
        try (NDManager m = g.manager().newSubManager()) {
            NDArray ids = m.create(new long[] {2, 5, 7, 9, 3, 1, 4, 4, 0, 0}, new Shape(2, 5));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 5));
            return g.forward(Map.of("ids", ids, "mask", mask), ForwardContext.INFERENCE).get("pooled").toFloatArray();
        }
    }

    private static double maxDiff(float[][] a, float[][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                m = Math.max(m, Math.abs((double) a[i][j] - b[i][j]));
            }
        }
        return m;
    }
}
