/**
 * Parameter-efficient fine-tuning: LoRA, DoRA and IA3 modules and serial bottleneck adapters
 * attached by name to the {@link dev.floe.nn.Linear} layers of a built graph; weighted merging of
 * LoRA modules ({@link dev.floe.peft.LoraMerge}); prompt and prefix tuning attached to its
 * transformer encoders ({@link dev.floe.peft.Prompts}); compositions of modules on shared layers
 * ({@link dev.floe.peft.Composition}: stack, parallel, fusion); and per-row routing of modules in
 * one batch ({@link dev.floe.peft.Routing}).
 *
 * <p>Split by question, as in PEFT: the specs ({@link dev.floe.peft.LoraSpec},
 * {@link dev.floe.peft.AdapterSpec}) say <em>what</em>; {@link dev.floe.peft.Lora} and
 * {@link dev.floe.peft.Adapters} decide <em>where</em> (every Linear whose module path matches the
 * spec's glob) and switch modules on and off; package-private layer classes say <em>how</em>
 * (forward, merge, unmerge). {@link dev.floe.peft.PeftIo} saves and loads one module or
 * composition on its own, tied to the content hash of the base it was trained on. {@link dev.floe.peft.PeftFormat} reads
 * and writes a LoRA module on a BERT-style encoder as a Hugging Face PEFT adapter folder.
 *
 * <p>Modules are keyed by a name that is unique in the graph across LoRA modules and adapters; a
 * module adds to its layer's output only while its name is in
 * {@link dev.floe.graph.ModelGraph#activeAdapters()}. Their parameters live under
 * {@code <linear path>/lora/<name>/{A,B}} and
 * {@code <linear path>/adapter/<name>/{down,up}/{weight,bias}} (DoRA: {@code .../lora/<name>/{A,B,magnitude}};
 * IA3: {@code <linear path>/ia3/<name>/scale}) and join the component's parameters,
 * so freeze policies, optimizers and checkpoints see them like any other parameter.
 *
 * <p>Nullness: no method in this package accepts or returns {@code null}.
 */
package dev.floe.peft;
