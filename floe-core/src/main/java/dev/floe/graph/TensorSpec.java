package dev.floe.graph;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Shape and element type of a tensor crossing a port, e.g. {@code [batch, 1, 28, 28] float32}.
 *
 * @param dims dimensions, outermost first
 * @param type element type
 */
public record TensorSpec(List<Dim> dims, ElementType type) {

    /**
     * Copies the dimensions and checks them.
     *
     * @param dims dimensions, outermost first
     * @param type element type
     * @throws IllegalArgumentException if there are no dimensions or no element type
     */
    public TensorSpec {
        if (dims == null || dims.isEmpty()) {
            throw new IllegalArgumentException("a tensor spec needs at least one dimension");
        }
        if (type == null) {
            throw new IllegalArgumentException("a tensor spec needs an element type");
        }
        dims = List.copyOf(dims);
    }

    /**
     * Parses {@code "[batch, 128]"} as a float32 spec.
     *
     * @param shape the shape, e.g. {@code [batch, 128]}
     * @return the spec
     */
    public static TensorSpec of(String shape) {
        return of(shape, ElementType.FLOAT32);
    }

    /**
     * Parses {@code "[batch, seq]"} with the given element type.
     *
     * @param shape the shape, e.g. {@code [batch, seq]}
     * @param type the element type
     * @return the spec
     */
    public static TensorSpec of(String shape, ElementType type) {
        String s = shape.trim();
        if (!s.startsWith("[") || !s.endsWith("]")) {
            throw new IllegalArgumentException(
                    "tensor shape '" + shape + "' must be written in brackets, e.g. [batch, 128]");
        }
        List<Dim> dims = new ArrayList<>();
        for (String part : s.substring(1, s.length() - 1).split(",")) {
            dims.add(Dim.parse(part));
        }
        return new TensorSpec(dims, type);
    }

    /**
     * Number of dimensions.
     *
     * @return the number of dimensions
     */
    public int rank() {
        return dims.size();
    }

    /**
     * The size of the last dimension if fixed.
     *
     * @return the last dimension's size, or empty when it is symbolic
     */
    public Optional<Long> lastSize() {
        return dims.get(dims.size() - 1) instanceof Dim.Fixed f ? Optional.of(f.size()) : Optional.empty();
    }

    /**
     * Whether a tensor of spec {@code produced} may flow into a port declaring this spec.
     * Fixed dimensions must be equal; a symbolic dimension here accepts anything, but one symbol
     * must bind to the same thing everywhere in the spec; a symbolic dimension produced never
     * satisfies a fixed one here.
     *
     * @param produced the spec of the value offered to this port
     * @return empty when compatible, else a short reason
     */
    public Optional<String> acceptFrom(TensorSpec produced) {
        if (produced.type != type) {
            return Optional.of("dtype " + produced.type + " where " + type + " is expected");
        }
        if (produced.rank() != rank()) {
            return Optional.of("rank " + produced.rank() + " where rank " + rank() + " is expected");
        }
        Map<String, Dim> bound = new HashMap<>();
        for (int i = 0; i < rank(); i++) {
            Dim want = dims.get(i);
            Dim got = produced.dims.get(i);
            if (want instanceof Dim.Fixed) {
                if (!want.equals(got)) {
                    return Optional.of("dimension " + i + " is " + got + " where " + want + " is expected");
                }
            } else {
                Dim.Symbolic sym = (Dim.Symbolic) want;
                Dim prior = bound.putIfAbsent(sym.name(), got);
                if (prior != null && !prior.equals(got)) {
                    return Optional.of("symbol " + sym.name() + " is both " + prior + " and " + got);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Checks a concrete array against this spec.
     *
     * @param array the array to check
     * @return empty when it fits, else a short reason
     */
    public Optional<String> check(NDArray array) {
        long[] shape = array.getShape().getShape();
        ElementType actual;
        try {
            actual = ElementType.of(array.getDataType());
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
        if (actual != type) {
            return Optional.of("dtype " + actual + " where " + type + " is expected");
        }
        if (shape.length != rank()) {
            return Optional.of("shape " + array.getShape() + " has rank " + shape.length + " where " + this + " is expected");
        }
        Map<String, Long> bound = new HashMap<>();
        for (int i = 0; i < shape.length; i++) {
            Dim want = dims.get(i);
            if (want instanceof Dim.Fixed f && f.size() != shape[i]) {
                return Optional.of("shape " + array.getShape() + " where " + this + " is expected");
            }
            if (want instanceof Dim.Symbolic s) {
                Long prior = bound.putIfAbsent(s.name(), shape[i]);
                if (prior != null && prior != shape[i]) {
                    return Optional.of("shape " + array.getShape() + " binds " + s.name() + " to both " + prior + " and " + shape[i]);
                }
            }
        }
        return Optional.empty();
    }

    /** {@code [batch, 128]}, with the type appended when it is not float32. */
    @Override
    public String toString() {
        String shape = dims.stream().map(Object::toString).collect(Collectors.joining(", ", "[", "]"));
        return type == ElementType.FLOAT32 ? shape : shape + " " + type;
    }
}
