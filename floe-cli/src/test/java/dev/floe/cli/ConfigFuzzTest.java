package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.ConfigMutations.Category;
import dev.floe.cli.ConfigMutations.Mutation;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.run.Experiment;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzz of experiment configs through {@code floe train CONFIG --out DIR --no-progress},
 * run in this JVM.
 *
 * <p>It starts from seven valid configs: {@code examples/fashion-finetune.yaml},
 * {@code examples/progressive.yaml}, a CSV config with an MLP, explicit stages (policy rules with
 * {@code lr_scale} and {@code weight_decay}, {@code steps}, every {@code lr_schedule} type,
 * {@code early_stopping}), {@code layer_decay} and {@code layer_decay_by_component}, and a small
 * IDX config with a conv encoder, {@code progressive}, {@code train_bn}, class selection,
 * {@code per_class}, {@code limit} and {@code eval_fraction}, and a text config (JSON Lines data
 * with every text key, a tiny {@code transformer} with every key, a {@code peft} section with LoRA
 * and an adapter), and a CSV config with {@code header}, {@code delimiter}, {@code drop_columns},
 * {@code labels} and {@code normalize}, and a two-task config ({@code tasks} with a head, output,
 * weight and data each). Each is checked to be valid first
 * (it builds, its data loads and fits the model).
 *
 * <p>Then {@value #CASES} mutations are made with seed {@value #SEED}, cycling through the
 * categories of {@link Category}. Each changes one place of one base config and is invalid
 * whatever the rest of the file says, by a schema of the config format
 * ({@link ConfigMutations}): a required key is dropped (optional keys never are); a key is
 * written twice; a value becomes text, a number, a list, a map, a boolean or null where the key
 * takes none of them (numbers and booleans are read as text by text keys, so they are used only
 * where the text would be a wrong word, file, glob or reference, never for free names; null only
 * for required keys and list entries, as it means "absent"); a number goes out of its key's range
 * (0, negative, NaN, infinite, fractional for integers, {@code 1e400}, {@code 99999999999999999999},
 * 2^31 for int keys, a 1200-digit number; only values outside the range, e.g. no 0 where 0 is
 * allowed); a policy glob matches no parameter or does not compile (never {@code **}, which would
 * freeze everything); a key the map does not have is added (for {@code layer_decay_by_component},
 * a component that does not exist); a value becomes a map nested 100 deep (a third of the time
 * 1500, past the reader's limit); a size or int count becomes 2^31, 2^40 or 2^62 (sizes above
 * what one parameter holds must be refused before anything is allocated).
 *
 * <p>Every case must exit with code 2 within 10 s and print exactly one stderr line that starts
 * with {@code floe: CONFIG}, names the mutated key (its name, the list holding the entry, or its
 * dotted path) and the map or list entry holding it (its dotted path, e.g.
 * {@code model.components[0]}), and shows no Java detail (stack frames, exception or Java class
 * names, camelCase identifiers, the JSON parser's phrases and token names); nothing may be printed
 * on stdout and the run folder must not exist afterwards. All failures are collected and reported
 * together. The number of cases per category is printed; {@code -Dfloe.fuzz.seed} and
 * {@code -Dfloe.fuzz.cases} run other seeds or more cases.
 */
class ConfigFuzzTest {

    static final long SEED = 20_240_611L;
    static final int CASES = 1200;

    /** Overrides for exploring beyond the fixed run: -Dfloe.fuzz.seed=N -Dfloe.fuzz.cases=N. */
    static final long RUN_SEED = Long.getLong("floe.fuzz.seed", SEED);
    static final int RUN_CASES = Integer.getInteger("floe.fuzz.cases", CASES);

    /** 60 rows, 4 features, 3 classes. */
    static String smallCsv() {
        StringBuilder sb = new StringBuilder("a,b,c,d,label\n");
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < 60; i++) {
            int label = i % 3;
            sb.append(String.format(Locale.ROOT, "%.3f,%.3f,%.3f,%.3f,%d%n", label + r.nextGaussian(),
                    r.nextGaussian(), -label + r.nextGaussian(), r.nextGaussian(), label));
        }
        return sb.toString();
    }

    /** CSV data, an MLP body and head, explicit stages, layer decay. */
    static final String STAGES = """
            seed: 7
            data:
              format: csv
              train: {path: small.csv}
              label_column: label
              num_classes: 3
              eval_fraction: 0.25
            model:
              inputs: {x: "[batch, 4]"}
              components:
                - {name: body, type: mlp, inputs: 4, hidden: [8, 8], outputs: 6, dropout: 0.1}
                - {name: head, type: mlp_head, features: 6, hidden: 5, classes: 3, dropout: 0.0}
              wires:
                - {from: x, to: body.in}
                - {from: body.out, to: head.in}
              outputs: {logits: head.logits}
            policy:
              - freeze: "body/**"
              - train: "head/**"
                lr_scale: 2.0
                weight_decay: 0.001
            stages:
              - name: warm
                epochs: 1
                lr_schedule: {type: warmup_cosine, warmup_steps: 2, min_factor: 0.1}
              - name: all
                epochs: 2
                steps: 5
                policy:
                  - {train: "body/fc2/**", lr_scale: 0.5, weight_decay: 0.0}
                lr_schedule: {type: slanted_triangular, cut_fraction: 0.2, ratio: 8}
                early_stopping: {metric: eval_loss, patience: 1, min_delta: 0.001, restore_best: false}
            layer_decay: 0.9
            layer_decay_by_component: {body: 0.8}
            optimizer: {type: sgd, lr: 0.05, momentum: 0.9, weight_decay: 0.0005}
            training: {batch_size: 8, gradient_accumulation: 2, clip_grad_norm: 1.0, lr_schedule: {type: constant}}
            """;

    /** A few IDX images, a small conv encoder unfrozen progressively, trained BatchNorm. */
    static final String PROGRESSIVE = """
            seed: 11
            data:
              format: idx
              train: {images: fashion-mnist/train-images-idx3-ubyte.gz, labels: fashion-mnist/train-labels-idx1-ubyte.gz}
              num_classes: 10
              classes: [0, 1, 2]
              limit: 200
              per_class: 10
              eval_fraction: 0.2
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, input: [1, 28, 28], widths: [4, 8]}
                - {name: head, type: linear_head, features: 8, classes: 3, dropout: 0.1}
              wires:
                - {from: image, to: encoder.in}
                - {from: encoder.features, to: head.in}
              outputs: {logits: head.logits}
            policy:
              - train: "head/**"
                lr_scale: 1.5
            progressive:
              component: encoder
              layers: 2
              epochs_per_stage: 1
              lr_scale: 0.5
              lr_schedule: {type: warmup_cosine, warmup_steps: 1}
              early_stopping: {patience: 1}
            train_bn: true
            layer_decay: 0.75
            optimizer: {type: adamw, lr: 0.01, weight_decay: 0.01, beta1: 0.9, beta2: 0.99, eps: 1.0e-7}
            training: {batch_size: 16, clip_grad_norm: 2.0}
            """;

    /** CSV options: header detected, delimiter, a dropped column, label values in class order. */
    static final String CSV_OPTIONS = """
            seed: 9
            data:
              format: csv
              train: {path: small.csv}
              header: auto
              delimiter: ","
              drop_columns: [d]
              labels: [2, 0, 1]
              normalize: standard
              limit: 40
            model:
              inputs: {x: "[batch, 3]"}
              components:
                - {name: head, type: linear_head, features: 3, classes: 3}
              wires: [{from: x, to: head.in}]
              outputs: {logits: head.logits}
            optimizer: {type: sgd, lr: 0.1}
            training: {epochs: 1, batch_size: 8}
            """;

    /** Two tasks on the same CSV file with their own heads, outputs and loss weights. */
    static final String TASKS = """
            seed: 3
            tasks:
              - name: main
                output: main_logits
                weight: 1.0
                data: {format: csv, train: {path: small.csv}, num_classes: 3, eval_fraction: 0.2}
              - name: aux
                output: aux_logits
                weight: 0.5
                data: {format: csv, train: {path: small.csv}, labels: [2, 1, 0], limit: 30}
            model:
              inputs: {x: "[batch, 4]"}
              components:
                - {name: body, type: mlp, inputs: 4, hidden: [6], outputs: 5}
                - {name: main_head, type: linear_head, features: 5, classes: 3}
                - {name: aux_head, type: linear_head, features: 5, classes: 3}
              wires:
                - {from: x, to: body.in}
                - {from: body.out, to: main_head.in}
                - {from: body.out, to: aux_head.in}
              outputs: {main_logits: main_head.logits, aux_logits: aux_head.logits}
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 1, batch_size: 8}
            """;

    /** Labelled texts for {@link #TEXT}: 12 lines, two classes. */
    static String smallJsonl() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            sb.append(i % 2 == 0
                    ? "{\"text\": \"cheap pills number " + i + " buy now\", \"label\": \"spam\"}\n"
                    : "{\"text\": \"meeting notes " + i + " for the team\", \"label\": \"ham\"}\n");
        }
        return sb.toString();
    }

    /** Text data, a tiny BERT-style encoder with every key, LoRA and an adapter, host freezing and merging. */
    static final String TEXT = """
            seed: 5
            data:
              format: text
              train: {path: small.jsonl}
              text_column: text
              label_column: label
              labels: [ham, spam]
              max_tokens: 12
              num_classes: 2
              limit: 10
              eval_fraction: 0.2
              per_class: 2
            model:
              inputs: {input_ids: "[batch, seq] int64", attention_mask: "[batch, seq] int64"}
              components:
                - {name: encoder, type: transformer, vocab: 30522, hidden: 8, layers: 1, heads: 2, intermediate: 16,
                   max_positions: 16, dropout: 0.1, pooling: cls, tokenizer: minilm}
                - {name: head, type: linear_head, features: 8, classes: 2}
              wires:
                - {from: input_ids, to: encoder.input_ids}
                - {from: attention_mask, to: encoder.attention_mask}
                - {from: encoder.pooled, to: head.in}
              outputs: {logits: head.logits}
            peft:
              lora:
                - {name: qv, target: "encoder/**/attention/self/{query,value}", rank: 2, alpha: 4, dropout: 0.1}
              adapters:
                - {name: ffn, target: "encoder/**/output/dense", bottleneck: 2, activation: gelu}
              active: [qv, ffn]
              merge: true
              freeze_host: true
            policy:
              - train: "encoder/embeddings/LayerNorm/**"
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 1, batch_size: 2}
            """;

    /** Java leaking into a message: stack frames, class names, Jackson's vocabulary, camelCase names. */
    static final Pattern JAVA = Pattern.compile(
            "\\tat |\\w*(Exception|Error)\\b|\\b(java|javax|com\\.fasterxml|org\\.yaml|dev\\.floe)\\.|"
                    + "\\((Integer|Long|Double|Float|Boolean|String|BigInteger|BigDecimal|LinkedHashMap|HashMap"
                    + "|ArrayList|List12|ListN)\\)|\\b(START|END)_(OBJECT|ARRAY)\\b|\\bVALUE_[A-Z_]+|FIELD_NAME|"
                    + "\\bJSON\\b|Cannot (deserialize|construct)|reference chain|\\[Source:|Duplicate field|"
                    + "Numeric value \\(|Malformed numeric|out of range of (int|long)|\\bBoolean\\b|"
                    + "\\b[a-z]+[A-Z][A-Za-z0-9]*\\b");

    @TempDir
    static Path dir;

    @Test
    @Timeout(300)
    void everyInvalidConfigExitsTwoWithOneLineNamingFileAndKeyAndCreatesNoRunFolder() throws Exception {
        Files.writeString(dir.resolve("small.csv"), smallCsv());
        Files.writeString(dir.resolve("small.jsonl"), smallJsonl());
        Map<String, YamlTree.MapNode> bases = new LinkedHashMap<>();
        bases.put("fashion-finetune", YamlTree.parse(Files.readString(Path.of("../examples/fashion-finetune.yaml"))));
        bases.put("progressive", YamlTree.parse(Files.readString(Path.of("../examples/progressive.yaml"))));
        bases.put("small-stages", YamlTree.parse(STAGES));
        bases.put("small-progressive", YamlTree.parse(PROGRESSIVE));
        bases.put("small-text", YamlTree.parse(TEXT));
        bases.put("csv-options", YamlTree.parse(CSV_OPTIONS));
        bases.put("tasks", YamlTree.parse(TASKS));
        for (Map.Entry<String, YamlTree.MapNode> b : bases.entrySet()) {
            assertValid(b.getKey(), YamlTree.emit(b.getValue()));
        }

        ConfigMutations mutations = new ConfigMutations(RUN_SEED);
        java.util.Random pickBase = new java.util.Random(RUN_SEED + 1);
        List<YamlTree.MapNode> baseList = List.copyOf(bases.values());
        List<String> baseNames = List.copyOf(bases.keySet());
        Map<Category, Integer> counts = new EnumMap<>(Category.class);
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        Category[] categories = Category.values();
        for (int i = 0; i < RUN_CASES; i++) {
            Category category = categories[i % categories.length];
            Mutation m = null;
            String base = null;
            while (m == null) {
                int b = pickBase.nextInt(baseList.size());
                base = baseNames.get(b);
                m = mutations.mutate(baseList.get(b), category);
            }
            Path file = dir.resolve(String.format(Locale.ROOT, "case-%03d.yaml", i));
            Files.writeString(file, YamlTree.emit(m.config()));
            Path out = dir.resolve(String.format(Locale.ROOT, "run-%03d", i));
            long t0 = System.nanoTime();
            Result r = floe("train", file.toString(), "--out", out.toString(), "--no-progress");
            double seconds = (System.nanoTime() - t0) / 1e9;
            counts.merge(category, 1, Integer::sum);
            String problem = problem(r, file, out, m, seconds);
            if (Boolean.getBoolean("floe.fuzz.verbose")) {
                System.out.printf(Locale.ROOT, "case %d %s [%s] %s%n    %s%n", i, category, base, m.description(),
                        firstLines(r.err(), 3));
            }
            if (problem != null) {
                failures.add(String.format(Locale.ROOT, "#%d %s [%s] %s: %s%n    stderr: %s", i, category, base,
                        m.description(), problem, firstLines(r.err(), 3)));
            }
        }
        double total = (System.nanoTime() - start) / 1e9;
        int run = counts.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf(Locale.ROOT, "config fuzz: %d cases in %.1f s (seed %d), %d failed%n", run, total, RUN_SEED,
                failures.size());
        counts.forEach((c, n) -> System.out.printf(Locale.ROOT, "  %-14s %d%n", c.name().toLowerCase(Locale.ROOT), n));
        failures.forEach(System.out::println);

        assertEquals(RUN_CASES, run);
        assertTrue(failures.isEmpty(), failures.size() + " of " + run + " invalid configs were not refused properly:\n"
                + String.join("\n", failures.subList(0, Math.min(40, failures.size()))));
    }

    /** What is wrong with how {@code floe train} refused the mutated config, or null when nothing is. */
    static String problem(Result r, Path file, Path out, Mutation m, double seconds) {
        List<String> lines = r.err().lines().toList();
        if (r.code() != 2) {
            return "exit code " + r.code() + " (expected 2)";
        }
        if (Files.exists(out)) {
            return "the run folder " + out + " was created";
        }
        if (!r.out().isEmpty()) {
            return "printed on stdout: " + firstLines(r.out(), 1);
        }
        if (lines.size() != 1) {
            return lines.size() + " stderr lines (expected 1)";
        }
        String line = lines.get(0);
        String prefix = "floe: " + file;
        if (!line.startsWith(prefix)) {
            return "does not start with '" + prefix + "'";
        }
        String message = line.substring(prefix.length());
        Matcher java = JAVA.matcher(message);
        if (java.find()) {
            return "shows Java detail '" + java.group() + "'";
        }
        if (m.keys().stream().noneMatch(k -> names(message, k))) {
            return "names none of " + m.keys();
        }
        if (!m.parent().isEmpty() && !message.contains(m.parent())) {
            return "does not name where the key is (" + m.parent() + ")";
        }
        if (seconds > 10) {
            return String.format(Locale.ROOT, "took %.1f s", seconds);
        }
        return null;
    }

    private static String firstLines(String text, int n) {
        List<String> lines = text.strip().lines().toList();
        return String.join("\n            ", lines.subList(0, Math.min(n, lines.size())))
                + (lines.size() > n ? " ... (" + (lines.size() - n) + " more lines)" : "");
    }

    /** Whether {@code message} names {@code key} as a whole word (or contains the dotted path). */
    static boolean names(String message, String key) {
        if (key.isEmpty()) {
            return false;
        }
        if (key.contains(".") || key.contains("[")) {
            return message.contains(key);
        }
        return Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(key) + "(?![A-Za-z0-9_])").matcher(message).find();
    }

    /** The base config builds, its data loads and fits the model: what floe train checks first. */
    private static void assertValid(String name, String yaml) throws Exception {
        Path file = dir.resolve("base-" + name + ".yaml");
        Files.writeString(file, yaml);
        ExperimentConfig cfg = ExperimentConfig.load(file);
        try (Experiment experiment = Experiment.build(cfg, dir)) {
            experiment.check(ExperimentData.load(cfg, dir));
        }
    }
}
