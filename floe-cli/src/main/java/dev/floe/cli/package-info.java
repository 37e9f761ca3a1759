/** The {@code floe} command line: {@code demo}, {@code train}, {@code plan}, with progress bars and tables. */
package dev.floe.cli;
