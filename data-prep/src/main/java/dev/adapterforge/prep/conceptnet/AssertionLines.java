package dev.adapterforge.prep.conceptnet;

import dev.adapterforge.prep.Utf8;
import dev.adapterforge.prep.conceptnet.AssertionClassifier.Outcome;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapred.FileSplit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The rows one input split of the dump yields, lazily (a split may hold millions of lines): an
 * {@code edge} row per line in a requested language (or too broken to tell), then one {@code split}
 * row counting the split's lines, from which line numbers within each file are reconstructed.
 */
final class AssertionLines implements Iterator<Row> {
  static final String EDGE = "edge";
  static final String SPLIT = "split";

  static final StructType SCHEMA =
      new StructType()
          .add("kind", DataTypes.StringType, false)
          .add("source_file", DataTypes.StringType, false)
          .add("split_start", DataTypes.LongType, false)
          .add("line_in_split", DataTypes.LongType, true)
          .add("language", DataTypes.StringType, true)
          .add("edge_uri", DataTypes.StringType, true)
          .add("sentence", DataTypes.StringType, true)
          .add("term", DataTypes.StringType, true)
          .add("reason", DataTypes.StringType, true)
          .add("detail", DataTypes.StringType, true)
          .add("raw", DataTypes.StringType, true)
          .add("lines", DataTypes.LongType, true)
          .add("not_requested", DataTypes.LongType, true);

  private final AssertionClassifier classifier;
  private final Iterator<Tuple2<LongWritable, Text>> lines;
  private final String file;
  private final long splitStart;
  private long lineInSplit;
  private long notRequested;
  private Row next;
  private boolean summarized;

  AssertionLines(AssertionClassifier classifier, FileSplit split, Iterator<Tuple2<LongWritable, Text>> lines) {
    this.classifier = classifier;
    this.lines = lines;
    this.file = split.getPath().toString();
    this.splitStart = split.getStart();
  }

  @Override
  public boolean hasNext() {
    while (next == null && lines.hasNext()) {
      Text text = lines.next()._2();
      String line = text.toString();
      Optional<Outcome> outcome = classifier.classify(line);
      String invalidUtf8 = Utf8.problem(text.getBytes(), text.getLength());
      if (invalidUtf8 != null && outcome.isPresent()) {
        outcome = Optional.of(outcome.get().asMalformed(invalidUtf8));
      }
      if (outcome.isPresent()) {
        next = edgeRow(outcome.get(), line);
      } else {
        notRequested++;
      }
      lineInSplit++;
    }
    if (next == null && !summarized) {
      summarized = true;
      next =
          RowFactory.create(
              SPLIT, file, splitStart, null, null, null, null, null, null, null, null, lineInSplit, notRequested);
    }
    return next != null;
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Row row = next;
    next = null;
    return row;
  }

  private Row edgeRow(Outcome outcome, String line) {
    String reason = outcome.reason() == null ? null : outcome.reason().label();
    return RowFactory.create(
        EDGE, file, splitStart, lineInSplit, outcome.language(), outcome.edgeUri(), outcome.sentence(),
        outcome.term(), reason, outcome.detail(), line, null, null);
  }
}
