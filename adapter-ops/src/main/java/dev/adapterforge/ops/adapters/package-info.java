/**
 * Adapter methods for the frozen encoder, one subpackage each with its config beside it, as the
 * adapters and PEFT libraries arrange them; the artifact format that Python loads; composition.
 */
package dev.adapterforge.ops.adapters;
