package dev.floe.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.freeze.FreezePlan;
import dev.floe.graph.ModelGraph;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Hashing;
import dev.floe.io.Json;
import dev.floe.io.ModelWeights;
import dev.floe.io.Safetensors;
import dev.floe.io.SafetensorsFile;
import dev.floe.io.TensorData;
import dev.floe.nn.Param;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checkpoint folders: {@code DIR/ckpt-<step>/} holding {@code weights.safetensors},
 * {@code optimizer.safetensors}, optionally {@code best.safetensors} (early stopping's best
 * weights), {@code state.json} (schedule position: the stage to continue in and the stage whose
 * plan the optimizer state belongs to; per-parameter optimizer step counts, freeze state, records
 * so far, run fingerprint) and {@code manifest.json} (SHA-256 of each file), and
 * {@code DIR/LATEST} naming the newest complete one.
 *
 * <p>A checkpoint is written into a temporary folder, renamed into place, and only then named in
 * {@code LATEST} (itself replaced atomically), so a process killed at any moment leaves the
 * previous checkpoint intact. Loading verifies every checksum before it touches the model.
 */
final class Checkpoints {

    static final String FORMAT = "floe-checkpoint/1";
    static final String LATEST = "LATEST";
    private static final String WEIGHTS = "weights.safetensors";
    private static final String OPTIMIZER = "optimizer.safetensors";
    private static final String BEST = "best.safetensors";
    private static final String STATE = "state.json";
    private static final String MANIFEST = "manifest.json";

    private static final ObjectMapper JSON = Json.mapper();

    private Checkpoints() {}

    /**
     * Writes a checkpoint and names it in {@code LATEST}; older checkpoints are then deleted.
     *
     * @param nextStage the stage a resume continues in
     * @param planStage the stage whose plan the optimizer state was made under: {@code nextStage},
     *     or the stage before it when the checkpoint ends a stage
     * @param provenance names recorded in {@code state.json} and the weights' metadata (run id, recipe hash)
     * @param plan that stage's plan (its trainable parameters are recorded and checked on resume)
     * @return the checkpoint folder
     */
    static Path save(
            Path dir,
            ModelGraph graph,
            GroupedOptimizer optimizer,
            int nextStage,
            int planStage,
            Trainer.StageProgress progress,
            List<StageResult> finished,
            long globalStep,
            String fingerprint,
            Map<String, String> provenance,
            FreezePlan plan) {
        try {
            Files.createDirectories(dir);
            String name = "ckpt-" + globalStep;
            Path tmp = dir.resolve(name + ".tmp");
            AtomicFiles.deleteTree(tmp);
            Files.createDirectories(tmp);
            Map<String, String> weightsMeta = new java.util.TreeMap<>(provenance);
            weightsMeta.put("floe.checkpoint", name);
            ModelWeights.save(graph, tmp.resolve(WEIGHTS), weightsMeta);
            OptimizerState os = optimizer.exportState();
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            os.tensors().forEach((k, v) -> tensors.put(k, TensorData.ofFloats(new long[] {v.length}, v)));
            Safetensors.write(tmp.resolve(OPTIMIZER), tensors, Map.of("optimizer", os.optimizer()));
            if (progress.bestWeights != null) {
                Map<String, TensorData> best = new LinkedHashMap<>();
                for (Param p : graph.parameters().values()) {
                    best.put(p.path(), TensorData.ofFloats(p.shape().getShape(), progress.bestWeights.get(p.path())));
                }
                Safetensors.write(tmp.resolve(BEST), best, Map.of());
            }
            ObjectNode state = JSON.createObjectNode();
            state.put("format", FORMAT);
            state.put("run_fingerprint", fingerprint);
            state.set("provenance", JSON.valueToTree(new java.util.TreeMap<>(provenance)));
            state.put("next_stage", nextStage);
            state.put("plan_stage", planStage);
            state.put("global_step", globalStep);
            state.put("optimizer", os.optimizer());
            state.set("optimizer_steps", JSON.valueToTree(os.steps()));
            state.set("trainable", JSON.valueToTree(plan.trainable().stream().map(Param::path).toList()));
            ObjectNode p = state.putObject("stage_progress");
            p.put("epochs_done", progress.epochsDone);
            p.put("stage_steps", progress.stageSteps);
            p.put("best", progress.best);
            p.put("best_epoch", progress.bestEpoch);
            p.put("bad_epochs", progress.badEpochs);
            p.put("stopped_early", progress.stoppedEarly);
            p.put("seconds", progress.seconds);
            p.set("epochs", JSON.valueToTree(progress.epochs));
            state.set("finished_stages", JSON.valueToTree(finished));
            AtomicFiles.writeString(tmp.resolve(STATE), JSON.writeValueAsString(state));
            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("format", FORMAT);
            ObjectNode sums = manifest.putObject("sha256");
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path f : files.sorted().toList()) {
                    sums.put(f.getFileName().toString(), Hashing.sha256Hex(f));
                }
            }
            AtomicFiles.writeString(tmp.resolve(MANIFEST), JSON.writeValueAsString(manifest));
            Path target = dir.resolve(name);
            AtomicFiles.deleteTree(target);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.writeString(dir.resolve(LATEST), name + "\n");
            try (Stream<Path> old = Files.list(dir)) {
                for (Path o : old.toList()) {
                    String n = o.getFileName().toString();
                    if (n.startsWith("ckpt-") && !n.equals(name)) {
                        AtomicFiles.deleteTree(o);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw Trainer.unchecked(e);
        }
    }

    /**
     * Reads the newest checkpoint, verifies it, loads weights into the graph and returns the
     * position and optimizer state to continue from.
     */
    static Trainer.RunState load(Path dir, ModelGraph graph, String fingerprint) {
        Path latest = dir.resolve(LATEST);
        if (!Files.isRegularFile(latest)) {
            throw new IllegalArgumentException(
                    "cannot resume: " + dir + " holds no checkpoint (no " + LATEST + " file); start the run without"
                            + " --resume, or point to the folder of the run to continue");
        }
        try {
            String name = Files.readString(latest, StandardCharsets.UTF_8).trim();
            Path ckpt = dir.resolve(name);
            if (!name.startsWith("ckpt-") || !Files.isDirectory(ckpt)) {
                throw new IllegalArgumentException(
                        "cannot resume: " + latest + " names '" + name + "', which is not a checkpoint folder in " + dir
                                + "; the folder was altered — start a new run");
            }
            JsonNode manifest = readJson(ckpt.resolve(MANIFEST));
            checkFormat(manifest, ckpt.resolve(MANIFEST));
            Map<String, String> sums = JSON.convertValue(manifest.get("sha256"), new TypeReference<Map<String, String>>() {});
            for (Map.Entry<String, String> e : sums.entrySet()) {
                Path f = ckpt.resolve(e.getKey());
                if (!Files.isRegularFile(f)) {
                    throw new IllegalArgumentException("checkpoint file " + f + " is missing; the checkpoint is incomplete");
                }
                String actual = Hashing.sha256Hex(f);
                if (!actual.equals(e.getValue())) {
                    throw new IllegalArgumentException(
                            "checkpoint file " + f + " is corrupted: SHA-256 " + actual + " but the manifest says "
                                    + e.getValue() + "; restore it from a backup or start a new run");
                }
            }
            JsonNode state = readJson(ckpt.resolve(STATE));
            checkFormat(state, ckpt.resolve(STATE));
            String saved = state.path("run_fingerprint").asText("");
            if (!saved.equals(fingerprint)) {
                throw new IllegalArgumentException(
                        "cannot resume from " + dir + ": it was made by a different run (fingerprint " + saved
                                + ", this run " + fingerprint + "); resume with the config that made it, or start a new"
                                + " run in another folder");
            }
            Trainer.RunState rs = new Trainer.RunState();
            rs.stage = state.get("next_stage").asInt();
            JsonNode progressNode = state.get("stage_progress");
            // checkpoints written before plan_stage was recorded: one that ends a stage has fresh progress
            rs.planStage = state.has("plan_stage")
                    ? state.get("plan_stage").asInt()
                    : rs.stage > 0 && progressNode.get("epochs_done").asInt() == 0 ? rs.stage - 1 : rs.stage;
            rs.globalStep = state.get("global_step").asLong();
            rs.trainable = JSON.convertValue(state.get("trainable"), new TypeReference<List<String>>() {});
            rs.finishedStages = JSON.convertValue(state.get("finished_stages"), new TypeReference<List<StageResult>>() {});
            JsonNode p = progressNode;
            Trainer.StageProgress progress = new Trainer.StageProgress();
            progress.epochsDone = p.get("epochs_done").asInt();
            progress.stageSteps = p.get("stage_steps").asLong();
            progress.best = p.get("best").asDouble();
            progress.bestEpoch = p.get("best_epoch").asInt();
            progress.badEpochs = p.get("bad_epochs").asInt();
            progress.stoppedEarly = p.get("stopped_early").asBoolean();
            progress.seconds = p.get("seconds").asDouble();
            progress.epochs = JSON.convertValue(p.get("epochs"), new TypeReference<List<EpochMetrics>>() {});
            SafetensorsFile opt = Safetensors.read(ckpt.resolve(OPTIMIZER));
            Map<String, float[]> tensors = new LinkedHashMap<>();
            opt.tensors().forEach((k, v) -> tensors.put(k, v.toFloats()));
            Map<String, Integer> optSteps = JSON.convertValue(state.get("optimizer_steps"), new TypeReference<Map<String, Integer>>() {});
            rs.optimizer = new OptimizerState(state.get("optimizer").asText(), tensors, optSteps);
            if (Files.isRegularFile(ckpt.resolve(BEST))) {
                Map<String, float[]> best = new LinkedHashMap<>();
                Safetensors.read(ckpt.resolve(BEST)).tensors().forEach((k, v) -> best.put(k, v.toFloats()));
                progress.bestWeights = best;
            }
            rs.progress = progress;
            ModelWeights.load(graph, ckpt.resolve(WEIGHTS));
            return rs;
        } catch (IOException e) {
            throw Trainer.unchecked(e);
        }
    }

    private static void checkFormat(JsonNode node, Path file) {
        String format = node.path("format").asText("");
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException(
                    "checkpoint file " + file + " has format '" + format + "', expected '" + FORMAT
                            + "'; it was written by another Floe version — resume with that version or start a new run");
        }
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "checkpoint file " + file + " is not valid JSON (" + e.getOriginalMessage() + "); the checkpoint is"
                            + " corrupted — start a new run",
                    e);
        }
    }

}
