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
 * @param dropColumns the option naming columns to ignore
 * @param labelValues the option listing the label values in class order
 */
public record OptionNames(String labelColumn, String labelIndex, String header, String delimiter, String numClasses,
        String dropColumns, String labelValues) {

    /** The builder methods of {@link CsvReader}. */
    public static final OptionNames BUILDER = new OptionNames("optLabelColumn", "optLabelIndex", "optHeader",
            "optDelimiter", "optNumClasses", "optDropColumns", "optLabelValues");

    /**
     * Names for a caller that offers no way to drop columns or list label values.
     *
     * @param labelColumn name of the label column option
     * @param labelIndex name of the label index option
     * @param header name of the header option
     * @param delimiter name of the delimiter option
     * @param numClasses name of the number-of-classes option
     */
    public OptionNames(String labelColumn, String labelIndex, String header, String delimiter, String numClasses) {
        this(labelColumn, labelIndex, header, delimiter, numClasses, null, null);
    }
}
