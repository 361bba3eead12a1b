package dev.adapterforge.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingLogTest {
  @TempDir Path dir;

  private static TrainingLog.Round round(long step, double validation) {
    return new TrainingLog.Round(step, 5.0 - step / 10.0, validation, 1234.5, 4_000, 8_000, 12, 3);
  }

  @Test
  void writesACsvRowPerRoundAndACurve() throws IOException {
    Path csv = dir.resolve("training_log.csv");
    Path png = dir.resolve("training_curve.png");
    TrainingLog log = TrainingLog.create(csv, png, "mt seq_bn");
    log.append(round(2, Double.NaN));
    log.append(round(4, 4.2));

    assertEquals(
        List.of(
            TrainingLog.HEADER,
            "2,4.800000,,1234.5,4000,8000,12,3",
            "4,4.600000,4.200000,1234.5,4000,8000,12,3"),
        Files.readAllLines(csv));
    BufferedImage curve = ImageIO.read(png.toFile());
    assertEquals(800, curve.getWidth());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(2, files.count(), "no temporary file is left");
    }
  }

  @Test
  void aResumedLogDropsTheRoundsPastItsCheckpoint() throws IOException {
    Path csv = dir.resolve("log.csv");
    Path png = dir.resolve("curve.png");
    TrainingLog log = TrainingLog.create(csv, png, "t");
    for (long step = 1; step <= 5; step++) {
      log.append(round(step, step % 2 == 0 ? 4.0 : Double.NaN));
    }

    TrainingLog resumed = TrainingLog.resume(csv, png, "t", 2);
    assertEquals(List.of(round(1, Double.NaN), round(2, 4.0)), resumed.rounds());
    resumed.append(round(3, Double.NaN));
    assertEquals(4, Files.readAllLines(csv).size());
    assertTrue(Files.size(png) > 0);
  }

  @Test
  void resumesALogWrittenBeforeAveragingTimeWasRecorded() throws IOException {
    Path csv = dir.resolve("log.csv");
    Files.write(
        csv,
        List.of(
            "step,train_loss,validation_loss,tokens_per_s,bytes_broadcast,bytes_aggregated,round_ms",
            "5,4.500000,4.100000,1000.0,4000,8000,20"));

    TrainingLog resumed = TrainingLog.resume(csv, dir.resolve("curve.png"), "t", 5);
    assertEquals(List.of(new TrainingLog.Round(5, 4.5, 4.1, 1000.0, 4_000, 8_000, 20, -1)), resumed.rounds());
    resumed.append(round(10, Double.NaN));
    assertEquals(
        List.of(TrainingLog.HEADER, "5,4.500000,4.100000,1000.0,4000,8000,20,", "10,4.000000,,1234.5,4000,8000,12,3"),
        Files.readAllLines(csv));
  }
}
