/**
 * Imported TorchScript modules as Floe components: {@link dev.floe.torchscript.TorchScriptComponent}
 * loads a {@code .pt} file written by {@code torch.jit.save} (scripted or traced), runs it behind
 * declared ports, and exposes its parameters as Floe parameters named
 * {@code <component>/<torchscript name>} that share storage with the module, so freeze plans,
 * optimizers and weight files act on the tensors the module really uses. Problems with a file are
 * reported as a {@link dev.floe.torchscript.TorchScriptException} naming it.
 */
package dev.floe.torchscript;
