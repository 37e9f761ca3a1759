package dev.floe.cli;

import dev.floe.config.PeftConfig;
import dev.floe.io.Safetensors;
import dev.floe.nn.Param;
import dev.floe.peft.PeftIo;
import dev.floe.run.TrainedRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe peft save RUN_DIR --out DIR [--module NAME]... [--force]}: a finished run's PEFT
 * modules and compositions as adapter-only Floe files ({@link PeftIo}), one {@code DIR/NAME.safetensors}
 * each, every one bound to the hash of the base it was trained on. Everything is checked before the
 * first file is written.
 */
@Command(name = "save", mixinStandardHelpOptions = true,
        description = "Write a finished run's PEFT modules (LoRA, DoRA, IA3, adapters, prompt, prefix) and"
                + " compositions (a fusion's attention weights) as adapter-only files DIR/NAME.safetensors, each"
                + " bound to the hash of the base weights it was trained on.")
final class PeftSaveCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of a finished floe train run")
    Path run;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the folder to write the files into")
    Path out;

    @Option(names = "--module", paramLabel = "NAME",
            description = "a module or composition of the run's peft section; repeatable (default: all of them)")
    List<String> modules = new ArrayList<>();

    @Option(names = "--force", description = "replace files of the same names in DIR")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PeftCommand.refuseFileForFolder(out);
        PrintWriter stdout = spec.commandLine().getOut();
        try (TrainedRun trained = TrainedRun.open(run)) {
            PeftConfig peft = trained.config().peft();
            if (peft == null) {
                throw new IllegalArgumentException("run " + run + " has no peft section, so it has no adapter to save;"
                        + " give the folder of a run whose config declares peft modules");
            }
            List<String> declared = declared(peft);
            List<String> names = modules.isEmpty() ? declared : modules;
            for (String name : names) {
                if (!declared.contains(name)) {
                    throw new IllegalArgumentException("run " + run + " has no peft module or composition '" + name
                            + "'; it has " + declared + "; give one of them with --module");
                }
                Path file = out.resolve(name + ".safetensors");
                if (Files.exists(file) && !force) {
                    throw new IllegalArgumentException(file + " already exists; give another --out, or --force to"
                            + " replace it");
                }
            }
            if (peft.merge()) {
                throw new IllegalArgumentException("run " + run + " was trained with peft.merge: true, so its LoRA,"
                        + " DoRA and IA3 modules are folded into the base weights it saved and that base is not the one"
                        + " they were trained on; train with merge: false to save adapter-only files");
            }
            Files.createDirectories(out);
            Map<String, String> provenance = Map.of("floe.saved_from", run.toAbsolutePath().normalize().toString());
            for (String name : names) {
                Path file = out.resolve(name + ".safetensors");
                PeftIo.save(trained.graph(), name, file, provenance);
                long size = trained.graph().parameters().values().stream().filter(p -> name.equals(p.adapter()))
                        .mapToLong(Param::size).sum();
                stdout.printf(Locale.ROOT, "wrote %s: %s, %,d parameters, base %s%n", file, kind(peft, name), size,
                        Safetensors.readHeader(file).metadata().get("peft.base_hash"));
            }
        }
        stdout.flush();
        return 0;
    }

    /** Every module and composition name of the section, in the order it injects them. */
    static List<String> declared(PeftConfig peft) {
        List<String> names = new ArrayList<>();
        peft.lora().forEach(l -> names.add(l.name()));
        peft.adapters().forEach(a -> names.add(a.name()));
        peft.ia3().forEach(a -> names.add(a.name()));
        peft.prompts().forEach(p -> names.add(p.name()));
        peft.compose().forEach(c -> names.add(c.name()));
        return names;
    }

    private static String kind(PeftConfig peft, String name) {
        for (PeftConfig.Lora l : peft.lora()) {
            if (l.name().equals(name)) {
                return l.type() + " '" + name + "'";
            }
        }
        if (peft.adapters().stream().anyMatch(a -> a.name().equals(name))) {
            return "adapter '" + name + "'";
        }
        if (peft.ia3().stream().anyMatch(a -> a.name().equals(name))) {
            return "ia3 '" + name + "'";
        }
        for (PeftConfig.Prompt p : peft.prompts()) {
            if (p.name().equals(name)) {
                return p.type() + " '" + name + "'";
            }
        }
        for (PeftConfig.Compose c : peft.compose()) {
            if (c.name().equals(name)) {
                return c.type() + " '" + name + "' of " + c.members();
            }
        }
        return "'" + name + "'";
    }
}
