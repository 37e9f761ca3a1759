package dev.floe.onnx;

import java.util.List;

/**
 * One operator of an ONNX graph ({@code NodeProto}); attributes are not read.
 *
 * @param name node name (may be empty)
 * @param opType operator, e.g. {@code MatMul}, {@code Add}, {@code Gemm}
 * @param inputs names of the values it reads, in order (an empty name is an omitted optional input)
 * @param outputs names of the values it produces, in order
 */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs) {

    /**
     * Copies the lists.
     *
     * @param name node name (may be empty)
     * @param opType operator, e.g. {@code MatMul}, {@code Add}, {@code Gemm}
     * @param inputs names of the values it reads, in order (an empty name is an omitted optional
     *     input)
     * @param outputs names of the values it produces, in order
     * @throws IllegalArgumentException if the name or operator is null
     */
    public OnnxNode {
        if (name == null || opType == null) {
            throw new IllegalArgumentException("an ONNX node needs a name (may be empty) and an op type");
        }
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
