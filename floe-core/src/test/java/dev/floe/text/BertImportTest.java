package dev.floe.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.components.TransformerEncoder;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.Param;
import dev.floe.onnx.OnnxFiles;
import dev.floe.onnx.OnnxModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** BERT weights from a small synthetic ONNX export, laid out as PyTorch's exporter lays them out. */
class BertImportTest {

    private static TransformerEncoder tiny(String name, long hidden) {
        return TransformerEncoder.builder().name(name).vocab(10).hidden(hidden).layers(2).heads(2)
                .intermediate(8).maxPositions(6).typeVocab(2).build();
    }

    private static ModelGraph graphOf(TransformerEncoder enc) {
        TensorSpec ids = TensorSpec.of("[batch, seq]", ElementType.INT64);
        return ModelGraph.builder().input("ids", ids).input("mask", ids).add(enc)
                .wire("ids", enc.name() + ".input_ids").wire("mask", enc.name() + ".attention_mask")
                .output("pooled", enc.name() + ".pooled").build();
    }

    /** Distinct values per parameter and element, so a wrong mapping or transposition shows. */
    private static float[] target(Param p) {
        float[] v = new float[(int) p.size()];
        int salt = Math.floorMod(p.path().hashCode(), 1000);
        for (int i = 0; i < v.length; i++) {
            v[i] = salt + i * 0.001f;
        }
        return v;
    }

    /** Exports {@code graph}'s encoder the way torch.onnx does: dense weights as onnx::MatMul_k (in, out). */
    private static byte[] export(TransformerEncoder enc, Predicate<String> keep, boolean withBiasAdds) {
        OnnxFiles f = new OnnxFiles();
        int k = 100;
        Map<String, Param> params = new LinkedHashMap<>(enc.parameters());
        for (Param p : params.values()) {
            String local = p.path().substring(enc.name().length() + 1);
            if (!keep.test(local)) {
                continue;
            }
            String bert = (local.startsWith("layer.") ? "encoder." : "") + local.replace('/', '.');
            boolean dense = local.startsWith("layer.") && local.endsWith("/weight") && !local.contains("LayerNorm");
            long[] dims = p.shape().getShape();
            float[] values = target(p);
            if (!dense) {
                f.floats(bert, dims, values);
                continue;
            }
            String w = "onnx::MatMul_" + (k++);
            f.floats(w, new long[] {dims[1], dims[0]}, BertImport.transpose(values, (int) dims[0], (int) dims[1]));
            String module = bert.substring(0, bert.length() - ".weight".length());
            f.node("MatMul", List.of("x", w), List.of(module + "/MatMul_out"));
            if (withBiasAdds) {
                f.node("Add", List.of(module + ".bias", module + "/MatMul_out"), List.of(module + "/Add_out"));
            }
        }
        return f.io(true, "input_ids").io(false, "last_hidden_state").toBytes();
    }

    @Test
    void everyParameterGetsItsInitializerAndMatMulWeightsAreTransposed() {
        TransformerEncoder enc = tiny("enc", 4);
        try (ModelGraph g = graphOf(enc)) {
            BertImport.load(enc, OnnxModel.read(export(enc, s -> true, true), "tiny.onnx"));
            for (Param p : enc.parameters().values()) {
                assertArrayEquals(target(p), p.toFloatArray(), p.path());
            }
        }
    }

    @Test
    void aMissingInitializerIsListedAndNothingIsLoaded() {
        TransformerEncoder enc = tiny("enc", 4);
        try (ModelGraph g = graphOf(enc)) {
            byte[] bytes = export(enc, s -> !s.equals("layer.1/output/LayerNorm/bias"), true);
            Param words = enc.parameters().get("enc/embeddings/word_embeddings/weight");
            float[] before = words.toFloatArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BertImport.load(enc, OnnxModel.read(bytes, "tiny.onnx")));
            assertTrue(e.getMessage().contains("1 parameters receive no initializer: [enc/layer.1/output/LayerNorm/bias]"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("nothing was loaded"), e.getMessage());
            assertArrayEquals(before, words.toFloatArray());
        }
    }

    @Test
    void anInitializerWithoutAParameterIsAnError() {
        TransformerEncoder enc = tiny("enc", 4);
        try (ModelGraph g = graphOf(enc)) {
            OnnxFiles extra = new OnnxFiles();
            byte[] base = export(enc, s -> true, true);
            // same export plus a classifier the encoder does not have
            byte[] bytes = concatGraph(base, extra.floats("classifier.weight", new long[] {2, 4}, new float[8]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BertImport.load(enc, OnnxModel.read(bytes, "cls.onnx")));
            assertTrue(e.getMessage().contains("initializer classifier.weight maps to enc/classifier/weight"),
                    e.getMessage());
        }
    }

    @Test
    void aMatMulWeightWithoutANamedBiasIsAnError() {
        TransformerEncoder enc = tiny("enc", 4);
        try (ModelGraph g = graphOf(enc)) {
            byte[] bytes = export(enc, s -> true, false);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BertImport.load(enc, OnnxModel.read(bytes, "nobias.onnx")));
            assertTrue(e.getMessage().contains("is the weight of a MatMul whose output feeds no Add with a named bias"),
                    e.getMessage());
        }
    }

    @Test
    void aModelOfOtherSizesIsRejectedNamingTheShapes() {
        TransformerEncoder small = tiny("enc", 4);
        TransformerEncoder wide = tiny("enc", 8);
        try (ModelGraph g = graphOf(small); ModelGraph w = graphOf(wide)) {
            byte[] bytes = export(small, s -> true, true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BertImport.load(wide, OnnxModel.read(bytes, "small.onnx")));
            assertTrue(e.getMessage().contains(
                    "initializer embeddings.word_embeddings.weight [10, 4] does not fit enc/embeddings/word_embeddings/weight [10, 8]"),
                    e.getMessage());
        }
    }

    @Test
    void anUnbuiltEncoderCannotBeLoaded() {
        TransformerEncoder enc = tiny("enc", 4);
        byte[] bytes = new OnnxFiles().toBytes();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BertImport.load(enc, OnnxModel.read(bytes, "x.onnx")));
        assertTrue(e.getMessage().contains("build the graph before loading weights"), e.getMessage());
    }

    @Test
    void checkpointNamesBecomePaths() {
        assertEquals("layer.11/attention/self/query/bias", BertImport.toPath("encoder.layer.11.attention.self.query.bias"));
        assertEquals("embeddings/LayerNorm/weight", BertImport.toPath("bert.embeddings.LayerNorm.weight"));
    }

    /** Appends the graph fields of {@code extra} to those of {@code base} (both from OnnxFiles). */
    private static byte[] concatGraph(byte[] base, OnnxFiles extra) {
        // rebuild: a ModelProto may not hold two graphs, so read both and write one
        OnnxModel a = OnnxModel.read(base, "a");
        OnnxModel b = OnnxModel.read(extra.toBytes(), "b");
        OnnxFiles f = new OnnxFiles();
        for (OnnxModel m : List.of(a, b)) {
            m.initializers().values().forEach(t -> f.floats(t.name(), t.dims(), t.toFloats()));
            m.nodes().forEach(n -> f.node(n.opType(), n.inputs(), n.outputs()));
        }
        return f.toBytes();
    }
}
