package dev.adapterforge.train;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The per-round record of a training run: a CSV with one row per averaging round, and the training
 * curve drawn from it as a PNG. Both are rewritten whole (to a temporary file, then renamed), so a
 * killed run leaves the last complete version; a resumed run first drops the rows past its
 * checkpoint.
 */
public final class TrainingLog {
  static final String HEADER =
      "step,train_loss,validation_loss,tokens_per_s,bytes_broadcast,bytes_aggregated,round_ms,averaging_ms";

  /**
   * One averaging round.
   *
   * @param step optimizer steps each worker has taken so far
   * @param validationLoss the validation MLM loss after this round, or NaN where not evaluated
   * @param bytesBroadcast parameter and updater bytes sent to the workers this round
   * @param bytesAggregated parameter and updater bytes collected from the workers this round
   * @param roundMillis wall time of the round: batches made, trained on every worker, averaged
   * @param averagingMillis the part of it the mean worker spent outside training steps: batches
   *     made, parameters broadcast, the worker's network set up, results collected and averaged,
   *     waiting for a slower worker; -1 in a log written before this was measured
   */
  public record Round(
      long step,
      double trainLoss,
      double validationLoss,
      double tokensPerSecond,
      long bytesBroadcast,
      long bytesAggregated,
      long roundMillis,
      long averagingMillis) {

    String csv() {
      return String.format(
          Locale.ROOT,
          "%d,%.6f,%s,%.1f,%d,%d,%d,%s",
          step,
          trainLoss,
          Double.isNaN(validationLoss) ? "" : String.format(Locale.ROOT, "%.6f", validationLoss),
          tokensPerSecond,
          bytesBroadcast,
          bytesAggregated,
          roundMillis,
          averagingMillis < 0 ? "" : Long.toString(averagingMillis));
    }

    static Round parse(String line) {
      String[] f = line.split(",", -1);
      return new Round(
          Long.parseLong(f[0]),
          Double.parseDouble(f[1]),
          f[2].isEmpty() ? Double.NaN : Double.parseDouble(f[2]),
          Double.parseDouble(f[3]),
          Long.parseLong(f[4]),
          Long.parseLong(f[5]),
          Long.parseLong(f[6]),
          f.length < 8 || f[7].isEmpty() ? -1 : Long.parseLong(f[7]));
    }
  }

  private final Path csv;
  private final Path png;
  private final String title;
  private final List<Round> rounds = new ArrayList<>();

  private TrainingLog(Path csv, Path png, String title) {
    this.csv = csv;
    this.png = png;
    this.title = title;
  }

  /** A new log, replacing any earlier one at these paths. */
  public static TrainingLog create(Path csv, Path png, String title) {
    return new TrainingLog(csv, png, title);
  }

  /** The log of a run resumed after {@code step}: rows up to it are kept, later ones dropped. */
  public static TrainingLog resume(Path csv, Path png, String title, long step) throws IOException {
    TrainingLog log = new TrainingLog(csv, png, title);
    if (Files.isRegularFile(csv)) {
      List<String> lines = Files.readAllLines(csv, UTF_8);
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        Round round = Round.parse(line);
        if (round.step() <= step) {
          log.rounds.add(round);
        }
      }
    }
    return log;
  }

  public List<Round> rounds() {
    return List.copyOf(rounds);
  }

  /** Records a round and rewrites the CSV and the curve. */
  public void append(Round round) {
    rounds.add(round);
    try {
      StringBuilder text = new StringBuilder(HEADER).append('\n');
      rounds.forEach(r -> text.append(r.csv()).append('\n'));
      replace(csv, tmp -> Files.writeString(tmp, text, UTF_8));
      replace(png, tmp -> BitmapEncoder.saveBitmap(chart(), tmp.toString(), BitmapEncoder.BitmapFormat.PNG));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the training log " + csv, e);
    }
  }

  private XYChart chart() {
    XYChart chart =
        new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("step").yAxisTitle("MLM loss").build();
    chart.getStyler().setMarkerSize(5);
    double[] steps = rounds.stream().mapToDouble(Round::step).toArray();
    XYSeries train = chart.addSeries("train", steps, rounds.stream().mapToDouble(Round::trainLoss).toArray());
    train.setMarker(SeriesMarkers.NONE);
    train.setLineColor(new Color(0x1f77b4));
    List<Round> evaluated = rounds.stream().filter(r -> !Double.isNaN(r.validationLoss())).toList();
    if (!evaluated.isEmpty()) {
      XYSeries validation =
          chart.addSeries(
              "validation",
              evaluated.stream().mapToDouble(Round::step).toArray(),
              evaluated.stream().mapToDouble(Round::validationLoss).toArray());
      validation.setMarker(SeriesMarkers.CIRCLE);
      validation.setLineColor(new Color(0xd62728));
      validation.setMarkerColor(new Color(0xd62728));
    }
    return chart;
  }

  private interface Writer {
    void write(Path file) throws IOException;
  }

  private static void replace(Path file, Writer writer) throws IOException {
    Path directory = file.toAbsolutePath().getParent();
    Files.createDirectories(directory);
    // BitmapEncoder appends the extension itself unless the name already ends with it
    Path tmp = directory.resolve("." + file.getFileName() + ".tmp." + ProcessHandle.current().pid() + "."
        + file.getFileName().toString().replaceAll(".*\\.", ""));
    writer.write(tmp);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
