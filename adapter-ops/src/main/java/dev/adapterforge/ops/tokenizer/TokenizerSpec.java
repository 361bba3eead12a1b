package dev.adapterforge.ops.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.adapterforge.ops.checkpoint.Sha256;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * What a {@link Tokenizer} is built from, in a form Spark can ship to executors: the definition's
 * text itself rather than a path, so executors need no access to the driver's files. A real
 * vocabulary is about 1 MB (mBERT's vocab.txt) to 3 MB (a tokenizer.json): broadcast the spec
 * rather than capture it in every task's closure.
 *
 * @param format which kind of file {@code definition} is
 * @param definition the file's text
 * @param lowercase for a vocab.txt, whether to lowercase and strip accents (uncased BERT); a
 *     tokenizer.json brings its own normalizer, so it must be false there
 */
public record TokenizerSpec(Format format, String definition, boolean lowercase)
    implements Serializable {

  /** The two ways a BERT-family tokenizer is published. */
  public enum Format {
    /** A Hugging Face tokenizer.json: any model (WordPiece, Unigram, BPE) and its pipeline. */
    TOKENIZER_JSON("tokenizer.json"),
    /** A BERT WordPiece vocab.txt: one token per line, its line number the id. */
    WORDPIECE_VOCAB("vocab.txt");

    private final String fileName;

    Format(String fileName) {
      this.fileName = fileName;
    }

    /** The name the file has in a model folder. */
    public String fileName() {
      return fileName;
    }
  }

  public TokenizerSpec {
    requireNonNull(format, "format");
    requireNonNull(definition, "definition");
    if (format == Format.TOKENIZER_JSON && lowercase) {
      throw new IllegalArgumentException(
          "a tokenizer.json defines its own normalizer: lowercase applies to a vocab.txt only");
    }
  }

  /**
   * The tokenizer of a model folder, cased: its tokenizer.json when it has one (what Hugging Face's
   * fast tokenizers load), else its vocab.txt.
   */
  public static TokenizerSpec fromFolder(Path folder) {
    return fromFolder(folder, false);
  }

  /**
   * The tokenizer of a model folder: its tokenizer.json when it has one, else its vocab.txt,
   * lowercased if {@code lowercase} (BERT's do_lower_case, true for uncased vocabularies).
   *
   * @throws IllegalArgumentException if the folder has neither file, or has a tokenizer.json and
   *     {@code lowercase} is set
   */
  public static TokenizerSpec fromFolder(Path folder, boolean lowercase) {
    for (Format format : Format.values()) {
      Path file = folder.resolve(format.fileName());
      if (Files.isRegularFile(file)) {
        return new TokenizerSpec(format, read(file), lowercase);
      }
    }
    throw new IllegalArgumentException(
        "no " + Format.TOKENIZER_JSON.fileName() + " or " + Format.WORDPIECE_VOCAB.fileName()
            + " in " + folder);
  }

  /**
   * The Hugging Face tokenizer.json this spec stands for: the definition itself, or the one
   * BertTokenizerFast builds from the vocab.txt.
   */
  public String tokenizerJson() {
    return format == Format.TOKENIZER_JSON
        ? definition
        : BertTokenizerJson.fromVocab(definition, lowercase);
  }

  /**
   * Lineage fingerprint, lowercase hex: SHA-256 of the tokenizer.json bytes, or of the vocab.txt
   * bytes followed by a NUL and the do_lower_case setting.
   */
  public String sha256() {
    MessageDigest digest = Sha256.newDigest();
    digest.update(definition.getBytes(UTF_8));
    if (format == Format.WORDPIECE_VOCAB) {
      digest.update(("\0do_lower_case=" + lowercase).getBytes(UTF_8));
    }
    return Sha256.hex(digest);
  }

  /** Short enough for logs and Spark UIs, unlike the default, which would print the vocabulary. */
  @Override
  public String toString() {
    return "TokenizerSpec[" + format.fileName()
        + (format == Format.WORDPIECE_VOCAB ? ", lowercase=" + lowercase : "")
        + ", " + definition.length() + " chars, sha256=" + sha256().substring(0, 12) + "]";
  }

  // Files.readString decodes strictly, so the text re-encodes to exactly the file's bytes and the
  // sha256 matches a sha256sum of the file.
  private static String read(Path file) {
    try {
      return Files.readString(file, UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tokenizer file " + file, e);
    }
  }
}
