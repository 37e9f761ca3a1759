/**
 * Experiments as YAML files: {@link dev.floe.config.ExperimentConfig} mirrors the file as validated
 * records (data, model, freeze policy, optimizer, training) and reports every problem as a
 * {@link dev.floe.config.ConfigException} naming file, line, column and key;
 * {@link dev.floe.run.Experiment} builds the graph and resolves the policy from it,
 * {@link dev.floe.config.ExperimentData} reads and selects the data, and
 * {@link dev.floe.run.ExperimentResult} records what a run measured with its provenance.
 */
package dev.floe.config;
