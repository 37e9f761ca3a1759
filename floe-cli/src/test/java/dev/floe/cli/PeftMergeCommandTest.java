package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.config.ExperimentConfig;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.nn.Param;
import dev.floe.peft.Dora;
import dev.floe.peft.DoraSpec;
import dev.floe.peft.Lora;
import dev.floe.peft.LoraSpec;
import dev.floe.peft.PeftIo;
import dev.floe.run.Experiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code floe peft merge}: the merged adapter's update is the weighted sum of the sources' updates
 * (linear, within 1e-5); the SVD merge prints the Frobenius error it actually has; bad input is one
 * line and exit 2, naming both adapters where two disagree.
 */
class PeftMergeCommandTest {

    private static final String QV = "encoder/**/attention/self/{query,value}";
    private static final String[] LAYERS = {"encoder/layer.0/attention/self/query", "encoder/layer.0/attention/self/value"};

    @TempDir
    Path dir;

    /** The text LoRA config without its peft section, with data files, at seed {@code seed}. */
    private Path config(int seed) throws Exception {
        String spam = "{\"text\": \"win money fast\", \"label\": \"spam\"}\n";
        String ham = "{\"text\": \"meeting at noon\", \"label\": \"ham\"}\n";
        Files.writeString(dir.resolve("train.jsonl"), spam + ham);
        Files.writeString(dir.resolve("test.jsonl"), spam + ham);
        String text = PredictTextLoraTest.CONFIG.replace("seed: 4", "seed: " + seed);
        text = text.substring(0, text.indexOf("peft:")) + text.substring(text.indexOf("policy:"));
        return Files.writeString(dir.resolve("base-" + seed + ".yaml"), text);
    }

    /** Saves a LoRA (or DoRA) adapter with random factors on the config's encoder. */
    private Path adapter(Path config, String file, int rank, double alpha, String target, long seed, boolean dora)
            throws Exception {
        try (Experiment e = PlanCommand.build(ExperimentConfig.load(config), config)) {
            if (dora) {
                Dora.inject(e.graph(), new DoraSpec("task", rank, alpha, 0.0, target));
            } else {
                Lora.inject(e.graph(), new LoraSpec("task", rank, alpha, 0.0, target));
            }
            SplittableRandom r = new SplittableRandom(seed);
            for (Param p : e.graph().parameters().values()) {
                if ("task".equals(p.adapter())) {
                    float[] v = new float[Math.toIntExact(p.size())];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (r.nextGaussian() * 0.5);
                    }
                    p.load(v, p.shape().getShape());
                }
            }
            Path out = dir.resolve(file);
            PeftIo.save(e.graph(), "task", out);
            return out;
        }
    }

    /** {@code (alpha / rank) · B A} of one layer of an adapter file, {@code [out][in]}. */
    private static double[][] delta(SafetensorsFile f, String layer, String module) {
        int rank = Integer.parseInt(f.metadata().get("peft.rank"));
        double scale = Double.parseDouble(f.metadata().get("peft.alpha")) / rank;
        var a = f.tensors().get(layer + "/lora/" + module + "/A");
        var b = f.tensors().get(layer + "/lora/" + module + "/B");
        float[] av = a.toFloats();
        float[] bv = b.toFloats();
        int in = (int) a.shape()[1];
        int out = (int) b.shape()[0];
        double[][] d = new double[out][in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int k = 0; k < rank; k++) {
                    s += (double) bv[o * rank + k] * av[k * in + i];
                }
                d[o][i] = scale * s;
            }
        }
        return d;
    }

    @Test
    void aLinearMergeIsTheWeightedSumOfTheUpdatesAndReloadsOntoTheBase() throws Exception {
        Path config = config(4);
        Path a = adapter(config, "a.safetensors", 2, 4, QV, 1, false);
        Path b = adapter(config, "b.safetensors", 3, 3, QV, 2, false);
        Path out = dir.resolve("merged.safetensors");
        Result r = floe("peft", "merge", "--config", config.toString(), "--in", a.toString(), "--in", b.toString(),
                "--weights", "0.7,0.3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("merged 2 LoRA adapters with weights [0.7, 0.3] by linear into 'merged' (rank 5,"
                + " alpha 5.0) on 2 layers"), r.out());

        SafetensorsFile fa = Safetensors.read(a);
        SafetensorsFile fb = Safetensors.read(b);
        SafetensorsFile fm = Safetensors.read(out);
        assertEquals("0.7,0.3", fm.metadata().get("floe.merge_weights"));
        for (String layer : LAYERS) {
            double[][] da = delta(fa, layer, "task");
            double[][] db = delta(fb, layer, "task");
            double[][] dm = delta(fm, layer, "merged");
            double worst = 0;
            for (int o = 0; o < dm.length; o++) {
                for (int i = 0; i < dm[o].length; i++) {
                    worst = Math.max(worst, Math.abs(dm[o][i] - (0.7 * da[o][i] + 0.3 * db[o][i])));
                }
            }
            assertTrue(worst < 1e-5, layer + ": merged update vs 0.7 dW_a + 0.3 dW_b differs by " + worst);
        }
        try (Experiment e = PlanCommand.build(ExperimentConfig.load(config), config)) {
            assertEquals(5, ((LoraSpec) PeftIo.load(e.graph(), out)).rank(), "the merged file loads onto the base");
        }

        Result again = floe("peft", "merge", "--config", config.toString(), "--in", a.toString(), "--in", b.toString(),
                "--weights", "0.7,0.3", "--out", out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already exists") && again.err().contains("--force"), again.err());
    }

    @Test
    void peftFoldersMergeIntoAPeftFolderWithTheWeightedSumOfTheirUpdates() throws Exception {
        Path config = config(4);
        Path[] folders = new Path[2];
        for (int f = 0; f < 2; f++) {
            Path file = adapter(config, "f" + f + ".safetensors", 2 + f, 4, QV, 10 + f, false);
            try (Experiment e = PlanCommand.build(ExperimentConfig.load(config), config)) {
                PeftIo.load(e.graph(), file);
                folders[f] = dir.resolve("hf-" + f);
                dev.floe.peft.PeftFormat.write(e.graph(), "task", folders[f], "org/tiny");
            }
        }
        Path out = dir.resolve("hf-merged");
        Result r = floe("peft", "merge", "--config", config.toString(), "--in", folders[0].toString(), "--in",
                folders[1].toString(), "--weights", "0.25,0.75", "--base-model", "org/tiny", "--format", "peft",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String layer : LAYERS) {
            double[][] d0 = hfDelta(folders[0], layer);
            double[][] d1 = hfDelta(folders[1], layer);
            double[][] dm = hfDelta(out, layer);
            double worst = 0;
            for (int o = 0; o < dm.length; o++) {
                for (int i = 0; i < dm[o].length; i++) {
                    worst = Math.max(worst, Math.abs(dm[o][i] - (0.25 * d0[o][i] + 0.75 * d1[o][i])));
                }
            }
            assertTrue(worst < 1e-5, layer + ": " + worst);
        }
    }

    /** {@code (lora_alpha / r) · B A} of one layer of a PEFT adapter folder. */
    private static double[][] hfDelta(Path folder, String layer) throws Exception {
        var config = dev.floe.io.Json.mapper().readTree(folder.resolve(dev.floe.peft.PeftFormat.CONFIG_FILE).toFile());
        int rank = config.get("r").asInt();
        double scale = config.get("lora_alpha").asDouble() / rank;
        SafetensorsFile f = Safetensors.read(folder.resolve(dev.floe.peft.PeftFormat.WEIGHTS_FILE));
        String hf = "base_model.model." + layer.replace('/', '.');
        float[] av = f.tensors().get(hf + ".lora_A.weight").toFloats();
        float[] bv = f.tensors().get(hf + ".lora_B.weight").toFloats();
        int in = av.length / rank;
        int out = bv.length / rank;
        double[][] d = new double[out][in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int k = 0; k < rank; k++) {
                    s += (double) bv[o * rank + k] * av[k * in + i];
                }
                d[o][i] = scale * s;
            }
        }
        return d;
    }

    @Test
    void anSvdMergePrintsTheFrobeniusErrorItHas() throws Exception {
        Path config = config(4);
        Path a = adapter(config, "a.safetensors", 2, 4, QV, 3, false);
        Path b = adapter(config, "b.safetensors", 2, 2, QV, 4, false);
        Path out = dir.resolve("svd.safetensors");
        Result r = floe("peft", "merge", "--config", config.toString(), "--in", a.toString(), "--in", b.toString(),
                "--weights", "0.5,-1.5", "--method", "svd", "--rank", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("by svd into 'merged' (rank 2, alpha 2.0)"), r.out());
        SafetensorsFile fa = Safetensors.read(a);
        SafetensorsFile fb = Safetensors.read(b);
        SafetensorsFile fm = Safetensors.read(out);
        Map<String, Double> printed = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^  (\\S+) (\\S+)$").matcher(r.out());
        while (m.find()) {
            printed.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        assertEquals(List.of(LAYERS), List.copyOf(printed.keySet()), r.out());
        for (String layer : LAYERS) {
            double[][] da = delta(fa, layer, "task");
            double[][] db = delta(fb, layer, "task");
            double[][] dm = delta(fm, layer, "merged");
            double diff = 0;
            double norm = 0;
            for (int o = 0; o < dm.length; o++) {
                for (int i = 0; i < dm[o].length; i++) {
                    double want = 0.5 * da[o][i] - 1.5 * db[o][i];
                    diff += (want - dm[o][i]) * (want - dm[o][i]);
                    norm += want * want;
                }
            }
            double measured = Math.sqrt(diff / norm);
            assertTrue(measured > 1e-3, "rank 2 of a rank-4 sum is not exact: " + measured);
            assertEquals(measured, printed.get(layer), measured * 1e-5, layer + ": printed vs measured error");
        }
    }

    @Test
    void adaptersOfDifferentTargetsBasesOrKindsAndBadOptionsAreOneLineErrors() throws Exception {
        Path config = config(4);
        Path a = adapter(config, "a.safetensors", 2, 4, QV, 1, false);
        Path query = adapter(config, "q.safetensors", 2, 4, "encoder/**/attention/self/query", 2, false);
        Path dora = adapter(config, "d.safetensors", 2, 4, QV, 3, true);
        Path otherBase = adapter(config(5), "other.safetensors", 2, 4, QV, 4, false);
        Path out = dir.resolve("m.safetensors");
        String c = config.toString();

        assertOneLine(floe("peft", "merge", "--config", c, "--in", a.toString(), "--in", query.toString(), "--weights",
                "0.5,0.5", "--out", out.toString()), "--in " + a, "--in " + query, "targets '" + QV + "'", "same target");
        assertOneLine(floe("peft", "merge", "--config", c, "--in", a.toString(), "--in", otherBase.toString(),
                "--weights", "0.5,0.5", "--out", out.toString()), "--in " + a + " was trained on base sha256:",
                "--in " + otherBase + " on base sha256:", "same base");
        assertOneLine(floe("peft", "merge", "--config", c, "--in", a.toString(), "--in", dora.toString(), "--weights",
                "0.5,0.5", "--out", out.toString()), "--in " + dora + " holds a dora module", "only LoRA");
        assertOneLine(floe("peft", "merge", "--config", c, "--in", a.toString(), "--in", a.toString(), "--weights", "1",
                "--out", out.toString()), "--weights lists 1 number(s) but --in gives 2");
        assertOneLine(floe("peft", "merge", "--config", c, "--in", a.toString(), "--in", a.toString(), "--weights",
                "0.5,x", "--out", out.toString()), "'x' is not a number");
        assertOneLine(floe("peft", "merge", "--config", c, "--in", a.toString(), "--in", a.toString(), "--weights",
                "0.5,0.5", "--method", "svd", "--out", out.toString()), "--method svd needs --rank");
        assertOneLine(floe("peft", "merge", "--config", c, "--in", a.toString(), "--in", a.toString(), "--weights",
                "0.5,0.5", "--method", "svd", "--rank", "9", "--out", out.toString()), "--rank is 9",
                "between 1 and 4");
        // the config's own model is another base than the adapters'
        assertOneLine(floe("peft", "merge", "--config", config(5).toString(), "--in", a.toString(), "--in", a.toString(),
                "--weights", "0.5,0.5", "--out", out.toString()), "--in " + a, "trained on base");
        assertFalse(Files.exists(out), "nothing written");
    }

    private static void assertOneLine(Result r, String... parts) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("floe: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), "missing '" + p + "' in: " + r.err());
        }
    }
}
