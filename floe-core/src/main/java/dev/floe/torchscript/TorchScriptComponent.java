package dev.floe.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.floe.engine.FloeEngine;
import dev.floe.graph.Component;
import dev.floe.graph.Dim;
import dev.floe.graph.PortSpec;
import dev.floe.graph.Role;
import dev.floe.graph.TensorSpec;
import dev.floe.nn.ForwardContext;
import dev.floe.nn.Init;
import dev.floe.nn.Param;
import dev.floe.nn.ParamKind;
import dev.floe.nn.ParamScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A component that runs a TorchScript module (saved in Python with {@code torch.jit.script(m).save(path)}
 * or {@code torch.jit.trace(m, x).save(path)}) behind ports the user declares.
 *
 * <pre>{@code
 * TorchScriptComponent encoder = TorchScriptComponent.builder()
 *         .name("ts").role(Role.ENCODER).file(Path.of("mlp.pt"))
 *         .input("x", "[batch, 8]").output("y", "[batch, 3]")
 *         .build();
 * }</pre>
 *
 * <p><b>Parameters.</b> Every parameter of the module ({@code named_parameters()} in Python) becomes
 * a Floe {@link Param} at {@code <component>/<torchscript name>} with the dots kept, e.g.
 * {@code ts/encoder.0.weight}, so freeze rules select them by glob ({@code ts/encoder.0*}). The
 * {@code Param}'s array <em>is</em> the module's tensor (one libtorch tensor, shared): freezing a
 * {@code Param} stops that tensor's gradient, optimizer steps and {@link Param#load} change what
 * the module computes with. Kinds come from the name: a name ending in {@code bias} is
 * {@link ParamKind#BIAS}, a one-dimensional {@code weight} is {@link ParamKind#NORM_SCALE} (layer or
 * batch norm), everything else {@link ParamKind#WEIGHT}. Module buffers (BatchNorm running
 * statistics) stay inside the module: they are not Floe parameters and are not in checkpoints.
 *
 * <p><b>Ports.</b> Inputs are passed to the module's {@code forward} positionally in declaration
 * order; its result (a tensor or a tuple of tensors) fills the outputs in declaration order.
 * {@link Builder#build()} runs the module once on a probe input (fixed dimensions as declared,
 * symbolic ones of size {@value #PROBE_SIZE}, all ones) and checks the result against the declared
 * outputs, so a wrong declaration fails at build time and names the file.
 *
 * <p><b>Modes.</b> The module runs in training mode ({@code module.train()}) only when the forward
 * context says this component trains, i.e. some parameter of it is trainable; a fully frozen
 * module runs in eval mode (dropout off, norm layers on running statistics). Gradients flow
 * through the module whenever autograd records, also when it is frozen, so components before it
 * can train.
 *
 * <p><b>Memory.</b> {@link Builder#build()} loads the module into native memory; building a
 * {@code ModelGraph} with the component hands the module to the graph, and closing the graph frees
 * it. A component never added to a graph keeps its module until the JVM exits. A component belongs
 * to at most one graph.
 */
public final class TorchScriptComponent extends Component {

    /** Size given to symbolic dimensions of the probe input. */
    public static final long PROBE_SIZE = 2;

    private static final Pattern PARAM_NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");
    private static final Init UNUSED_INIT = new Init.Zeros();
    private static final Pattern PYTHON_ERROR = Pattern.compile("[A-Za-z]*(Error|Exception): ");

    private final Path file;
    private final PtNDManager owner; // owns the module; handed to the graph's manager in initialize
    private final PtSymbolBlock module;
    private final Map<String, Shape> parameterShapes;
    private NDList moduleParams; // the module's own parameter handles until initialize takes them
    private boolean trainMode; // the module's current mode; torch.jit.load leaves it in eval mode

    private TorchScriptComponent(Builder b) {
        super(b.name, b.role, b.inputs, b.outputs);
        this.file = b.file;
        checkFile(file, b.name);
        PtNDManager manager = (PtNDManager) FloeEngine.newManager();
        manager.setName("torchscript:" + b.name);
        try {
            this.module = load(manager, file);
            this.moduleParams = JniUtils.moduleGetParams(module, manager);
            Map<String, Shape> shapes = new LinkedHashMap<>();
            for (NDArray p : moduleParams) {
                checkParameter(p);
                shapes.put(p.getName(), p.getShape());
            }
            this.parameterShapes = Collections.unmodifiableMap(shapes);
            this.owner = manager;
            if (b.probe) {
                probe();
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A new builder; name, file, at least one input and one output are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The TorchScript file the module was loaded from.
     *
     * @return the file path
     */
    public Path file() {
        return file;
    }

    /**
     * The module's parameters as TorchScript names them ({@code encoder.0.weight}) with their
     * shapes, in the module's order. Their Floe paths are {@code name() + "/" + key}.
     *
     * @return an unmodifiable map from TorchScript name to shape
     */
    public Map<String, Shape> torchScriptParameters() {
        return parameterShapes;
    }

    private static void checkFile(Path file, String component) {
        if (!Files.exists(file)) {
            throw new TorchScriptException(file, "no such file; component " + component
                    + " needs a module saved with torch.jit.save (scripted or traced) — check the path");
        }
        if (!Files.isRegularFile(file)) {
            throw new TorchScriptException(file, "is not a regular file; component " + component
                    + " needs the .pt file written by torch.jit.save, not a folder");
        }
        if (!Files.isReadable(file)) {
            throw new TorchScriptException(file, "cannot be read; check its permissions");
        }
    }

    static PtSymbolBlock load(PtNDManager manager, Path file) {
        try {
            // trainParam=true: load outside inference mode, so the parameters can take gradients
            return JniUtils.loadModule(manager, file, true, new String[0], new String[0], true);
        } catch (RuntimeException e) {
            throw new TorchScriptException(file, "is not a loadable TorchScript archive (libtorch says: "
                    + errorLine(e.getMessage()) + "); the file may be truncated or corrupted, or not written by"
                    + " torch.jit.save — save the module again with torch.jit.script(m).save(path) or"
                    + " torch.jit.trace(m, example).save(path)", e);
        }
    }

    private void checkParameter(NDArray p) {
        String name = p.getName();
        if (name == null || !PARAM_NAME.matcher(name).matches()) {
            throw new TorchScriptException(file, "parameter '" + name + "' has a name Floe cannot use as a path"
                    + " segment (letters, digits, '_', '.', '-'); rename the submodule before saving");
        }
        if (p.getDataType() != DataType.FLOAT32) {
            throw new TorchScriptException(file, "parameter " + name + " is " + p.getDataType()
                    + " but Floe trains float32 parameters only; call module.float() before saving");
        }
    }

    /** Runs the module once on ones of the declared input shapes and checks the declared outputs. */
    private void probe() {
        try (NDManager scope = owner.newSubManager()) {
            NDList args = new NDList();
            List<Shape> shapes = new ArrayList<>();
            for (PortSpec in : inputs()) {
                Shape shape = probeShape(in.spec());
                shapes.add(shape);
                args.add(scope.ones(shape, in.spec().type().toDataType()));
            }
            NDList out;
            try {
                out = run(args, false);
            } catch (RuntimeException e) {
                throw new TorchScriptException(file, "the module failed on a probe input of shape " + shapes
                        + " built from the declared inputs " + inputs() + " (libtorch says: " + errorLine(e.getMessage())
                        + "); declare the inputs the module's forward takes, in order", e);
            }
            if (out.size() != outputs().size()) {
                throw new TorchScriptException(file, "the module returns " + out.size() + " tensor(s) but component "
                        + name() + " declares " + outputs().size() + " output(s) " + outputs()
                        + "; declare one output per returned tensor, in order");
            }
            for (int i = 0; i < out.size(); i++) {
                PortSpec port = outputs().get(i);
                Optional<String> bad = port.spec().check(out.get(i));
                if (bad.isPresent()) {
                    throw new TorchScriptException(file, "output " + name() + "." + port.name() + ": the module gives "
                            + out.get(i).getShape() + " " + out.get(i).getDataType() + " for probe input " + shapes
                            + " but " + port.spec() + " is declared (" + bad.get() + "); fix the output declaration");
                }
            }
        }
    }

    private static Shape probeShape(TensorSpec spec) {
        long[] dims = new long[spec.rank()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = spec.dims().get(i) instanceof Dim.Fixed f ? f.size() : PROBE_SIZE;
        }
        return new Shape(dims);
    }

    /**
     * Makes one Floe parameter per module parameter and lets it hold the module's own tensor, then
     * hands the module to the graph's manager.
     */
    @Override
    protected void initialize(ParamScope scope) {
        boolean handedOver = false;
        for (NDArray source : moduleParams) {
            Param param = scope.create(source.getName(), kindOf(source), source.getShape(), UNUSED_INIT);
            PtNDArray target = (PtNDArray) param.array();
            if (!handedOver) {
                // from here the graph frees the module, also if building the graph fails later
                target.getManager().attachInternal("torchscript-" + UUID.randomUUID(), owner);
                handedOver = true;
            }
            // the Param's array takes over the handle of the module's tensor (the placeholder is
            // freed); from now on optimizer updates and loads write the tensor the module uses
            target.intern(source);
            // a new Param is frozen until a plan says otherwise; make the tensor agree
            target.setRequiresGradient(false);
        }
        moduleParams = null;
    }

    static ParamKind kindOf(NDArray p) {
        String name = p.getName();
        if (name.endsWith("bias")) {
            return ParamKind.BIAS;
        }
        if (name.endsWith("weight") && p.getShape().dimension() == 1) {
            return ParamKind.NORM_SCALE;
        }
        return ParamKind.WEIGHT;
    }

    @Override
    public Map<String, NDArray> forward(ForwardContext context, Map<String, NDArray> in) {
        NDList args = new NDList(inputs().size());
        for (PortSpec port : inputs()) {
            args.add(in.get(port.name()));
        }
        NDList out = run(args, context.training(name()));
        if (out.size() != outputs().size()) {
            throw new IllegalStateException("component " + name() + " (" + file + "): the module returned "
                    + out.size() + " tensor(s) but " + outputs().size() + " output(s) are declared; declare one output"
                    + " per returned tensor, in order (keep probe(true) to catch this when the component is built)");
        }
        Map<String, NDArray> result = new LinkedHashMap<>();
        for (int i = 0; i < out.size(); i++) {
            result.put(outputs().get(i).name(), out.get(i));
        }
        return result;
    }

    private NDList run(NDList args, boolean training) {
        if (training != trainMode) {
            if (training) {
                JniUtils.enableTrainingMode(module);
            } else {
                JniUtils.enableInferenceMode(module);
            }
            trainMode = training;
        }
        NDList plain = new NDList(args.size());
        for (NDArray a : args) {
            // DJL reads structure (dicts, lists, tuples) into input names; pass nameless views
            plain.add(a.getName() == null ? a : a.reshape(a.getShape()));
        }
        // 'true' only means "do not switch autograd off": gradients are recorded exactly when a
        // GradientCollector is open, as for every other component
        return IValueUtils.forward(module, plain, true);
    }

    /**
     * The informative line of a libtorch error: the last {@code XxxError: ...} line of a TorchScript
     * interpreter trace, else the first line (c10 errors put the stack after it).
     */
    static String errorLine(String message) {
        if (message == null || message.isBlank()) {
            return "no message";
        }
        List<String> lines = message.strip().lines().map(String::strip).toList();
        String error = null;
        for (String line : lines) {
            if (PYTHON_ERROR.matcher(line).lookingAt()) {
                error = line;
            }
        }
        return error != null ? error : lines.get(0);
    }

    /** Declares a TorchScript component; {@link #build()} loads and checks the module. */
    public static final class Builder {
        private String name;
        private Role role = Role.ENCODER;
        private Path file;
        private final List<PortSpec> inputs = new ArrayList<>();
        private final List<PortSpec> outputs = new ArrayList<>();
        private boolean probe = true;

        private Builder() {}

        /**
         * The component name (required), the first segment of its parameter paths.
         *
         * @param name the component name
         * @return this builder
         */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * Its role (default {@link Role#ENCODER}).
         *
         * @param role the role
         * @return this builder
         */
        public Builder role(Role role) {
            if (role == null) {
                throw new IllegalArgumentException("role is null; pass one of " + List.of(Role.values()));
            }
            this.role = role;
            return this;
        }

        /**
         * The {@code .pt} file written by {@code torch.jit.save} (required).
         *
         * @param file the {@code .pt} file
         * @return this builder
         */
        public Builder file(Path file) {
            this.file = file;
            return this;
        }

        /**
         * Adds the next positional argument of the module's forward, e.g.
         * {@code input("x", "[batch, 8]")}.
         *
         * @param port the port name
         * @param shape the shape, e.g. {@code [batch, 8]}, float32
         * @return this builder
         */
        public Builder input(String port, String shape) {
            return input(PortSpec.of(port, shape));
        }

        /**
         * Adds the next positional argument of the module's forward.
         *
         * @param port the port; must be required
         * @return this builder
         * @throws IllegalArgumentException if the port is optional: positional arguments cannot be left out
         */
        public Builder input(PortSpec port) {
            if (!port.required()) {
                throw new IllegalArgumentException("input " + port.name() + " is optional, but a TorchScript forward"
                        + " takes its arguments by position; declare it required");
            }
            inputs.add(port);
            return this;
        }

        /**
         * Adds the next tensor the module returns, e.g. {@code output("y", "[batch, 3]")}.
         *
         * @param port the port name
         * @param shape the shape, e.g. {@code [batch, 3]}, float32
         * @return this builder
         */
        public Builder output(String port, String shape) {
            return output(PortSpec.of(port, shape));
        }

        /**
         * Adds the next tensor the module returns.
         *
         * @param port the port
         * @return this builder
         */
        public Builder output(PortSpec port) {
            outputs.add(port);
            return this;
        }

        /**
         * Whether {@link #build()} runs the module once to check the declared outputs (default
         * true). Turn it off for modules that cannot run on an all-ones input.
         *
         * @param probe whether to run the probe
         * @return this builder
         */
        public Builder probe(boolean probe) {
            this.probe = probe;
            return this;
        }

        /**
         * Loads the module and checks it against the declaration.
         *
         * @return the component; its module is freed when the graph it is added to is closed
         * @throws IllegalArgumentException if the name, file, inputs or outputs are missing or invalid
         * @throws TorchScriptException naming the file if it is missing, unreadable, not a TorchScript
         *     archive (e.g. truncated), has a non-float32 parameter, or does not fit the declared ports;
         *     nothing stays loaded then
         */
        public TorchScriptComponent build() {
            if (name == null) {
                throw new IllegalArgumentException("a TorchScript component needs a name; call name(...)");
            }
            if (file == null) {
                throw new IllegalArgumentException("TorchScript component " + name + " needs a file; call file(path)");
            }
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("TorchScript component " + name
                        + " declares no input; call input(port, shape) once per argument of the module's forward");
            }
            if (outputs.isEmpty()) {
                throw new IllegalArgumentException("TorchScript component " + name
                        + " declares no output; call output(port, shape) once per tensor the module's forward returns");
            }
            return new TorchScriptComponent(this);
        }
    }
}
