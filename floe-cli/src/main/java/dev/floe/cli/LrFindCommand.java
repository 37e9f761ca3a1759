package dev.floe.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.freeze.FreezePlan;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Fingerprint;
import dev.floe.io.Json;
import dev.floe.optim.GroupedOptimizer;
import dev.floe.optim.OptimizerState;
import dev.floe.optim.ParamGroup;
import dev.floe.run.Experiment;
import dev.floe.train.LrFinder;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code floe lr-find CONFIG --out DIR [--steps N] [--start-lr X] [--end-lr Y] [--force]}: the
 * learning-rate range test ({@link LrFinder}) on the model, data, policy and optimizer of a config;
 * writes {@value #JSON_FILE} (settings, groups, every step, the suggestion and its rule) and
 * {@value #PNG_FILE} (the loss curve), each atomically.
 */
@Command(
        name = "lr-find",
        mixinStandardHelpOptions = true,
        description = "Sweep the learning rate exponentially over a few hundred steps with the config's own model,"
                + " data, policy (only what trains; per-group lr_scale kept) and optimizer; write the loss curve"
                + " (lr-find.png, lr-find.json) and print a suggested optimizer.lr. The config's model is left as it was.")
final class LrFindCommand implements Callable<Integer> {

    /** The curve and the suggestion. */
    static final String JSON_FILE = "lr-find.json";
    /** The curve as a picture. */
    static final String PNG_FILE = "lr-find.png";
    private static final int WIDTH = 720;
    private static final int HEIGHT = 440;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "experiment config (YAML)")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for lr-find.json and lr-find.png")
    Path out;

    @Option(names = "--force", description = "write into a folder that is not empty, replacing lr-find.json and lr-find.png")
    boolean force;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "200",
            description = "optimizer steps at most, one batch each (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--start-lr", paramLabel = "LR", defaultValue = "1e-7", description = "first rate (default: ${DEFAULT-VALUE})")
    double startLr;

    @Option(names = "--end-lr", paramLabel = "LR", defaultValue = "10", description = "last rate (default: ${DEFAULT-VALUE})")
    double endLr;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        LrFinder.Settings settings = settings();
        ExperimentConfig cfg = ExperimentConfig.load(config);
        Path base = PlanCommand.folderOf(config);
        try (Experiment experiment = PlanCommand.build(cfg, config)) {
            ExperimentData data;
            try {
                data = ExperimentData.load(cfg, base);
                experiment.check(data);
            } catch (ConfigException e) {
                throw e.withSource(config.toString());
            }
            if (!data.tasks().isEmpty()) {
                throw new IllegalArgumentException(config + " trains " + data.tasks().size() + " tasks; lr-find sweeps"
                        + " one task's loss — write a config with one task (no tasks: section) to find its rate");
            }
            boolean existed = java.nio.file.Files.exists(out);
            Path dir = OutputDir.prepare(out, "lr-find", force);
            try {
                sweep(stdout, settings, cfg, experiment, data, dir);
            } catch (RuntimeException | IOException e) {
                if (!existed) {
                    AtomicFiles.deleteTree(dir); // leave no empty or half-written folder behind
                }
                throw e;
            }
        }
        stdout.flush();
        return 0;
    }

    private void sweep(PrintWriter stdout, LrFinder.Settings settings, ExperimentConfig cfg, Experiment experiment,
            ExperimentData data, Path dir) throws IOException {
        FreezePlan plan = experiment.plan();
        plan.apply();
        ExperimentConfig.Training t = cfg.training();
        String output = experiment.graph().outputs().keySet().iterator().next();
        try (GroupedOptimizer optimizer = GroupedOptimizer.of(experiment.optimizer())) {
            optimizer.setGroups(plan.groups(experiment.optimizer()));
            String weightsBefore = Fingerprint.weights(experiment.graph().parameters().values());
            OptimizerState stateBefore = optimizer.exportState();
            LrFinder.Result r = LrFinder.run(experiment.graph(), optimizer,
                    new LrFinder.Batches(data.train(), output, t.batchSize(), plan.trainingContext(),
                            t.clipGradNorm(), cfg.seed()),
                    settings);
            String weightsAfter = Fingerprint.weights(experiment.graph().parameters().values());
            if (!weightsAfter.equals(weightsBefore) || !sameState(stateBefore, optimizer.exportState())) {
                throw new IllegalStateException("the LR sweep did not restore the model (weights " + weightsBefore
                        + " before, " + weightsAfter + " after) or the optimizer state; this is a bug in floe");
            }
            byte[] png = chart(r);
            ObjectNode json = json(r, settings, optimizer, experiment);
            json.put("weights_before", weightsBefore);
            json.put("weights_after", weightsAfter);
            json.put("optimizer_state_restored", true);
            AtomicFiles.writeString(dir.resolve(JSON_FILE), Json.write(json));
            AtomicFiles.writeBytes(dir.resolve(PNG_FILE), png);
            stdout.printf(Locale.ROOT, "swept %s from %.1e to %.1e: %d steps of batch %d in %.1f s%s%n",
                    experiment.optimizer().name(), settings.startLr(), r.points().get(r.points().size() - 1).lr(),
                    r.points().size(), t.batchSize(), r.seconds(),
                    r.diverged() ? " (stopped: the loss diverged)" : "");
            stdout.printf(Locale.ROOT, "suggested optimizer.lr: %.2e (%s)%n", r.suggestedLr(), r.rule());
            stdout.printf(Locale.ROOT, "lowest smoothed loss at %.2e; a tenth of it: %.2e; the config has %s%n",
                    r.minLossLr(), r.minLossLrOver10(), experiment.optimizer().lr());
            stdout.printf(Locale.ROOT, "wrote %s and %s; the model and optimizer were restored as they were"
                    + " (weights %s before and after)%n", dir.resolve(JSON_FILE), dir.resolve(PNG_FILE), weightsAfter);
        }
    }

    /** Same step counts and bit-identical state tensors. */
    private static boolean sameState(OptimizerState a, OptimizerState b) {
        return a.steps().equals(b.steps()) && a.tensors().keySet().equals(b.tensors().keySet())
                && a.tensors().entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), b.tensors().get(e.getKey())));
    }

    private LrFinder.Settings settings() {
        try {
            return new LrFinder.Settings(startLr, endLr, steps, LrFinder.Settings.DEFAULT.divergence(),
                    LrFinder.Settings.DEFAULT.smoothing());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--start-lr " + startLr + " --end-lr " + endLr + " --steps " + steps
                    + ": " + e.getMessage(), e);
        }
    }

    private ObjectNode json(LrFinder.Result r, LrFinder.Settings s, GroupedOptimizer optimizer, Experiment experiment) {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("config", config.toString());
        root.put("optimizer", experiment.optimizer().name());
        root.put("config_lr", experiment.optimizer().lr());
        root.put("suggested_lr", r.suggestedLr());
        root.put("rule", r.rule());
        root.put("min_loss_lr", r.minLossLr());
        root.put("min_loss_lr_over_10", r.minLossLrOver10());
        root.put("diverged", r.diverged());
        root.put("seconds", r.seconds());
        ObjectNode settings = root.putObject("settings");
        settings.put("start_lr", s.startLr());
        settings.put("end_lr", s.endLr());
        settings.put("steps", s.steps());
        settings.put("divergence", s.divergence());
        settings.put("smoothing", s.smoothing());
        ArrayNode groups = root.putArray("groups");
        for (ParamGroup g : optimizer.groups()) {
            ObjectNode o = groups.addObject();
            o.put("name", g.name());
            o.put("lr_scale", g.lrScale());
            o.put("tensors", g.params().size());
        }
        ArrayNode points = root.putArray("points");
        for (LrFinder.Point p : r.points()) {
            ObjectNode o = points.addObject();
            o.put("step", p.step());
            o.put("lr", p.lr());
            putFinite(o, "loss", p.loss());
            putFinite(o, "smoothed_loss", p.smoothedLoss());
        }
        return root;
    }

    /** JSON has no NaN or infinity: a non-finite loss is written as null. */
    private static void putFinite(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    /** Loss and smoothed loss against the rate (log axis), with the suggestion marked. */
    static byte[] chart(LrFinder.Result r) throws IOException {
        XYSeries raw = new XYSeries("loss per step");
        XYSeries smooth = new XYSeries("smoothed loss");
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (LrFinder.Point p : r.points()) {
            if (Double.isFinite(p.loss())) {
                raw.add(p.lr(), p.loss());
                lo = Math.min(lo, p.loss());
            }
            if (Double.isFinite(p.smoothedLoss())) {
                smooth.add(p.lr(), p.smoothedLoss());
                hi = Math.max(hi, p.smoothedLoss());
                lo = Math.min(lo, p.smoothedLoss());
            }
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(raw);
        data.addSeries(smooth);
        JFreeChart chart = ChartFactory.createXYLineChart(
                String.format(Locale.ROOT, "LR range test: suggested %.2e", r.suggestedLr()), "learning rate", "loss", data);
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        LogAxis x = new LogAxis("learning rate");
        x.setSmallestValue(1e-12);
        plot.setDomainAxis(x);
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        if (lo < hi) {
            double pad = (hi - lo) * 0.05;
            y.setRange(lo - pad, hi + pad); // raw spikes past the smoothed curve's range are cut
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        renderer.setSeriesPaint(0, new Color(0xB0C4DE));
        renderer.setSeriesStroke(0, new BasicStroke(1f));
        renderer.setSeriesPaint(1, new Color(0x4E79A7));
        renderer.setSeriesStroke(1, new BasicStroke(2.2f));
        plot.setRenderer(renderer);
        ValueMarker marker = new ValueMarker(r.suggestedLr(), new Color(0xC0392B), new BasicStroke(1.5f));
        marker.setLabel(String.format(Locale.ROOT, "%.1e", r.suggestedLr()));
        plot.addDomainMarker(marker);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(bytes, chart, WIDTH, HEIGHT);
        return bytes.toByteArray();
    }
}
