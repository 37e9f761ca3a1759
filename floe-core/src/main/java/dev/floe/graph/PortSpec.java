package dev.floe.graph;

import java.util.regex.Pattern;

/**
 * A named input or output of a component.
 *
 * @param name port name, unique among the component's inputs (or outputs)
 * @param spec the tensor contract
 * @param required for inputs: whether {@code build()} insists that something is wired to it
 */
public record PortSpec(String name, TensorSpec spec, boolean required) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /**
     * Checks the name and spec.
     *
     * @param name port name, unique among the component's inputs (or outputs)
     * @param spec the tensor contract
     * @param required for inputs: whether {@code build()} insists that something is wired to it
     * @throws IllegalArgumentException if the name is not an identifier or the spec is null
     */
    public PortSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "port name '" + name + "' is not an identifier; use letters, digits and '_'");
        }
        if (spec == null) {
            throw new IllegalArgumentException("port " + name + " needs a tensor spec");
        }
    }

    /**
     * A required port.
     *
     * @param name the port name
     * @param shape the shape, e.g. {@code [batch, 128]}, element type float32
     * @return a required port
     */
    public static PortSpec of(String name, String shape) {
        return new PortSpec(name, TensorSpec.of(shape), true);
    }

    /**
     * A required port.
     *
     * @param name the port name
     * @param spec the tensor contract
     * @return a required port
     */
    public static PortSpec of(String name, TensorSpec spec) {
        return new PortSpec(name, spec, true);
    }

    @Override
    public String toString() {
        return name + " " + spec;
    }
}
