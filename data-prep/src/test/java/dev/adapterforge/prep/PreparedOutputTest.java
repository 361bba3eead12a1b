package dev.adapterforge.prep;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adapterforge.job.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** The staging folders that a killed prep run leaves beside its output. */
class PreparedOutputTest {
  @Test
  void theNextRunRemovesAKilledRunsStagingFolderOnceItIsIdleAndKeepsAYoungOne() throws IOException {
    Path parent = SparkTestBase.freshDirectory("leftovers");
    Path killed = parent.resolve(".out.staging-killed");
    Path writing = parent.resolve(".out.staging-writing");
    Path otherOutput = parent.resolve(".other.staging-old");
    for (Path folder : new Path[] {killed, writing, otherOutput}) {
      Files.createDirectories(folder.resolve("text"));
      Files.writeString(folder.resolve("text/part-0.parquet"), "rows");
    }
    FileTime idle = FileTime.from(Instant.now().minus(PreparedOutput.STALE_AFTER).minus(Duration.ofMinutes(1)));
    for (Path folder : new Path[] {killed, otherOutput}) {
      for (Path path : new Path[] {folder.resolve("text/part-0.parquet"), folder.resolve("text"), folder}) {
        Files.setLastModifiedTime(path, idle);
      }
    }

    PreparedOutput.plan(parent.resolve("out").toString(), false, new Configuration());

    assertFalse(Files.exists(killed), "idle past the limit: a killed run's");
    assertTrue(Files.exists(writing), "written a moment ago: perhaps a run still going");
    assertTrue(Files.exists(otherOutput), "another output's staging is not this run's business");
  }
}
