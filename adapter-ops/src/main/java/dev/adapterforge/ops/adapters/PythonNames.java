package dev.adapterforge.ops.adapters;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.adapterforge.ops.encoder.EncoderFamily;
import dev.adapterforge.ops.model.BaseModel;
import dev.adapterforge.ops.model.KnownBaseModel;

/**
 * What the Python libraries' file formats are written against: the base model as Hugging Face
 * names it and the name the adapter is saved under.
 *
 * @param modelName the Hugging Face model id ({@code bert-base-multilingual-cased}), or a local
 *     model folder's name
 * @param modelClass the transformers class the base model loads as
 * @param modelType config.json's model_type
 * @param modelPrefix the attribute the encoder sits under in that class, e.g. {@code bert}
 * @param hiddenSize the encoder's width
 * @param adapterName the name the adapter is saved under, part of the adapters library's keys
 */
public record PythonNames(
    @JsonProperty("model_name") String modelName,
    @JsonProperty("model_class") String modelClass,
    @JsonProperty("model_type") String modelType,
    @JsonProperty("model_prefix") String modelPrefix,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("adapter_name") String adapterName) {

  /** The names for adapters of this base model, saved as {@code adapterName}. */
  public static PythonNames of(BaseModel model, String adapterName) {
    var known = KnownBaseModel.byId(model.id());
    String modelType = model.architecture().modelType();
    return new PythonNames(
        known.map(KnownBaseModel::huggingFaceName).orElse(model.directory().getFileName().toString()),
        known.map(KnownBaseModel::huggingFaceClass).orElse("BertForMaskedLM"),
        modelType,
        EncoderFamily.of(modelType).huggingFacePrefix(),
        model.architecture().hiddenSize(),
        adapterName);
  }
}
