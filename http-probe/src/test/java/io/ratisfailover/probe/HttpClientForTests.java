package io.ratisfailover.probe;

/** Lets tests outside this package send a request with the package's HTTP client. */
public final class HttpClientForTests {
  private final Http http;

  public HttpClientForTests(String base) {
    this.http = new Http(base);
  }

  /** {@code "<status> <body>"}. */
  public String post(String path, String body) {
    var r = http.send("POST", path, body);
    return r.statusCode() + " " + r.body();
  }

  /** {@code "<status> <body>"}. */
  public String get(String path) {
    var r = http.get(path);
    return r.statusCode() + " " + r.body();
  }
}
