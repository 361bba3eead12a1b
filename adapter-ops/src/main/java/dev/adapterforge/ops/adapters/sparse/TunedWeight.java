package dev.adapterforge.ops.adapters.sparse;

import dev.adapterforge.ops.encoder.Projection;
import dev.adapterforge.ops.model.ModelArchitecture;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One base weight a sparse fine-tuning changes: a projection of one layer. */
record TunedWeight(int layer, Projection projection) implements Comparable<TunedWeight> {
  private static final String PREFIX = "sft.layer";
  private static final Pattern HUGGING_FACE =
      Pattern.compile("[a-z]+\\.encoder\\.layer\\.(\\d+)\\.(.+)\\.weight");

  /** Its parameter's name in the adapter, e.g. {@code sft.layer0.attention.self.query.values}. */
  String parameter(String kind) {
    return PREFIX + layer + "." + projection.huggingFaceModule() + "." + kind;
  }

  /** The weight's name in a transformers checkpoint, e.g. {@code bert.encoder.layer.0.attention.self.query.weight}. */
  String huggingFaceName(String modelPrefix) {
    return modelPrefix + ".encoder.layer." + layer + "." + projection.huggingFaceModule() + ".weight";
  }

  /** The weight as the encoder uses it, [in, out]. */
  long rows(ModelArchitecture architecture) {
    return projection == Projection.OUTPUT ? architecture.intermediateSize() : architecture.hiddenSize();
  }

  long columns(ModelArchitecture architecture) {
    return projection == Projection.INTERMEDIATE ? architecture.intermediateSize() : architecture.hiddenSize();
  }

  long size(ModelArchitecture architecture) {
    return rows(architecture) * columns(architecture);
  }

  /** The weight a parameter name made by {@link #parameter} belongs to. */
  static TunedWeight ofParameter(String parameter) {
    String rest = parameter.substring(PREFIX.length());
    int layer = Integer.parseInt(rest.substring(0, rest.indexOf('.')));
    return new TunedWeight(layer, module(rest.substring(rest.indexOf('.') + 1, rest.lastIndexOf('.'))));
  }

  /**
   * @throws IllegalArgumentException if the name is not a transformers projection weight
   */
  static TunedWeight ofHuggingFaceName(String name) {
    Matcher matcher = HUGGING_FACE.matcher(name);
    if (!matcher.matches()) {
      throw new IllegalArgumentException(name + " is not a projection weight of an encoder layer");
    }
    return new TunedWeight(Integer.parseInt(matcher.group(1)), module(matcher.group(2)));
  }

  private static Projection module(String module) {
    return Arrays.stream(Projection.values())
        .filter(p -> p.huggingFaceModule().equals(module))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no projection " + module));
  }

  @Override
  public int compareTo(TunedWeight other) {
    return layer != other.layer ? Integer.compare(layer, other.layer) : projection.compareTo(other.projection);
  }
}
