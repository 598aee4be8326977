package io.ratisfailover.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Collects samples per scenario and metric, and renders median and worst as Markdown and JSON. */
public final class Results {
  /** One metric of one scenario over all its runs. */
  record Summary(String scenario, String metric, int runs, double median, double worst, double best, List<Double> samples) {}

  private final Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();
  private final Map<String, List<String>> failures = new LinkedHashMap<>();
  private final Map<String, String> descriptions = new LinkedHashMap<>();

  void describe(Scenario scenario) {
    describe(scenario.name(), scenario.description());
  }

  /** Where and when the numbers were taken, for the JSON file. */
  public static Map<String, Object> environment(int runs) {
    Map<String, Object> environment = new LinkedHashMap<>();
    environment.put("when", java.time.Instant.now().toString());
    environment.put("cores", Runtime.getRuntime().availableProcessors());
    environment.put("java", System.getProperty("java.version"));
    environment.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    environment.put("runs", runs);
    return environment;
  }

  public void describe(String scenario, String description) {
    descriptions.put(scenario, description);
  }

  public void add(String scenario, Map<String, Double> run) {
    Map<String, List<Double>> byMetric = samples.computeIfAbsent(scenario, s -> new LinkedHashMap<>());
    run.forEach((metric, value) -> byMetric.computeIfAbsent(metric, m -> new ArrayList<>()).add(value));
  }

  public void fail(String scenario, String why) {
    failures.computeIfAbsent(scenario, s -> new ArrayList<>()).add(why);
  }

  List<Summary> summaries() {
    List<Summary> out = new ArrayList<>();
    samples.forEach((scenario, metrics) -> metrics.forEach((metric, values) -> {
      List<Double> sorted = new ArrayList<>(values);
      sorted.sort(null);
      int n = sorted.size();
      double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
      out.add(new Summary(scenario, metric, n, median, sorted.get(n - 1), sorted.get(0), List.copyOf(values)));
    }));
    return out;
  }

  public String markdown() {
    StringBuilder b = new StringBuilder("| scenario | metric | runs | median | worst | best |\n|---|---|---:|---:|---:|---:|\n");
    for (Summary s : summaries()) {
      b.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s |%n", s.scenario(), s.metric(), s.runs(),
          number(s.median()), number(s.worst()), number(s.best())));
    }
    failures.forEach((scenario, why) -> b.append("\n").append(scenario).append(": ").append(why.size())
        .append(" failed run(s): ").append(String.join("; ", why)));
    return b.toString();
  }

  public void writeJson(Path file, Map<String, Object> environment) throws IOException {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("environment", environment);
    doc.put("scenarios", descriptions);
    doc.put("results", summaries());
    doc.put("failures", failures);
    Files.createDirectories(file.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), doc);
  }

  private static String number(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }
}
