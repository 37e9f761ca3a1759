package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.data.FashionMnist;
import dev.floe.io.Json;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code floe predict} and {@code floe eval} on a tiny IDX image run that keeps five of the ten classes. */
class PredictImagesTest {

    static final String CONFIG = """
            seed: 2
            data:
              format: idx
              train: {images: fashion-mnist/test-images-idx3-ubyte.gz, labels: fashion-mnist/test-labels-idx1-ubyte.gz}
              num_classes: 10
              limit: 200
              classes: [5, 6, 7, 8, 9]
              eval_fraction: 0.25
            model:
              inputs: {image: "[batch, 1, 28, 28]"}
              components:
                - {name: encoder, type: conv_encoder, widths: [4, 8]}
                - {name: head, type: linear_head, features: 8, classes: 5}
              wires: [{from: image, to: encoder.in}, {from: encoder.features, to: head.in}]
              outputs: {logits: head.logits}
            optimizer: {type: adamw, lr: 0.01}
            training: {epochs: 1, batch_size: 16}
            """;

    @TempDir
    Path dir;

    /** The first {@code n} images of the test set as an uncompressed IDX file. */
    private Path firstImages(int n) throws Exception {
        Path source = FashionMnist.locateDatasets().resolve("fashion-mnist/test-images-idx3-ubyte.gz");
        Path out = dir.resolve("few-images.idx");
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(source)));
                DataOutputStream o = new DataOutputStream(Files.newOutputStream(out))) {
            o.writeInt(in.readInt());
            in.readInt();
            o.writeInt(n);
            o.writeInt(in.readInt());
            o.writeInt(in.readInt());
            o.write(in.readNBytes(n * 28 * 28));
        }
        return out;
    }

    @Test
    void imagesWithoutLabelsArePredictedWithTheKeptClassNumbers() throws Exception {
        Path config = Files.writeString(dir.resolve("images.yaml"), CONFIG);
        Path run = dir.resolve("run");
        Result train = floe("train", config.toString(), "--out", run.toString(), "--no-progress");
        assertEquals(0, train.code(), train.err());

        Path out = dir.resolve("p.csv");
        Result predict = floe("predict", run.toString(), "--input", firstImages(20).toString(), "--out", out.toString());

        assertEquals(0, predict.code(), predict.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals("index,predicted,p_5,p_6,p_7,p_8,p_9", lines.get(0));
        assertEquals(21, lines.size());
        for (String line : lines.subList(1, 21)) {
            int predicted = Integer.parseInt(line.split(",")[1]);
            assertTrue(predicted >= 5 && predicted <= 9, line);
        }

        Result eval = floe("eval", run.toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        JsonNode fin = Json.mapper().readTree(run.resolve(TrainCommand.METRICS_FILE).toFile()).get("final_eval");
        assertEquals(fin.get("loss").asDouble(), Json.mapper().readTree(eval.out()).get("loss").asDouble(), 0.0);
        assertEquals("[\"5\",\"6\",\"7\",\"8\",\"9\"]", fin.get("labels").toString(), "train names the kept classes");
        assertEquals("5", Json.mapper().readTree(eval.out()).get("per_class").get(0).get("class").asText());

        Result needsLabels = floe("eval", run.toString(), "--data", firstImages(20).toString());
        assertEquals(2, needsLabels.code());
        assertTrue(needsLabels.err().contains("--labels"), needsLabels.err());

        // --explain names pixels by row and column; a black pixel adds nothing against the black baseline
        Path images = firstImages(3);
        byte[] pixels = Files.readAllBytes(images);
        Path explained = dir.resolve("explained.jsonl");
        Result explain = floe("predict", run.toString(), "--input", images.toString(), "--out", explained.toString(),
                "--explain", "--top", "5", "--steps", "4");
        assertEquals(0, explain.code(), explain.err());
        List<String> rows = Files.readAllLines(explained);
        assertEquals(3, rows.size());
        for (int i = 0; i < 3; i++) {
            for (JsonNode c : Json.mapper().readTree(rows.get(i)).get("explanation")) {
                int position = c.get("position").asInt();
                assertEquals("row " + position / 28 + " col " + position % 28, c.get("input").asText(), rows.get(i));
                int pixel = pixels[16 + i * 28 * 28 + position] & 0xff;
                assertTrue(pixel > 0, "pixel " + c + " of image " + i + " is black but has a contribution");
            }
        }
    }
}
