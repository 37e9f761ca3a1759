package dev.floe.cli;

import dev.floe.export.OnnxExport;
import dev.floe.export.OnnxGraphBuilder;
import dev.floe.export.WeightsExport;
import dev.floe.io.AtomicFiles;
import dev.floe.run.TrainedRun;
import dev.floe.run.Versions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe export RUN_DIR [--onnx FILE] [--safetensors FILE] [--force]}: a finished run's model
 * as an ONNX model of the whole graph (LoRA merged, the run's {@code normalization.json} as
 * {@code Sub}/{@code Div} nodes at the input), and/or its merged weights as safetensors plus a JSON
 * graph description {@code FILE.json}. Files are written atomically; existing ones are replaced only
 * with {@code --force}.
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = "Export a finished run's model: --onnx FILE (the whole graph, LoRA merged, for ONNX Runtime)"
                + " and/or --safetensors FILE (merged weights, plus FILE.json describing the graph).")
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    RegistryCommandOptions registryOptions = new RegistryCommandOptions();

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "folder of a finished floe train run")
    Path run;

    @Option(names = "--onnx", paramLabel = "FILE", description = "write the model as ONNX (opset 17) to FILE")
    Path onnx;

    @Option(names = "--safetensors", paramLabel = "FILE",
            description = "write the merged weights to FILE and a JSON description of the graph to FILE.json")
    Path safetensors;

    @Option(names = "--force", description = "replace existing output files")
    boolean force;

    @Override
    public Integer call() throws IOException {
        if (onnx == null && safetensors == null) {
            throw new IllegalArgumentException("nothing to export; give --onnx FILE and/or --safetensors FILE");
        }
        Path description = safetensors == null ? null : safetensors.resolveSibling(safetensors.getFileName() + ".json");
        for (Path p : new Path[] {onnx, safetensors, description}) {
            if (p != null) {
                if (Files.exists(p) && !force) {
                    throw new IllegalArgumentException(p + " already exists; give another file, or --force to replace it");
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        try (TrainedRun trained = registryOptions.open(run)) {
            String version = Versions.current().get("floe");
            // everything that can fail on the model is computed before the first file is written
            byte[] model = onnx == null ? null
                    : OnnxExport.toOnnx(trained.graph(), trained.normalization(), version);
            String json = safetensors == null ? null : WeightsExport.describe(trained.graph(),
                    trained.manifest().recipe().config().text(), safetensors.getFileName().toString());
            if (model != null) {
                AtomicFiles.writeBytes(onnx, model);
                out.printf(Locale.ROOT, "wrote %s (ONNX opset %d, %,d bytes)%n", onnx, OnnxGraphBuilder.OPSET, model.length);
            }
            if (safetensors != null) {
                WeightsExport.write(trained.graph(), safetensors, Map.of("floe.exported_from", run.toString()));
                AtomicFiles.writeString(description, json);
                out.printf(Locale.ROOT, "wrote %s and %s%n", safetensors, description);
            }
        }
        out.flush();
        return 0;
    }
}
