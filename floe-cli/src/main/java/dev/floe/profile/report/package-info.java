/**
 * What {@code floe profile} writes besides {@code profile.json}: PNG charts of a
 * {@link dev.floe.profile.Profile} (JFreeChart) and a self-contained HTML page that embeds them.
 */
package dev.floe.profile.report;
