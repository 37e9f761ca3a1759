package dev.floe.profile.report;

import dev.floe.profile.ComponentProfile;
import dev.floe.profile.LayerProfile;
import dev.floe.profile.Profile;
import dev.floe.report.Png;
import java.awt.Color;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG charts of a profile. Rendering is headless; no display is needed. */
public final class ProfileCharts {

    /** File name of the per-layer gradient-norm chart. */
    public static final String GRADIENT_NORMS = "grad_norms.png";
    /** File name of the per-component forward and backward time chart. */
    public static final String COMPONENT_TIME = "component_time.png";
    /** File name of the per-component activation memory chart. */
    public static final String COMPONENT_MEMORY = "component_memory.png";

    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;
    private static final double BYTES_PER_KIB = 1024.0;

    private ProfileCharts() {}

    /** Every chart as PNG bytes, by file name, in the order a report shows them. */
    public static Map<String, byte[]> render(Profile profile) {
        System.setProperty("java.awt.headless", "true");
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put(GRADIENT_NORMS, png(gradientNorms(profile)));
        out.put(COMPONENT_TIME, png(componentTime(profile)));
        out.put(COMPONENT_MEMORY, png(componentMemory(profile)));
        return out;
    }

    /**
     * One line per layer: its gradient norm at every step, on a log scale (steps where a layer got
     * no gradient at all are left out of the line).
     */
    static JFreeChart gradientNorms(Profile profile) {
        XYSeriesCollection data = new XYSeriesCollection();
        boolean anyPositive = false;
        for (LayerProfile l : profile.layers()) {
            if (l.params() == 0) {
                continue;
            }
            XYSeries s = new XYSeries(l.layer() + " (" + l.state() + ")");
            double[] v = l.gradNorm().perStep();
            for (int i = 0; i < v.length; i++) {
                if (v[i] > 0) {
                    s.add(i + 1, v[i]);
                    anyPositive = true;
                }
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart("Gradient norm per layer (all parameters measured)", "step",
                "L2 norm of the loss gradient", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        if (anyPositive) {
            LogAxis log = new LogAxis("L2 norm of the loss gradient (log scale)");
            log.setSmallestValue(1e-12);
            log.setNumberFormatOverride(new java.text.DecimalFormat("0.##E0"));
            plot.setRangeAxis(log);
        }
        ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        style(chart);
        return chart;
    }

    /** Forward and backward milliseconds per step, stacked, per component. */
    static JFreeChart componentTime(Profile profile) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (ComponentProfile c : profile.components()) {
            data.addValue(c.forwardMillis(), "forward", c.component());
            data.addValue(c.backwardMillis(), "backward", c.component());
        }
        JFreeChart chart = ChartFactory.createStackedBarChart("Time per step by component", "component",
                "milliseconds per step", data, PlotOrientation.VERTICAL, true, false, false);
        style(chart);
        return chart;
    }

    /** Bytes of activations per step, per component. */
    static JFreeChart componentMemory(Profile profile) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (ComponentProfile c : profile.components()) {
            data.addValue(c.activationBytes() / BYTES_PER_KIB, "activations", c.component());
        }
        JFreeChart chart = ChartFactory.createBarChart("Activation memory per step by component", "component", "KiB",
                data, PlotOrientation.VERTICAL, false, false, false);
        style(chart);
        return chart;
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(new Color(0xF7, 0xF7, 0xF7));
    }

    private static byte[] png(JFreeChart chart) {
        return Png.encode(chart.createBufferedImage(WIDTH, HEIGHT));
    }
}
