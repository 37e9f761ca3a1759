/**
 * Text encoders: {@link dev.floe.text.Tokenizer} (Hugging Face {@code tokenizer.json} through DJL's
 * bundled native tokenizers), {@link dev.floe.text.BertImport} (BERT weights from an ONNX export into a
 * {@link dev.floe.components.TransformerEncoder}) and {@link dev.floe.text.MiniLm}, the pretrained
 * all-MiniLM-L6-v2 sentence encoder from the class path. Everything works offline.
 */
package dev.floe.text;
