package dev.floe.schedule;

import dev.floe.freeze.FreezePolicy;
import dev.floe.freeze.FreezeRule;
import dev.floe.graph.Component;
import dev.floe.graph.ModelGraph;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The stages of a run, in order. Progressive unfreezing is not special code: it is a schedule
 * made by {@link #progressive}.
 *
 * @param stages at least one, with unique names
 */
public record Schedule(List<Stage> stages) {

    /**
     * Copies the stage list and checks it.
     *
     * @param stages at least one, with unique names
     * @throws IllegalArgumentException if there is no stage or two stages share a name
     */
    public Schedule {
        if (stages == null || stages.isEmpty()) {
            throw new IllegalArgumentException("a schedule needs at least one stage");
        }
        stages = List.copyOf(stages);
        Set<String> names = new HashSet<>();
        for (Stage s : stages) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("two stages are named '" + s.name() + "'; stage names must be unique");
            }
        }
    }

    /**
     * A single stage.
     *
     * @param stage the only stage
     * @return a schedule of that one stage
     */
    public static Schedule single(Stage stage) {
        return new Schedule(List.of(stage));
    }

    /**
     * ULMFiT-style gradual unfreezing: the first stage trains everything except {@code encoder}
     * (typically just the head); each further stage unfreezes one more of the encoder's declared
     * layers ({@link Component#layerOrder()}), from the top, at {@code lrScale} times the base rate,
     * while earlier-unfrozen layers keep training. Each stage restarts {@code lr} with its own
     * warm-up.
     *
     * @return the stages: one for the head, then one per unfrozen layer, named after what they
     *     unfreeze
     * @param graph the graph whose {@code encoder} component gives the layer order
     * @param encoder the component to unfreeze gradually
     * @param base the policy whose rules come before the schedule's own (for example other frozen
     *     components) and whose settings (layer decay, train_bn) every stage keeps
     * @param unfreezeLayers how many of the encoder's layers to unfreeze, one per stage (≥ 1)
     * @param epochsPerStage budget of every stage
     * @param lrScale learning-rate scale of unfrozen encoder layers
     * @param lr per-stage schedule
     * @param earlyStopping per-stage early stopping, or null
     * @throws IllegalArgumentException if the component declares no layer order or fewer layers
     */
    public static Schedule progressive(
            ModelGraph graph,
            String encoder,
            FreezePolicy base,
            int unfreezeLayers,
            int epochsPerStage,
            double lrScale,
            LrSchedule lr,
            EarlyStopping earlyStopping) {
        List<String> layers = graph.component(encoder).layerOrder();
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(
                    "component " + encoder + " declares no layer order, so it cannot be unfrozen layer by layer;"
                            + " use explicit stages instead");
        }
        if (unfreezeLayers < 1 || unfreezeLayers > layers.size()) {
            throw new IllegalArgumentException(
                    "progressive: unfreeze_layers is " + unfreezeLayers + "; " + encoder + " has " + layers.size()
                            + " layers " + layers + ", so choose 1 to " + layers.size());
        }
        List<Stage> stages = new ArrayList<>();
        List<FreezeRule> rules = new ArrayList<>(base.rules());
        rules.add(FreezeRule.freeze(encoder + "/**"));
        stages.add(new Stage("head", base.withRules(rules), epochsPerStage, lr, earlyStopping));
        for (int k = 1; k <= unfreezeLayers; k++) {
            String layer = layers.get(layers.size() - k);
            rules = new ArrayList<>(rules);
            rules.add(FreezeRule.train(encoder + "/" + layer + "/**", lrScale));
            stages.add(new Stage("unfreeze-" + layer, base.withRules(rules), epochsPerStage, lr, earlyStopping));
        }
        return new Schedule(stages);
    }
}
