package io.ratisfailover.witness;

import java.nio.file.Path;

/**
 * The witness's command line: {@code --config FILE} (required), {@code --check}, {@code --rejoin}
 * and {@code --help}. A wrong argument is refused with one line that names it.
 */
record WitnessArguments(Path config, boolean check, boolean rejoin, boolean help) {
  static final String USAGE = """
      Usage: ratis-failover-witness -c=FILE [--check] [--rejoin]
      Runs a witness: votes and arbitrates for one or more clusters; holds no data.
        -c, --config=FILE   The YAML configuration file.
            --check         Check the configuration and exit.
            --rejoin        Recovery after this witness's Raft storage was lost or restored from an older
                            copy (its start is refused otherwise): leave each cluster's Raft voters, discard
                            the storage, start blank and be added back once caught up. Needs the other
                            members of each cluster up. For one start only.
        -h, --help          Show this help message and exit.""";

  static WitnessArguments parse(String... args) {
    Path config = null;
    boolean check = false;
    boolean rejoin = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String inline = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("-") && eq > 0) {
        inline = arg.substring(eq + 1);
        arg = arg.substring(0, eq);
      }
      switch (arg) {
        case "-c", "--config" -> {
          if (inline == null && i + 1 >= args.length) {
            throw new IllegalArgumentException("Missing required parameter for option '--config' (FILE)");
          }
          config = Path.of(inline != null ? inline : args[++i]);
        }
        case "--check" -> check = flag(arg, inline);
        case "--rejoin" -> rejoin = flag(arg, inline);
        case "-h", "--help" -> {
          return new WitnessArguments(config, check, rejoin, true);
        }
        default -> throw new IllegalArgumentException("Unknown option: '" + args[i] + "'");
      }
    }
    if (config == null) {
      throw new IllegalArgumentException("Missing required option: '--config=FILE'");
    }
    return new WitnessArguments(config, check, rejoin, false);
  }

  private static boolean flag(String name, String inline) {
    if (inline != null) {
      throw new IllegalArgumentException("Option '" + name + "' takes no value");
    }
    return true;
  }
}
