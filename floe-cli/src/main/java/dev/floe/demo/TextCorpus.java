package dev.floe.demo;

import dev.floe.data.TextDataset;
import dev.floe.data.TextReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bundled SpamAssassin files split by sub-corpus ({@code easy-ham-1}, {@code spam-1},
 * {@code hard-ham-1}, {@code easy-ham-2}, {@code spam-2}), with seeded draws from each.
 */
final class TextCorpus {

    /** Folder under {@code datasets/}. */
    static final String FOLDER = "spam-assassin";
    /** Label 0 and 1. */
    static final List<String> CLASSES = List.of("ham", "spam");

    private final TextDataset data;
    private final Map<String, int[]> byCorpus;

    private TextCorpus(TextDataset data, Map<String, int[]> byCorpus) {
        this.data = data;
        this.byCorpus = byCorpus;
    }

    /**
     * Reads {@code datasets/spam-assassin/<split>.jsonl.gz}.
     *
     * @param split {@code train} or {@code test}
     * @throws IllegalArgumentException if the file is missing
     */
    static TextCorpus read(Path datasets, String split) {
        Path file = datasets.resolve(FOLDER).resolve(split + ".jsonl.gz");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    "no " + file.toAbsolutePath() + "; pass the datasets/ folder of a Floe checkout (FLOE_DATASETS)");
        }
        TextDataset data = TextReader.builder().setPath(file).optClassNames(CLASSES)
                .optName(FOLDER + "/" + split).build().read();
        // the same file read again with the corpus field as "text": row i's sub-corpus name
        TextDataset corpora = TextReader.builder().setPath(file).optClassNames(CLASSES)
                .optTextField("corpus").build().read();
        Map<String, List<Integer>> rows = new LinkedHashMap<>();
        for (int i = 0; i < corpora.size(); i++) {
            rows.computeIfAbsent(corpora.text(i), k -> new ArrayList<>()).add(i);
        }
        Map<String, int[]> byCorpus = new LinkedHashMap<>();
        rows.forEach((k, v) -> byCorpus.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return new TextCorpus(data, byCorpus);
    }

    /** All examples of the file. */
    TextDataset data() {
        return data;
    }

    /** Number of examples in {@code corpus}. */
    int size(String corpus) {
        return rows(corpus).length;
    }

    /**
     * {@code count} examples of {@code corpus} drawn without replacement (seeded), skipping texts in
     * {@code exclude}; fewer when the corpus runs out.
     *
     * @throws IllegalArgumentException if the corpus is unknown
     */
    TextDataset draw(String corpus, int count, long seed, Set<String> exclude) {
        int[] rows = rows(corpus);
        int[] order = shuffled(rows.length, seed);
        List<Integer> picked = new ArrayList<>();
        Set<String> seen = new HashSet<>(exclude);
        for (int k = 0; k < order.length && picked.size() < count; k++) {
            int row = rows[order[k]];
            if (seen.add(data.text(row))) { // also drops duplicates within the draw
                picked.add(row);
            }
        }
        int[] idx = picked.stream().mapToInt(Integer::intValue).sorted().toArray();
        return data.subset(idx);
    }

    private int[] rows(String corpus) {
        int[] rows = byCorpus.get(corpus);
        if (rows == null) {
            throw new IllegalArgumentException(
                    "no sub-corpus '" + corpus + "' in " + data.name() + "; it has " + byCorpus.keySet());
        }
        return rows;
    }

    private static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        java.util.Random random = new java.util.Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
