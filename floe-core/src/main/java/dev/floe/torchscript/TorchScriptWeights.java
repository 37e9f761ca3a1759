package dev.floe.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import dev.floe.engine.FloeEngine;
import dev.floe.io.TensorData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the parameter values of a TorchScript file ({@code torch.jit.save}) without running it, for
 * importing them into a Floe component.
 *
 * <p>Only the module's parameters ({@code named_parameters()} in Python) are read, by their
 * TorchScript names ({@code encoder.0.weight}); libtorch's module API that DJL exposes does not
 * return buffers, so BatchNorm running statistics are not in the result.
 */
public final class TorchScriptWeights {

    private TorchScriptWeights() {}

    /**
     * The module's parameters by TorchScript name, in the module's order, as float32 tensors.
     *
     * @param file the {@code .pt} file
     * @return a new map from TorchScript name to tensor
     * @throws TorchScriptException naming the file when it is missing, unreadable, not a TorchScript
     *     archive, or holds a parameter that is not float32
     */
    public static Map<String, TensorData> read(Path file) {
        checkFileExists(file);
        Map<String, TensorData> out = new LinkedHashMap<>();
        try (PtNDManager manager = (PtNDManager) FloeEngine.newManager()) {
            manager.setName("torchscript-weights");
            PtSymbolBlock module = TorchScriptComponent.load(manager, file);
            NDList params = JniUtils.moduleGetParams(module, manager);
            for (NDArray p : params) {
                if (p.getDataType() != DataType.FLOAT32) {
                    throw new TorchScriptException(file, "parameter " + p.getName() + " is " + p.getDataType()
                            + " but Floe imports float32 parameters only; call module.float() before saving");
                }
                out.put(p.getName(), TensorData.ofFloats(p.getShape().getShape(), p.toFloatArray()));
            }
            module.close();
        }
        return out;
    }

    private static void checkFileExists(Path file) {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new TorchScriptException(file, "no such file; give the .pt file written by torch.jit.save");
        }
        if (!java.nio.file.Files.isReadable(file)) {
            throw new TorchScriptException(file, "cannot be read; check its permissions");
        }
    }
}
