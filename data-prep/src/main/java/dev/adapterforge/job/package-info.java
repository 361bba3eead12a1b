/**
 * The runtime every AdapterForge Spark job shares: options common to all jobs, the config file,
 * SparkSession creation (embedded or under spark-submit) and start-up validation.
 * Nothing here knows about corpora, models or adapters.
 */
package dev.adapterforge.job;
