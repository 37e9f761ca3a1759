package dev.floe.data;

/**
 * How the readers' error messages name the options a user can change to fix a file problem. The
 * default, {@link #BUILDER}, names the builder methods ({@code optLabelColumn}, ...); a program that
 * reads its options from a config file passes the config's keys instead, so that its users are told
 * which key to change ({@code data.label_column}).
 *
 * <p>A null name means the caller offers no such option; messages then suggest changing the file.
 *
 * @param labelColumn the option choosing the label column by its header name
 * @param labelIndex the option choosing the label column by its 0-based position
 * @param header the option saying whether the first line holds column names
 * @param delimiter the option choosing the character between cells
 * @param numClasses the option giving the number of classes
 */
public record OptionNames(String labelColumn, String labelIndex, String header, String delimiter, String numClasses) {

    /** The builder methods of {@link CsvReader}. */
    public static final OptionNames BUILDER =
            new OptionNames("optLabelColumn", "optLabelIndex", "optHeader", "optDelimiter", "optNumClasses");
}
