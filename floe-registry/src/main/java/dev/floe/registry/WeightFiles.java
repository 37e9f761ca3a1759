package dev.floe.registry;

import dev.floe.io.Safetensors;
import dev.floe.io.TensorData;
import dev.floe.onnx.OnnxDataType;
import dev.floe.onnx.OnnxFormatException;
import dev.floe.onnx.OnnxModel;
import dev.floe.onnx.OnnxTensor;
import dev.floe.torchscript.TorchScriptWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The weight files {@code floe registry import} reads: safetensors, ONNX initializers, TorchScript parameters. */
final class WeightFiles {

    private WeightFiles() {}

    /** A file format, known by its extension. */
    enum Format {
        SAFETENSORS(".safetensors", "tensor"),
        ONNX(".onnx", "initializer"),
        TORCHSCRIPT(".pt", "parameter");

        private final String extension;
        private final String tensorWord;

        Format(String extension, String tensorWord) {
            this.extension = extension;
            this.tensorWord = tensorWord;
        }

        /** The file name extension, with its dot. */
        String extension() {
            return extension;
        }

        /** What a named array is called in this format. */
        String tensorWord() {
            return tensorWord;
        }

        /** The prefix taken off the file's names when none is given. */
        String defaultPrefix(String component) {
            return this == SAFETENSORS ? component + "/" : "";
        }

        /** A file name (after prefix and renames) as a parameter path under the component. */
        String toPath(String name) {
            return this == SAFETENSORS ? name : name.replace('.', '/');
        }

        /** How names were mapped, for messages. */
        String mapping(String prefix, Map<String, String> renames, String component) {
            StringBuilder sb = new StringBuilder("names were mapped by ");
            sb.append(prefix.isEmpty() ? "taking them whole" : "removing '" + prefix + "'");
            if (!renames.isEmpty()) {
                List<String> rules = new ArrayList<>();
                renames.forEach((k, v) -> rules.add(k + "=" + v));
                sb.append(", renaming ").append(String.join(", ", rules));
            }
            if (this != SAFETENSORS) {
                sb.append(", turning dots into slashes");
            }
            return sb.append(" and putting '").append(component).append("/' in front").toString();
        }
    }

    /**
     * What was read.
     *
     * @param tensors float tensors by their name in the file, in file order
     * @param ignored names of tensors that are not float (ONNX shape constants and the like)
     */
    record Read(Map<String, TensorData> tensors, List<String> ignored) {}

    /**
     * The format of {@code file} by its extension.
     *
     * @throws IllegalArgumentException naming the formats read when the extension is none of them
     */
    static Format format(Path file) {
        String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (Format f : Format.values()) {
            if (lower.endsWith(f.extension)) {
                return f;
            }
        }
        throw new IllegalArgumentException("cannot import " + file + ": give a .safetensors, .onnx or .pt (TorchScript)"
                + " file");
    }

    /**
     * Reads the tensors of a file.
     *
     * @throws IllegalArgumentException when the file is missing or not of its format, naming it
     */
    static Read read(Path file, Format format) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("cannot import " + file + ": no such file; give a " + format.extension
                    + " file");
        }
        try {
            return switch (format) {
                case SAFETENSORS -> new Read(Safetensors.read(file).tensors(), List.of());
                case TORCHSCRIPT -> new Read(TorchScriptWeights.read(file), List.of());
                case ONNX -> onnx(file);
            };
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cannot import " + file + ": no such file; give a " + format.extension
                    + " file");
        }
    }

    private static Read onnx(Path file) throws IOException {
        OnnxModel model;
        try {
            model = OnnxModel.read(file);
        } catch (OnnxFormatException e) {
            throw new IllegalArgumentException("cannot import " + file + ": " + e.getMessage(), e);
        }
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        for (OnnxTensor t : model.initializers().values()) {
            if (t.dataType() == OnnxDataType.FLOAT) {
                tensors.put(t.name(), TensorData.ofFloats(t.dims(), t.toFloats()));
            } else {
                ignored.add(t.name());
            }
        }
        return new Read(tensors, ignored);
    }
}
