package io.ratisfailover.ctl;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table in the style of {@code patronictl list}. */
final class Table {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  Table(List<String> header) {
    this.header = List.copyOf(header);
  }

  void add(List<String> row) {
    rows.add(List.copyOf(row));
  }

  String render(String title) {
    int[] widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
      for (List<String> r : rows) {
        widths[i] = Math.max(widths[i], r.get(i).length());
      }
    }
    StringBuilder line = new StringBuilder("+");
    for (int w : widths) {
      line.append("-".repeat(w + 2)).append("+");
    }
    String rule = line.toString();
    StringBuilder b = new StringBuilder();
    if (title != null) {
      String t = "+ " + title + " ";
      b.append(t).append(rule.length() > t.length() ? rule.substring(t.length()) : "+").append("\n");
    } else {
      b.append(rule).append("\n");
    }
    b.append(row(header, widths)).append("\n").append(rule).append("\n");
    for (List<String> r : rows) {
      b.append(row(r, widths)).append("\n");
    }
    return b.append(rule).toString();
  }

  private static String row(List<String> cells, int[] widths) {
    StringBuilder b = new StringBuilder("|");
    for (int i = 0; i < widths.length; i++) {
      b.append(" ").append(cells.get(i)).append(" ".repeat(widths[i] - cells.get(i).length())).append(" |");
    }
    return b.toString();
  }
}
