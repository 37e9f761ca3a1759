package dev.floe.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Draws a report's charts to PNG with JFreeChart, headless. */
final class Charts {

    /**
     * One drawn chart.
     *
     * @param section which part of the page it belongs to
     * @param title its heading
     * @param caption what it shows and what it leaves out
     * @param png the image
     */
    record Chart(Section section, String title, String caption, byte[] png) {}

    /** Where in the page a chart goes. */
    enum Section {
        PARETO,
        ACCURACY,
        CURVES
    }

    private static final Color OPTIMAL = new Color(0xC0392B);
    private static final Color OTHER = new Color(0x5D6D7E);
    private static final Color GRID = new Color(0xDDDDDD);
    /** Line colours of the learning curves (Tableau 10: distinguishable, none too pale on white). */
    private static final Color[] PALETTE = {new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759),
        new Color(0x76B7B2), new Color(0x59A14F), new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7),
        new Color(0x9C755F), new Color(0xBAB0AC)};
    /** Height of one row of legend entries under a learning-curve chart. */
    private static final int LEGEND_ROW_HEIGHT = 16;
    /** Approximate width of one legend character and of an entry's line sample, for sizing a legend. */
    private static final double LEGEND_CHAR_WIDTH = 6.5;
    private static final int LEGEND_ENTRY_EXTRA = 34;
    /** More variants than this: Pareto charts name only the optimal ones, bars lie horizontal, curves go wide. */
    private static final int MAX_LABELLED_POINTS = 8;
    private static final int WIDE = 1120;
    private static final int BAR_ROW_HEIGHT = 22;
    private static final int PARETO_WIDTH = 560;
    private static final int PARETO_HEIGHT = 400;
    private static final int CURVE_WIDTH = 560;
    private static final int CURVE_HEIGHT = 360;
    /** Share of an axis's range left free at its ends, so point labels are not cut off. */
    private static final double LABEL_ROOM = 0.12;
    /** A cost axis spanning more than this ratio is drawn logarithmic. */
    private static final double LOG_SPAN = 20;

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Charts() {}

    /** Every chart of the report, in page order; charts without data to draw are left out. */
    static List<Chart> render(Report report) {
        List<Chart> out = new ArrayList<>();
        addIfPresent(out, pareto(report, Metric.TRAIN_SECONDS, "train time (s)", "Accuracy vs train time"));
        addIfPresent(out, pareto(report, Metric.PEAK_RSS_MB, "peak memory (MiB)", "Accuracy vs peak memory"));
        addIfPresent(out, accuracyBars(report));
        out.addAll(curves(report));
        return out;
    }

    private static void addIfPresent(List<Chart> out, Chart c) {
        if (c != null) {
            out.add(c);
        }
    }

    private static Chart pareto(Report report, String costKey, String costLabel, String title) {
        record Point(String name, double cost, double accuracy, boolean optimal) {}
        List<Point> points = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Variant v : report.variants()) {
            double acc = v.mean(Metric.ACCURACY);
            double cost = v.mean(costKey);
            if (Double.isFinite(acc) && Double.isFinite(cost) && cost > 0) {
                points.add(new Point(v.name(), cost, 100 * acc, report.paretoOptimal(v.name(), costKey)));
            } else {
                missing.add(v.name());
            }
        }
        if (points.isEmpty()) {
            return null;
        }
        XYSeries optimal = new XYSeries("Pareto-optimal", false, true);
        XYSeries other = new XYSeries("dominated", false, true);
        XYSeries front = new XYSeries("Pareto front", false, true);
        Map<String, List<String>> labels = new LinkedHashMap<>();
        labels.put("Pareto-optimal", new ArrayList<>());
        labels.put("dominated", new ArrayList<>());
        for (Point p : points) {
            (p.optimal() ? optimal : other).add(p.cost(), p.accuracy());
            labels.get(p.optimal() ? "Pareto-optimal" : "dominated").add(p.name());
        }
        points.stream().filter(Point::optimal).sorted(Comparator.comparingDouble(Point::cost))
                .forEach(p -> front.add(p.cost(), p.accuracy()));
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(optimal);
        data.addSeries(other);
        data.addSeries(front);
        JFreeChart chart = ChartFactory.createScatterPlot(title, costLabel, "accuracy (%)", data);
        XYPlot plot = chart.getXYPlot();
        style(chart, plot);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
        Shape dot = new Ellipse2D.Double(-5, -5, 10, 10);
        r.setSeriesLinesVisible(0, false);
        r.setSeriesLinesVisible(1, false);
        r.setSeriesShapesVisible(2, false);
        r.setSeriesPaint(0, OPTIMAL);
        r.setSeriesPaint(1, OTHER);
        r.setSeriesPaint(2, OPTIMAL);
        r.setSeriesStroke(2, new BasicStroke(1.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {4f, 4f}, 0f));
        r.setSeriesShape(0, dot);
        r.setSeriesShape(1, new Rectangle2D.Double(-4, -4, 8, 8));
        r.setDefaultItemLabelGenerator((dataset, series, item) -> series < 2
                ? labels.get(series == 0 ? "Pareto-optimal" : "dominated").get(item) : null);
        boolean crowded = points.size() > MAX_LABELLED_POINTS;
        r.setDefaultItemLabelsVisible(true);
        r.setSeriesItemLabelsVisible(1, !crowded); // many points: name only the Pareto-optimal ones
        r.setSeriesItemLabelsVisible(2, false);
        r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        plot.setRenderer(r);
        double min = points.stream().mapToDouble(Point::cost).min().orElse(1);
        double max = points.stream().mapToDouble(Point::cost).max().orElse(1);
        if (max / min > LOG_SPAN) {
            LogAxis log = new LogAxis(costLabel + ", log scale");
            log.setSmallestValue(min / 2);
            log.setStandardTickUnits(NumberAxis.createStandardTickUnits());
            plot.setDomainAxis(log);
        }
        NumberAxis accuracy = (NumberAxis) plot.getRangeAxis();
        accuracy.setAutoRangeIncludesZero(false);
        accuracy.setUpperMargin(LABEL_ROOM); // room for the labels above the points
        plot.getDomainAxis().setLowerMargin(LABEL_ROOM);
        plot.getDomainAxis().setUpperMargin(LABEL_ROOM);
        String caption = "One point per variant: mean accuracy over its finished seeds against mean "
                + (Metric.TRAIN_SECONDS.equals(costKey) ? "train time" : "peak resident memory of the run's process")
                + ". Red circles are Pareto-optimal (no other variant is at least as accurate for no more cost and"
                + " better in one); the dashed line joins them."
                + (crowded ? " With " + points.size() + " variants only the Pareto-optimal ones are named; the table"
                        + " has every variant's numbers." : "")
                + (missing.isEmpty() ? "" : " Not drawn (failed or not recorded): " + String.join(", ", missing) + ".");
        return new Chart(Section.PARETO, title, caption, png(chart, PARETO_WIDTH, PARETO_HEIGHT));
    }

    private static Chart accuracyBars(Report report) {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        List<String> missing = new ArrayList<>();
        for (Variant v : report.variants()) {
            Stat s = v.stats().get(Metric.ACCURACY);
            if (s == null) {
                missing.add(v.name());
            } else {
                data.add(100 * s.mean(), s.hasStd() ? 100 * s.std() : 0, "accuracy", v.name());
            }
        }
        if (data.getColumnCount() == 0) {
            return null;
        }
        boolean horizontal = data.getColumnCount() > MAX_LABELLED_POINTS; // long names read across
        JFreeChart chart = ChartFactory.createBarChart("Accuracy per variant", null, "accuracy (%)", data,
                horizontal ? PlotOrientation.HORIZONTAL : PlotOrientation.VERTICAL, false, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        chart.setBackgroundPaint(Color.WHITE);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(GRID);
        StatisticalBarRenderer r = new StatisticalBarRenderer();
        r.setSeriesPaint(0, new Color(0x2E86C1));
        r.setErrorIndicatorPaint(Color.BLACK);
        r.setShadowVisible(false);
        r.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        r.setMaximumBarWidth(0.12);
        plot.setRenderer(r);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(true);
        int width = PARETO_WIDTH;
        int height = PARETO_HEIGHT;
        if (horizontal) {
            plot.getDomainAxis().setMaximumCategoryLabelWidthRatio(0.45f);
            r.setMaximumBarWidth(0.7);
            width = WIDE;
            height = 120 + BAR_ROW_HEIGHT * data.getColumnCount();
        } else {
            plot.getDomainAxis().setMaximumCategoryLabelLines(2);
        }
        String caption = "Bar: mean accuracy over the variant's finished seeds; error bar: ± one standard deviation"
                + " (none with a single seed)."
                + (missing.isEmpty() ? "" : " Not drawn (failed or no accuracy recorded): " + String.join(", ", missing) + ".");
        return new Chart(Section.ACCURACY, "Accuracy per variant", caption, png(chart, width, height));
    }

    private static List<Chart> curves(Report report) {
        Map<String, XYSeriesCollection> accuracy = new LinkedHashMap<>();
        Map<String, XYSeriesCollection> loss = new LinkedHashMap<>();
        for (Variant v : report.variants()) {
            for (Variant.Curve c : v.curves()) {
                addCurve(accuracy.computeIfAbsent(c.stage(), k -> new XYSeriesCollection()), v.name(), c.evalAccuracy(), 100);
                addCurve(loss.computeIfAbsent(c.stage(), k -> new XYSeriesCollection()), v.name(), c.trainLoss(), 1);
            }
        }
        List<Chart> out = new ArrayList<>();
        for (String stage : accuracy.keySet()) {
            XYSeriesCollection acc = accuracy.get(stage);
            if (acc.getSeriesCount() > 0) {
                out.add(curve("Stage " + stage + ": eval accuracy", "accuracy (%)", acc,
                        "Evaluation accuracy after each epoch of stage " + stage + ", mean over each variant's finished seeds."));
            }
            XYSeriesCollection l = loss.get(stage);
            if (l.getSeriesCount() > 0) {
                out.add(curve("Stage " + stage + ": train loss", "mean train loss", l,
                        "Mean training loss of each epoch of stage " + stage + ", mean over each variant's finished seeds."));
            }
        }
        return out;
    }

    private static void addCurve(XYSeriesCollection to, String name, List<Stat> perEpoch, double scale) {
        XYSeries s = new XYSeries(name, false, true);
        for (int i = 0; i < perEpoch.size(); i++) {
            Stat st = perEpoch.get(i);
            if (st != null) {
                s.add(i + 1, scale * st.mean());
            }
        }
        if (!s.isEmpty()) {
            to.addSeries(s);
        }
    }

    private static Chart curve(String title, String yLabel, XYSeriesCollection data, String caption) {
        JFreeChart chart = ChartFactory.createXYLineChart(title, "epoch", yLabel, data);
        XYPlot plot = chart.getXYPlot();
        style(chart, plot);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesShape(i, new Ellipse2D.Double(-3, -3, 6, 6));
            r.setSeriesStroke(i, i < PALETTE.length ? new BasicStroke(1.6f)
                    : new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {5f, 3f}, 0f));
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        plot.setRenderer(r);
        NumberAxis x = (NumberAxis) plot.getDomainAxis();
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        int width = data.getSeriesCount() > MAX_LABELLED_POINTS ? WIDE : CURVE_WIDTH;
        double legendWidth = 0;
        for (int i = 0; i < data.getSeriesCount(); i++) {
            legendWidth += LEGEND_ENTRY_EXTRA + LEGEND_CHAR_WIDTH * data.getSeriesKey(i).toString().length();
        }
        int legendRows = (int) Math.ceil(legendWidth / (width - 2 * LEGEND_ENTRY_EXTRA));
        return new Chart(Section.CURVES, title, caption,
                png(chart, width, CURVE_HEIGHT + LEGEND_ROW_HEIGHT * Math.max(0, legendRows - 1)));
    }

    private static void style(JFreeChart chart, XYPlot plot) {
        chart.setBackgroundPaint(Color.WHITE);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
    }

    private static byte[] png(JFreeChart chart, int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot draw the chart '" + chart.getTitle().getText() + "': " + e.getMessage(), e);
        }
        return out.toByteArray();
    }
}
