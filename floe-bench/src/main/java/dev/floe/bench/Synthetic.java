package dev.floe.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.components.LinearHead;
import dev.floe.components.TransformerEncoder;
import dev.floe.data.Dataset;
import dev.floe.engine.FloeEngine;
import dev.floe.data.Examples;
import dev.floe.graph.ElementType;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/** Seeded random data for timing: values do not change the cost of dense kernels, only sizes do. */
final class Synthetic {

    /** Classes of every synthetic classification task. */
    static final int CLASSES = 10;
    /** Vocabulary of the synthetic token task (small, so the embedding table does not dominate full fine-tuning). */
    static final int VOCAB = 1000;

    private Synthetic() {}

    /** {@code n} examples of shape {@code featureShape}, standard normal features, uniform labels. */
    static Dataset dataset(String name, long[] featureShape, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int perExample = (int) Arrays.stream(featureShape).reduce(1, (a, b) -> a * b);
        float[] x = new float[n * perExample];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) gaussian(random);
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextInt(CLASSES);
        }
        return Dataset.of(name, featureShape, x, y, CLASSES);
    }

    /** Images {@code (1, 28, 28)}. */
    static Dataset images(int n, long seed) {
        return dataset("synthetic-images", new long[] {1, 28, 28}, n, seed);
    }

    /**
     * {@code n} token sequences of length {@code seq} with no padding, for graph inputs
     * {@code input_ids} and {@code attention_mask}; labels in {@code [0, 2)}.
     */
    static Examples tokens(int n, int seq, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] ids = new long[n * seq];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(VOCAB);
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(2);
        }
        return new Examples() {
            @Override
            public String name() {
                return "synthetic-tokens";
            }

            @Override
            public int size() {
                return n;
            }

            @Override
            public int numClasses() {
                return 2;
            }

            @Override
            public int label(int i) {
                return labels[i];
            }

            @Override
            public String fingerprint() {
                return "synthetic-tokens-" + n + "x" + seq + "-" + seed;
            }

            @Override
            public Map<String, NDArray> inputs(NDManager manager, int[] indices) {
                long[] batch = new long[indices.length * seq];
                for (int i = 0; i < indices.length; i++) {
                    System.arraycopy(ids, indices[i] * seq, batch, i * seq, seq);
                }
                long[] mask = new long[batch.length];
                Arrays.fill(mask, 1L);
                Shape shape = new Shape(indices.length, seq);
                return Map.of(
                        "input_ids", FloeEngine.owned(manager.create(batch, shape)), // (B, T)
                        "attention_mask", FloeEngine.owned(manager.create(mask, shape))); // (B, T)
            }
        };
    }

    /**
     * A two-class text classifier over {@link #tokens}: graph inputs {@code input_ids} and
     * {@code attention_mask} feed {@code encoder} (which must be named {@code "encoder"} and be
     * {@code hidden} wide), whose pooled output feeds a linear head; graph output {@code logits}.
     */
    static ModelGraph textClassifier(TransformerEncoder encoder, long hidden, long seed) {
        return ModelGraph.builder()
                .input("input_ids", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .input("attention_mask", TensorSpec.of("[batch, seq]", ElementType.INT64))
                .add(encoder)
                .add(LinearHead.of("head", hidden, 2))
                .wire("input_ids", "encoder.input_ids")
                .wire("attention_mask", "encoder.attention_mask")
                .wire("encoder.pooled", "head.in")
                .output("logits", "head.logits")
                .seed(seed)
                .build();
    }

    /**
     * B3's transformer text classifier ({@link #textClassifier}): an encoder {@code s.transformerHidden()}
     * wide with {@code s.transformerLayers()} layers, one head per {@link BenchSettings#HEAD_WIDTH},
     * no dropout, and positions for {@code s.seqLength() + extraPositions} tokens.
     */
    static ModelGraph transformerClassifier(BenchSettings s, int extraPositions, long seed) {
        long hidden = s.transformerHidden();
        return textClassifier(TransformerEncoder.builder()
                        .name("encoder")
                        .vocab(VOCAB)
                        .hidden(hidden)
                        .layers(s.transformerLayers())
                        .heads(hidden / BenchSettings.HEAD_WIDTH)
                        .maxPositions(s.seqLength() + extraPositions)
                        .dropout(0f)
                        .build(),
                hidden, seed);
    }

    /** Indices {@code from .. from+count-1}. */
    static int[] range(int from, int count) {
        int[] idx = new int[count];
        for (int i = 0; i < count; i++) {
            idx[i] = from + i;
        }
        return idx;
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; one value per call keeps the stream simple
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
