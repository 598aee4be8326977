package io.ratisfailover.harness.bench;

import io.ratisfailover.Timing;
import io.ratisfailover.harness.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs failover scenarios several times and prints, per scenario and metric, the median and the
 * worst run as a Markdown table; the same numbers go to a JSON file. Timings are measured here,
 * never asserted in unit tests.
 */
@Command(name = "run-benchmark", mixinStandardHelpOptions = true,
    description = "Measures failover and switchover times; prints median and worst of several runs.")
public final class Benchmark implements Callable<Integer> {
  @Option(names = "--runs", description = "Runs per scenario (default: ${DEFAULT-VALUE}).", defaultValue = "10")
  int runs;

  @Option(names = "--scenario", split = ",", description = "Scenarios to run (default: all). Known: ${COMPLETION-CANDIDATES}")
  List<String> only = new ArrayList<>();

  @Option(names = "--json", description = "Where to write the JSON results (default: ${DEFAULT-VALUE}).",
      defaultValue = "target/benchmark/results.json")
  Path json;

  @Option(names = "--list", description = "List the scenarios and exit.")
  boolean list;

  @Option(names = "--insecure-raft", description = "Run the Raft scenarios without TLS (mutual TLS by default).")
  boolean insecureRaft;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Benchmark()).execute(args));
  }

  static List<Scenario> scenarios(boolean raftTls) {
    List<Scenario> all = new ArrayList<>(RaftScenarios.all(Timing.defaults(), raftTls));
    all.add(WitnessFootprint.fromBuild(Timing.defaults()));
    return all;
  }

  @Override
  public Integer call() throws Exception {
    List<Scenario> all = scenarios(!insecureRaft);
    if (list) {
      all.forEach(s -> System.out.println(s.name() + ": " + s.description()));
      return 0;
    }
    if (runs < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--runs must be at least 1");
    }
    List<Scenario> chosen = all.stream().filter(s -> only.isEmpty() || only.contains(s.name())).toList();
    for (String name : only) {
      if (all.stream().noneMatch(s -> s.name().equals(name))) {
        throw new CommandLine.ParameterException(new CommandLine(this), "unknown scenario '" + name + "'; try --list");
      }
    }
    Results results = new Results();
    Path work = Files.createTempDirectory("ratis-failover-bench");
    try {
      for (Scenario scenario : chosen) {
        results.describe(scenario);
        for (int i = 1; i <= runs; i++) {
          Path dir = Files.createDirectories(work.resolve(scenario.name() + "-" + i));
          try {
            Map<String, Double> sample = scenario.run(dir);
            results.add(scenario.name(), sample);
            System.out.printf("%s run %d/%d: %s%n", scenario.name(), i, runs, sample);
          } catch (Exception e) {
            results.fail(scenario.name(), "run " + i + ": " + e.getMessage());
            System.out.printf("%s run %d/%d failed: %s%n", scenario.name(), i, runs, e);
          }
        }
      }
    } finally {
      Directories.deleteTree(work);
    }
    System.out.println();
    System.out.println(results.markdown());
    Map<String, Object> environment = Results.environment(runs);
    environment.put("raft_tls", insecureRaft ? "off" : "on");
    results.writeJson(json, environment);
    System.out.println("\nJSON: " + json.toAbsolutePath());
    return 0;
  }
}
