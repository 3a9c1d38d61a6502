package net.aegirj.provision.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Builds picocli command models in code, for the commands a short run names most ({@code show},
 * {@code list}, {@code save} and the top-level command). picocli reads a {@code @Command} class by
 * reflection, and the first annotation a JVM reads makes it generate a proxy class per annotation
 * type: for a short command that was a tenth of the process (issue 19, start-up). A command
 * built here keeps its values in the model; it takes them with {@link CliCommand#bind(CommandSpec)}
 * once the line is parsed.
 */
final class Specs {
  private Specs() {}

  /**
   * @param userObject the command object ({@link CliCommand#execute} is called on it)
   * @param name the command's name
   * @param description the paragraphs of its help
   * @return a model with the usual settings: options in declaration order, no reflection
   */
  static CommandSpec command(Object userObject, String name, String... description) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(userObject);
    spec.name(name);
    spec.usageMessage().sortOptions(false).description(description);
    return spec;
  }

  /**
   * @param names the option's names
   * @param description its help
   * @return an option that takes no value
   */
  static OptionSpec flag(String[] names, String... description) {
    return OptionSpec.builder(names).type(boolean.class).arity("0").description(description).build();
  }

  /**
   * @param name the option's name
   * @param label the value's label in the help
   * @param description its help
   * @return an option that takes one text value
   */
  static OptionSpec value(String name, String label, String... description) {
    return OptionSpec.builder(name).type(String.class).arity("1").paramLabel(label).description(description)
        .build();
  }

  /** @return {@code -h, --help} */
  static OptionSpec help() {
    return OptionSpec.builder("-h", "--help").type(boolean.class).arity("0").usageHelp(true)
        .description("Show this help.").build();
  }

  /**
   * @param label the label in the help
   * @param arity how many values, as picocli writes it ({@code 1..*})
   * @param description its help
   * @return a list of positional values
   */
  static PositionalParamSpec positionals(String label, String arity, String... description) {
    // picocli derives "required" from the arity of an annotation, not of a builder.
    return PositionalParamSpec.builder().paramLabel(label).arity(arity).required(!arity.startsWith("0"))
        .type(List.class).auxiliaryTypes(String.class).description(description).build();
  }

  /**
   * @param spec a parsed model
   * @param name an option of it that takes no value
   * @return whether it was given
   */
  static boolean flag(CommandSpec spec, String name) {
    Object v = spec.findOption(name).getValue();
    return Boolean.TRUE.equals(v);
  }

  /**
   * @param spec a parsed model
   * @param name an option of it that takes a value
   * @return its value, or null when it was not given
   */
  static String value(CommandSpec spec, String name) {
    return spec.findOption(name).getValue();
  }

  /**
   * @param spec a parsed model with one list of positional values
   * @return the values given, in order (a new list)
   */
  static List<String> positionals(CommandSpec spec) {
    List<String> values = spec.positionalParameters().get(0).getValue();
    return values == null ? new ArrayList<>() : new ArrayList<>(values);
  }
}
