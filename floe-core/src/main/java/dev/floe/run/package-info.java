/**
 * The run model: {@link dev.floe.run.RunManifest}, written as {@code manifest.json} into every run
 * folder, what made a run and what it gave; reading, writing and comparing manifests; rerunning a
 * run from its manifest.
 */
package dev.floe.run;
