package dev.floe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.engine.FloeEngine;
import dev.floe.graph.Component;
import dev.floe.graph.Dim;
import dev.floe.graph.ModelGraph;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * How many bytes each segment of a graph keeps for the backward pass of one training batch, with and
 * without gradient checkpointing: measured by running one training-mode forward pass on an all-zero
 * batch and counting the native bytes each segment leaves alive (Floe's own count, as
 * {@link Trainer#peakForwardBytes()}: views are counted at their own size). The model is not changed:
 * BatchNorm running statistics are left as they are.
 *
 * @param rows one per component, each followed by its checkpointable layers
 * @param totalBytes what the whole forward pass keeps without checkpointing
 * @param totalKeptBytes what it keeps with the given checkpointing
 */
public record ActivationEstimate(List<Row> rows, long totalBytes, long totalKeptBytes) {

    /**
     * One component ({@code encoder}) or layer ({@code encoder/layer.3}).
     *
     * @param path the segment path
     * @param checkpointed whether this segment is a checkpointed unit
     * @param bytes what it keeps without checkpointing
     * @param keptBytes what it keeps with the given checkpointing: its output and one byte per dropout
     *     element when checkpointed, 0 inside a checkpointed component, {@code bytes} otherwise (for a
     *     component: less what its checkpointed layers save)
     */
    public record Row(String path, boolean checkpointed, long bytes, long keptBytes) {}

    /**
     * Copies the rows.
     *
     * @param rows one per component, each followed by its checkpointable layers
     * @param totalBytes what the whole forward pass keeps without checkpointing
     * @param totalKeptBytes what it keeps with the given checkpointing
     */
    public ActivationEstimate {
        rows = List.copyOf(rows);
    }

    /**
     * Measures one training batch.
     *
     * @param graph the model; its parameters are read, not changed
     * @param training which modules run in training mode (a freeze plan's {@code trainingContext()})
     * @param checkpointing the segments checkpointed
     * @param dims sizes of the symbolic dimensions of the graph inputs, e.g. {@code {batch: 64}}
     * @return the rows in execution order
     * @throws IllegalArgumentException naming the input and dimension when a symbolic dimension has no size
     */
    public static ActivationEstimate measure(ModelGraph graph, ForwardContext training,
            GradientCheckpointing checkpointing, Map<String, Long> dims) {
        try (NDManager batch = graph.manager().newSubManager()) {
            Map<String, NDArray> inputs = new LinkedHashMap<>();
            for (Map.Entry<String, TensorSpec> in : graph.inputs().entrySet()) {
                List<Long> shape = new ArrayList<>();
                for (Dim d : in.getValue().dims()) {
                    if (d instanceof Dim.Fixed f) {
                        shape.add(f.size());
                    } else {
                        String name = ((Dim.Symbolic) d).name();
                        Long size = dims.get(name);
                        if (size == null) {
                            throw new IllegalArgumentException("graph input " + in.getKey() + " " + in.getValue()
                                    + ": dimension " + name + " has no size; sizes are given for " + dims.keySet());
                        }
                        shape.add(size);
                    }
                }
                inputs.put(in.getKey(), batch.zeros(new Shape(shape.stream().mapToLong(Long::longValue).toArray()),
                        in.getValue().type().toDataType()));
            }
            Measuring context = new Measuring(training, batch);
            graph.forward(inputs, context);
            return context.estimate(graph, checkpointing);
        }
    }

    /**
     * Total bytes as MiB with one decimal, for tables.
     *
     * @param bytes a byte count
     * @return the count in MiB, e.g. {@code 12.5 MiB}
     */
    public static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** A forward context that records, per segment, the bytes it leaves alive, its outputs and its dropout elements. */
    private static final class Measuring extends DelegatingContext {
        private final NDManager batch;
        private final Map<String, long[]> measured = new LinkedHashMap<>(); // path -> {bytes, output bytes, dropout elements}
        private final Deque<long[]> open = new ArrayDeque<>();

        Measuring(ForwardContext base, NDManager batch) {
            super(base);
            this.batch = batch;
        }

        @Override
        public Map<String, NDArray> segment(String path, Map<String, NDArray> inputs, UnaryOperator<Map<String, NDArray>> body) {
            long[] m = new long[3];
            open.push(m);
            long before = FloeEngine.liveBytes(batch);
            Map<String, NDArray> out;
            try {
                out = body.apply(inputs);
            } finally {
                open.pop();
            }
            m[0] = FloeEngine.liveBytes(batch) - before;
            for (NDArray a : out.values()) {
                m[1] += a.getShape().size() * a.getDataType().getNumOfBytes();
            }
            measured.put(path, m);
            return out;
        }

        @Override
        public NDArray dropout(String path, NDArray input, float rate) {
            for (long[] m : open) {
                m[2] += input.getShape().size();
            }
            return super.dropout(path, input, rate);
        }

        @Override
        public boolean updatesRunningStatistics() {
            return false;
        }

        ActivationEstimate estimate(ModelGraph graph, GradientCheckpointing ckpt) {
            List<Row> rows = new ArrayList<>();
            long total = 0;
            long kept = 0;
            for (Component c : graph.components()) {
                long[] cm = measured.get(c.name());
                if (cm == null) {
                    continue; // not needed for the outputs
                }
                boolean unit = ckpt.segments().contains(c.name());
                long componentKept = unit ? cm[1] + cm[2] : cm[0];
                List<Row> layers = new ArrayList<>();
                for (String child : c.checkpointSegments()) {
                    String path = c.name() + "/" + child;
                    long[] m = measured.get(path);
                    if (m == null) {
                        continue; // not run
                    }
                    boolean checkpointed = ckpt.segments().contains(path);
                    long layerKept = unit ? 0 : checkpointed ? m[1] + m[2] : m[0];
                    if (!unit && checkpointed) {
                        componentKept -= m[0] - layerKept;
                    }
                    layers.add(new Row(path, checkpointed, m[0], layerKept));
                }
                rows.add(new Row(c.name(), unit, cm[0], componentKept));
                rows.addAll(layers);
                total += cm[0];
                kept += componentKept;
            }
            return new ActivationEstimate(rows, total, kept);
        }
    }
}
