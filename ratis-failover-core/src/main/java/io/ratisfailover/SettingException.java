package io.ratisfailover;

/**
 * A setting a builder refuses. {@link #setting()} names it as the builder's method does
 * ({@code peers}, {@code storageDirectory}, {@code postgres.statusTimeout}); {@link #detail()} says
 * what is wrong in words that do not depend on that name, so that a configuration file can report
 * the problem under its own key. The message is one line meant for a person.
 */
public final class SettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String setting;
  private final String detail;

  private SettingException(String setting, String message, String detail) {
    super(message);
    this.setting = setting;
    this.detail = detail;
  }

  /** A problem whose words already name the setting, such as "peer pg1 is listed twice". */
  public static SettingException worded(String setting, String message) {
    return new SettingException(setting, message, message);
  }

  /** A problem reported after the setting's name: {@code "<setting>: <detail>"}. */
  public static SettingException at(String setting, String detail) {
    return new SettingException(setting, setting + ": " + detail, detail);
  }

  public String setting() {
    return setting;
  }

  public String detail() {
    return detail;
  }
}
