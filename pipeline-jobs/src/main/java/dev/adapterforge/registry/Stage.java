package dev.adapterforge.registry;

/** Where an adapter version is in its life; at most one version of a name is in production. */
public enum Stage {
  candidate,
  production,
  archived
}
