/**
 * {@code lt_sft}: Lottery-Ticket Sparse Fine-Tuning (Ansell et al. 2022, composable-sft). Phase 1
 * fine-tunes whole base matrices ({@link DenseDifferenceAdapter}); the entries that moved most form
 * the mask ({@link SparseDifference#select}); phase 2 restarts from the base weights and trains
 * only those entries ({@link SparseAdapter}), whose values are then the network's only parameters.
 * The base weights are never changed: differences are added through the projection hook.
 *
 * <p>Artifact layout ({@code adapter.safetensors}): for each tuned weight, under its name in
 * transformers' BertForMaskedLM ({@code bert.encoder.layer.0.attention.self.query.weight}), {@code
 * <name>.sft_indices} (int64, flat row-major indices into the weight as torch stores it, [out,
 * in]) and {@code <name>.sft_values} (float32). In Python:
 *
 * <pre>
 * from safetensors.torch import load_file
 * diff = load_file("adapter.safetensors")
 * params = dict(model.named_parameters())
 * for key in [k[: -len(".sft_indices")] for k in diff if k.endswith(".sft_indices")]:
 *     params[key].data.view(-1)[diff[key + ".sft_indices"]] += diff[key + ".sft_values"]
 * </pre>
 *
 * A language difference and a task difference compose by adding both.
 */
package dev.adapterforge.ops.adapters.sparse;
