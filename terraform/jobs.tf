# The commands that launch the two streaming jobs on Dataflow, printed by `terraform output`.
#
# They use only variables and the names in locals.tf, never resource attributes, so they are
# known before anything exists and the offline check (TerraformConfigTest) can evaluate them with
# `terraform console` and parse them with the pipelines' own options.
#
# The job modules are launched with exec:java on their own: `-am ... exec:java` would also run
# exec:java in the parent and eventflow-common, which fails. So the modules they depend on are
# installed first.

locals {
  # Flags every job gets: where it runs, as whom, on which network, with which workers.
  dataflow_common_args = [
    "--runner=DataflowRunner",
    "--project=${var.project_id}",
    "--region=${var.region}",
    "--stagingLocation=gs://${local.bucket_name}/staging",
    "--tempLocation=gs://${local.bucket_name}/temp",
    "--subnetwork=regions/${var.region}/subnetworks/${local.subnetwork_name}",
    "--usePublicIps=false",
    "--enableStreamingEngine=true",
    "--workerMachineType=${var.dataflow_machine_type}",
  ]

  ingest_args = concat(local.dataflow_common_args, [
    "--jobName=${local.ingest_job}",
    "--serviceAccount=${local.ingest_sa}",
    "--maxNumWorkers=${var.ingest_max_workers}",
    "--inputSubscription=projects/${var.project_id}/subscriptions/${local.ingest_subscription}",
    "--validatedTopic=projects/${var.project_id}/topics/${local.validated_topic}",
    "--bigQueryDataset=${var.bigquery_dataset}",
    "--bigQueryWriteMethod=${var.bigquery_write_method}",
    "--archiveLocation=gs://${local.bucket_name}/archive",
  ])

  rollups_args = concat(local.dataflow_common_args, [
    "--jobName=${local.rollups_job}",
    "--serviceAccount=${local.rollups_sa}",
    "--maxNumWorkers=${var.rollups_max_workers}",
    "--subscription=projects/${var.project_id}/subscriptions/${local.rollups_subscription}",
    "--store=spanner",
    "--spannerInstance=${local.spanner_instance}",
    "--spannerDatabase=${var.spanner_database}",
    # Messages that do not decode are dead letters, written where ingest writes its own: the
    # dataset's invalid_messages table and the archive's invalid/ folder (files RUN-rollups).
    "--bigQueryDataset=${var.bigquery_dataset}",
    "--bigQueryWriteMethod=${var.bigquery_write_method}",
    "--archiveLocation=gs://${local.bucket_name}/archive",
  ], var.rollups == "" ? [] : ["--rollups=${var.rollups}"])

  ingest_launch_command = <<-EOT
    ./mvnw -B -pl eventflow-ingest -am install -DskipTests && \
    ./mvnw -B -pl eventflow-ingest exec:java \
      -Dexec.mainClass=io.eventflow.ingest.IngestPipeline \
      -Dexec.args="${join(" \\\n    ", local.ingest_args)}"
  EOT

  rollups_launch_command = <<-EOT
    ./mvnw -B -pl eventflow-timeseries-rollups -am install -DskipTests && \
    ./mvnw -B -pl eventflow-timeseries-rollups exec:java \
      -Dexec.mainClass=io.eventflow.timeseries.rollups.RollupsPipeline \
      -Dexec.args="${join(" \\\n    ", local.rollups_args)}"
  EOT

  # --update replaces the running job of the same --jobName in place, keeping its state and
  # unacknowledged messages. Dataflow refuses the update if the new graph is incompatible.
  ingest_update_command = <<-EOT
    ./mvnw -B -pl eventflow-ingest -am install -DskipTests && \
    ./mvnw -B -pl eventflow-ingest exec:java \
      -Dexec.mainClass=io.eventflow.ingest.IngestPipeline \
      -Dexec.args="${join(" \\\n    ", concat(local.ingest_args, ["--update"]))}"
  EOT

  rollups_update_command = <<-EOT
    ./mvnw -B -pl eventflow-timeseries-rollups -am install -DskipTests && \
    ./mvnw -B -pl eventflow-timeseries-rollups exec:java \
      -Dexec.mainClass=io.eventflow.timeseries.rollups.RollupsPipeline \
      -Dexec.args="${join(" \\\n    ", concat(local.rollups_args, ["--update"]))}"
  EOT
}
