/**
 * The runtime every AdapterForge Spark job shares: options common to all jobs and the valid range
 * each numeric option declares, the config file, SparkSession creation (embedded or under
 * spark-submit, with the plugin that has each executor choose its BLAS) and start-up validation.
 * Nothing here knows about corpora, models or adapters.
 */
package dev.adapterforge.job;
