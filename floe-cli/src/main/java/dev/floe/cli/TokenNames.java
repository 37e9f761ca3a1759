package dev.floe.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Token id to word piece, read from the {@code model.vocab} table of a Hugging Face
 * {@code tokenizer.json} (WordPiece and BPE tokenizers have one); ids it lacks print as {@code [id N]}.
 */
final class TokenNames {

    private final Map<Long, String> names;

    private TokenNames(Map<Long, String> names) {
        this.names = names;
    }

    /** The vocabulary of {@code file}, or of the class-path resource {@code resource} when {@code file} is null. */
    static TokenNames of(Path file, String resource) throws IOException {
        JsonNode root;
        if (file != null) {
            root = Json.mapper().readTree(Files.readAllBytes(file));
        } else {
            try (InputStream in = TokenNames.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalArgumentException("class-path resource " + resource + " was not found");
                }
                root = Json.mapper().readTree(in);
            }
        }
        JsonNode vocab = root.path("model").path("vocab");
        if (!vocab.isObject()) {
            throw new IllegalArgumentException("tokenizer " + (file != null ? file : resource)
                    + " has no model.vocab table of word pieces to name the token ids with");
        }
        Map<Long, String> names = new HashMap<>();
        vocab.fields().forEachRemaining(e -> names.put(e.getValue().asLong(), e.getKey()));
        return new TokenNames(names);
    }

    String name(long id) {
        String n = names.get(id);
        return n != null ? n : "[id " + id + "]";
    }
}
