package dev.floe.cli;

import dev.floe.config.ComponentConfig;
import dev.floe.config.ExperimentConfig;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import dev.floe.peft.PeftFormat;
import dev.floe.peft.PeftIo;
import dev.floe.run.Experiment;
import dev.floe.run.TrainedRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe peft export|import}: LoRA modules on a BERT-style encoder as Hugging Face PEFT adapter
 * folders ({@code adapter_config.json} and {@code adapter_model.safetensors}), see {@link PeftFormat};
 * {@code floe peft merge}: a weighted merge of LoRA adapters ({@link PeftMergeCommand});
 * {@code floe peft save}: a run's modules and compositions as adapter-only files ({@link PeftSaveCommand}).
 */
@Command(
        name = "peft",
        mixinStandardHelpOptions = true,
        description = "Exchange LoRA adapters with Hugging Face PEFT: export a run's LoRA module as a PEFT adapter"
                + " folder, import a PEFT adapter folder onto a config's encoder, merge LoRA adapters with weights, or save a run's"
                + " modules as adapter-only files.",
        subcommands = {PeftCommand.Export.class, PeftCommand.Import.class, PeftMergeCommand.class,
                PeftSaveCommand.class})
final class PeftCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The Hugging Face id of the model a config's encoder component holds: the option when given,
     * else {@value PeftFormat#MINILM_BASE} for {@code type: minilm}.
     *
     * @throws IllegalArgumentException when the component is not a BERT-style encoder of the config,
     *     or is a {@code transformer} and no option names its base
     */
    static String baseModel(ExperimentConfig config, String component, String option) {
        ComponentConfig c = config.model().components().stream().filter(x -> x.name().equals(component)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the config has no component '" + component
                        + "'; its components are " + config.model().components().stream().map(ComponentConfig::name)
                        .toList() + "; name the encoder with --component"));
        if (option != null) {
            return option;
        }
        if (c instanceof ComponentConfig.MiniLm) {
            return PeftFormat.MINILM_BASE;
        }
        throw new IllegalArgumentException("component '" + component + "' is not type minilm, so Floe does not know"
                + " its Hugging Face id; give it with --base-model (e.g. --base-model bert-base-uncased)");
    }

    /** {@code floe peft export RUN_DIR --out FOLDER [--lora NAME] [--base-model ID] [--force]}. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a finished run's LoRA module as a PEFT adapter folder (adapter_config.json,"
                    + " adapter_model.safetensors) that PeftModel.from_pretrained loads. Only the LoRA factors are"
                    + " exported: not the head, nor encoder weights the policy trained.")
    static final class Export implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of a finished floe train run")
        Path run;

        @Option(names = "--out", required = true, paramLabel = "FOLDER", description = "the adapter folder to write")
        Path out;

        @Option(names = "--lora", paramLabel = "NAME", description = "the LoRA module (default: the run's only one)")
        String lora;

        @Option(names = "--base-model", paramLabel = "ID",
                description = "base_model_name_or_path to record (default for type minilm: " + PeftFormat.MINILM_BASE + ")")
        String baseModel;

        @Option(names = "--force", description = "replace the adapter files in an existing folder")
        boolean force;

        @Override
        public Integer call() throws IOException {
            refuseExisting(out, force);
            PrintWriter stdout = spec.commandLine().getOut();
            try (TrainedRun trained = TrainedRun.open(run)) {
                Map<String, LoraSpec> attached = Lora.attached(trained.graph());
                String name = lora;
                if (name == null) {
                    if (attached.size() != 1) {
                        throw new IllegalArgumentException("run " + run + " has " + (attached.isEmpty() ? "no LoRA module"
                                : "LoRA modules " + attached.keySet()) + (attached.isEmpty()
                                        ? "; only LoRA modules export to the PEFT format" : "; choose one with --lora NAME"));
                    }
                    name = attached.keySet().iterator().next();
                } else if (!attached.containsKey(name)) {
                    throw new IllegalArgumentException("run " + run + " has no LoRA module '" + name + "'; it has "
                            + attached.keySet() + "; give one of them with --lora");
                }
                String component = Lora.layers(trained.graph(), name).get(0).split("/")[0];
                String base = baseModel(trained.config(), component, baseModel);
                PeftFormat.write(trained.graph(), name, out, base);
                LoraSpec s = attached.get(name);
                stdout.printf(Locale.ROOT, "wrote %s: LoRA '%s' (r %d, lora_alpha %s) on %d layers of %s, base %s%n",
                        out, name, s.rank(), s.alpha(), Lora.layers(trained.graph(), name).size(), component, base);
            }
            stdout.flush();
            return 0;
        }
    }

    /** {@code floe peft import FOLDER --config CONFIG --out FILE [--name NAME] [--component C] [--base-model ID] [--force]}. */
    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Load a PEFT LoRA adapter folder onto the encoder of the model a config builds, checking"
                    + " keys, shapes and base model, and write it as a Floe adapter file (PeftIo), tied to that"
                    + " encoder's weights.")
    static final class Import implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FOLDER", description = "PEFT adapter folder (adapter_config.json,"
                + " adapter_model.safetensors)")
        Path folder;

        @Option(names = "--config", required = true, paramLabel = "CONFIG",
                description = "experiment config whose model holds the encoder (its own peft section is applied first)")
        Path config;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "the Floe adapter file to write")
        Path out;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "peft",
                description = "name of the LoRA module in Floe (default: ${DEFAULT-VALUE})")
        String name;

        @Option(names = "--component", paramLabel = "NAME", defaultValue = "encoder",
                description = "the encoder component (default: ${DEFAULT-VALUE})")
        String component;

        @Option(names = "--base-model", paramLabel = "ID",
                description = "the encoder's Hugging Face id, compared with base_model_name_or_path (default for type"
                        + " minilm: " + PeftFormat.MINILM_BASE + ")")
        String baseModel;

        @Option(names = "--force", description = "replace FILE if it exists")
        boolean force;

        @Override
        public Integer call() throws IOException {
            refuseExistingFile(out, force);
            PrintWriter stdout = spec.commandLine().getOut();
            ExperimentConfig cfg = ExperimentConfig.load(config);
            String base = baseModel(cfg, component, baseModel);
            try (Experiment experiment = PlanCommand.build(cfg, config)) {
                PeftFormat.Imported imported = PeftFormat.read(folder, experiment.graph(), component, name, base);
                PeftIo.save(experiment.graph(), name, out, Map.of("floe.imported_from", folder.toString()));
                LoraSpec s = imported.spec();
                stdout.printf(Locale.ROOT, "loaded %s: LoRA '%s' (r %d, alpha %s, scale %s, dropout %s) on %d layers"
                                + " matching %s, base %s%nwrote %s%n", folder, name, s.rank(), s.alpha(), s.scale(),
                        s.dropout(), imported.layers().size(), s.target(), imported.baseModel().orElse("not given"), out);
            }
            stdout.flush();
            return 0;
        }
    }

    /** An existing folder that already holds adapter files is replaced only with --force. */
    static void refuseExisting(Path folder, boolean force) throws IOException {
        refuseFileForFolder(folder);
        if (Files.isDirectory(folder) && !force) {
            try (Stream<Path> s = Files.list(folder)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException("--out " + folder + " already exists and is not empty; choose"
                            + " another --out or add --force to replace the adapter files in it");
                }
            }
        }
    }

    /** Refuses an {@code --out} folder path that names an existing file. */
    static void refuseFileForFolder(Path folder) {
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException("--out " + folder + " is a file, expected a folder; choose another path");
        }
    }

    /** An existing {@code --out} file is replaced only with --force. */
    static void refuseExistingFile(Path file, boolean force) {
        if (Files.exists(file) && !force) {
            throw new IllegalArgumentException("--out " + file + " already exists; give another --out, or --force to"
                    + " replace it");
        }
    }
}
