package io.ratisfailover;

/** A {@code host:port} pair, parsed strictly so a typo in a configuration file fails at start. */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range 1..65535");
    }
  }

  /**
   * Parses {@code host:port} or {@code [v6]:port}.
   *
   * @param what names the value in the error message, for example "raft address of peer pg1"
   */
  public static HostPort parse(String text, String what) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(what + " is missing");
    }
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(what + " '" + text + "' is not of the form host:port");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " '" + text + "' has a port that is not a number", e);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " '" + text + "' has port " + port + " outside 1..65535");
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
