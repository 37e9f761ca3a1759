package dev.floe.cli;

import dev.floe.config.ExperimentConfig;
import dev.floe.graph.ModelGraph;
import dev.floe.io.Safetensors;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraMerge;
import dev.floe.peft.PeftFormat;
import dev.floe.peft.PeftIo;
import dev.floe.run.Experiment;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code floe peft merge --config CONFIG --in A --in B --weights 0.7,0.3 [--method linear|svd --rank R]
 * --out FILE}: a weighted merge of LoRA adapters into a new one ({@link LoraMerge}), written as a
 * Floe adapter file ({@link PeftIo}) or, with {@code --format peft}, a PEFT adapter folder.
 *
 * <p>Each {@code --in} is a Floe adapter file (as {@code floe peft import} writes) or a PEFT adapter
 * folder (as {@code floe peft export} writes); all are loaded onto the model the config builds.
 * Before anything is built, the files are checked to hold LoRA modules trained on the same base
 * (their base hashes) and attached to the same layers; after loading, every source must sit on the
 * same layers. The relative Frobenius reconstruction error {@code ‖ΔW − ΔW_merged‖_F / ‖ΔW‖_F} of
 * every layer is printed (float rounding for {@code linear}; the truncation error for {@code svd}).
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge LoRA adapters with weights into a new LoRA adapter: linear (exact, rank = the sources'"
                + " ranks added up) or svd (the best rank-R approximation); prints the reconstruction error per layer.")
final class PeftMergeCommand implements Callable<Integer> {

    /** Names the sources are loaded under in the graph (files may share a module name). */
    private static final String SOURCE_PREFIX = "merge_source_";

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "CONFIG",
            description = "experiment config whose model is the adapters' base (its own peft section is applied first)")
    Path config;

    @Option(names = "--in", required = true, paramLabel = "ADAPTER",
            description = "a Floe LoRA adapter file or a PEFT adapter folder; repeat once per source, in the order of"
                    + " --weights")
    List<Path> ins;

    @Option(names = "--weights", required = true, paramLabel = "W,W,...",
            description = "one finite weight per --in, comma-separated, e.g. 0.7,0.3")
    String weights;

    @Option(names = "--method", paramLabel = "linear|svd", defaultValue = "linear",
            description = "linear: exact, rank = sum of the sources' ranks; svd: best rank-R approximation"
                    + " (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--rank", paramLabel = "R", description = "the merged rank, for --method svd")
    Integer rank;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "merged",
            description = "the merged module's name (default: ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = "the Floe adapter file to write (or, with --format peft, the PEFT adapter folder)")
    Path out;

    @Option(names = "--format", paramLabel = "floe|peft", defaultValue = "floe",
            description = "floe: a Floe adapter file; peft: a PEFT adapter folder (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--component", paramLabel = "NAME", defaultValue = "encoder",
            description = "the encoder component PEFT folders apply to (default: ${DEFAULT-VALUE})")
    String component;

    @Option(names = "--base-model", paramLabel = "ID",
            description = "the encoder's Hugging Face id, for PEFT folders (default for type minilm: "
                    + PeftFormat.MINILM_BASE + ")")
    String baseModel;

    @Option(names = "--force", description = "replace the output if it exists")
    boolean force;

    @Override
    public Integer call() throws IOException {
        List<Double> w = parseWeights();
        boolean svd = checkMethod();
        if (!format.equals("floe") && !format.equals("peft")) {
            throw new IllegalArgumentException("--format is '" + format + "'; expected floe (a Floe adapter file) or"
                    + " peft (a PEFT adapter folder)");
        }
        if (format.equals("peft")) {
            PeftCommand.refuseExisting(out, force);
        } else {
            PeftCommand.refuseExistingFile(out, force);
        }
        checkFiles();
        PrintWriter stdout = spec.commandLine().getOut();
        ExperimentConfig cfg = ExperimentConfig.load(config);
        try (Experiment experiment = PlanCommand.build(cfg, config)) {
            var graph = experiment.graph();
            Map<String, Double> sources = new LinkedHashMap<>();
            String base = null;
            for (int i = 0; i < ins.size(); i++) {
                Path in = ins.get(i);
                String source = SOURCE_PREFIX + (i + 1);
                try {
                    if (Files.isDirectory(in)) {
                        if (base == null) {
                            base = PeftCommand.baseModel(cfg, component, baseModel);
                        }
                        PeftFormat.read(in, graph, component, source, base);
                    } else {
                        PeftIo.load(graph, in, source);
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--in " + in + ": " + e.getMessage(), e);
                }
                sources.put(source, w.get(i));
            }
            checkLayers(graph, new ArrayList<>(sources.keySet()));
            var attached = Lora.attached(graph);
            int total = attached.entrySet().stream().filter(e -> sources.containsKey(e.getKey()))
                    .mapToInt(e -> e.getValue().rank()).sum();
            if (svd && (rank < 1 || rank > total)) {
                throw new IllegalArgumentException("--rank is " + rank + " but the sources' ranks add up to " + total
                        + "; give --rank between 1 and " + total + " (at " + total + ", --method linear is exact)");
            }
            if (attached.containsKey(name)) {
                throw new IllegalArgumentException("--name '" + name + "' is already a LoRA module of the config's model;"
                        + " give another --name");
            }
            LoraMerge.Result r = svd ? LoraMerge.svd(graph, name, sources, rank) : LoraMerge.linear(graph, name, sources);
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("floe.merged_from", String.join(",", ins.stream().map(Path::toString).toList()));
            provenance.put("floe.merge_weights", weights.strip());
            provenance.put("floe.merge_method", svd ? "svd rank " + rank : "linear");
            if (format.equals("peft")) {
                PeftFormat.write(graph, name, out, base != null ? base : PeftCommand.baseModel(cfg, component, baseModel));
            } else {
                PeftIo.save(graph, name, out, provenance);
            }
            stdout.printf(Locale.ROOT, "merged %d LoRA adapters with weights %s by %s into '%s' (rank %d, alpha %s) on"
                            + " %d layers%n", ins.size(), w, svd ? "svd" : "linear", name, r.spec().rank(),
                    r.spec().alpha(), r.relativeError().size());
            stdout.printf(Locale.ROOT, "reconstruction error |dW - dW_merged|_F / |dW|_F: max %.6e%n",
                    r.maxRelativeError());
            r.relativeError().forEach((layer, e) -> stdout.printf(Locale.ROOT, "  %s %.6e%n", layer, e));
            stdout.printf(Locale.ROOT, "wrote %s%n", out);
        }
        stdout.flush();
        return 0;
    }

    private List<Double> parseWeights() {
        List<Double> w = new ArrayList<>();
        for (String part : weights.split(",", -1)) {
            double v;
            try {
                v = Double.parseDouble(part.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--weights " + weights + ": '" + part.strip() + "' is not a number;"
                        + " give one number per --in, comma-separated, e.g. --weights 0.7,0.3");
            }
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("--weights " + weights + ": " + part.strip() + " is not finite;"
                        + " give finite numbers, e.g. --weights 0.7,0.3");
            }
            w.add(v);
        }
        if (w.size() != ins.size()) {
            throw new IllegalArgumentException("--weights lists " + w.size() + " number(s) but --in gives " + ins.size()
                    + " adapter(s); give one weight per --in, in the same order");
        }
        if (ins.size() < 2) {
            throw new IllegalArgumentException("--in gives one adapter; a merge needs at least two (repeat --in)");
        }
        return w;
    }

    private boolean checkMethod() {
        boolean svd = switch (method) {
            case "linear" -> false;
            case "svd" -> true;
            default -> throw new IllegalArgumentException("--method is '" + method + "'; expected linear (exact) or"
                    + " svd (with --rank R)");
        };
        if (svd && rank == null) {
            throw new IllegalArgumentException("--method svd needs --rank R, the merged rank (e.g. the sources' rank)");
        }
        if (!svd && rank != null) {
            throw new IllegalArgumentException("--rank applies to --method svd; linear keeps every source's rank (their"
                    + " sum) and is exact — drop --rank or add --method svd");
        }
        return svd;
    }

    /** The Floe adapter files among the inputs hold LoRA modules of one base, on the same layers. */
    private void checkFiles() throws IOException {
        Path first = null;
        Map<String, String> firstMeta = null;
        for (Path in : ins) {
            if (!Files.exists(in)) {
                throw new IllegalArgumentException("--in " + in + " does not exist; give a Floe adapter file or a PEFT"
                        + " adapter folder");
            }
            if (Files.isDirectory(in)) {
                continue;
            }
            Map<String, String> meta = Safetensors.readHeader(in).metadata();
            String kind = meta.get("peft.kind");
            if (!PeftIo.FORMAT.equals(meta.get(PeftIo.FORMAT_KEY)) && kind == null) {
                throw new IllegalArgumentException("--in " + in + " is not a Floe adapter file (no " + PeftIo.FORMAT_KEY
                        + "); give a file written by floe peft import or PeftIo.save, or a PEFT adapter folder");
            }
            if (!"lora".equals(kind)) {
                String article = kind != null && "aeiou".indexOf(Character.toLowerCase(kind.charAt(0))) >= 0 ? "an " : "a ";
                throw new IllegalArgumentException("--in " + in + " holds " + article + kind + " module '"
                        + meta.get("peft.name") + "'; only LoRA adapters merge — leave it out");
            }
            if (first == null) {
                first = in;
                firstMeta = meta;
                continue;
            }
            if (!Objects.equals(meta.get("peft.base_hash"), firstMeta.get("peft.base_hash"))) {
                throw new IllegalArgumentException("--in " + first + " was trained on base " + firstMeta.get("peft.base_hash")
                        + " but --in " + in + " on base " + meta.get("peft.base_hash") + "; merge only adapters trained"
                        + " on the same base model weights");
            }
            if (!Objects.equals(meta.get("peft.layers"), firstMeta.get("peft.layers"))) {
                throw new IllegalArgumentException("--in " + first + " targets '" + firstMeta.get("peft.target") + "' ("
                        + firstMeta.get("peft.layers") + ") but --in " + in + " targets '" + meta.get("peft.target")
                        + "' (" + meta.get("peft.layers") + "); merge only adapters on the same layers — train them"
                        + " with the same target");
            }
        }
    }

    /** After loading (PEFT folders included), every source sits on the first one's layers. */
    private void checkLayers(ModelGraph graph, List<String> sources) {
        List<String> layers = Lora.layers(graph, sources.get(0));
        for (int i = 1; i < sources.size(); i++) {
            List<String> theirs = Lora.layers(graph, sources.get(i));
            if (!theirs.equals(layers)) {
                throw new IllegalArgumentException("--in " + ins.get(0) + " is on layers " + layers + " but --in "
                        + ins.get(i) + " on " + theirs + "; merge only adapters on the same layers — train them with"
                        + " the same target");
            }
        }
    }
}
