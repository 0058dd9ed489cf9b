# Service accounts, one per workload, each granted only what that workload does. Roles are granted
# on the resource the workload touches (a topic, a subscription, the dataset, the database), not on
# the project, except where Google offers no narrower scope (Dataflow worker, BigQuery jobs).

resource "google_service_account" "ingest" {
  account_id   = local.ingest_sa_id
  display_name = "eventflow ingest job (Dataflow workers)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "rollups" {
  account_id   = local.rollups_sa_id
  display_name = "eventflow rollups job (Dataflow workers)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "query" {
  account_id   = local.query_sa_id
  display_name = "eventflow query service (Cloud Run)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "publisher" {
  account_id   = local.publisher_sa_id
  display_name = "eventflow publishers (services that emit events)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "collector" {
  account_id   = local.collector_sa_id
  display_name = "eventflow collector (Cloud Run)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "mqtt" {
  account_id   = local.mqtt_sa_id
  display_name = "eventflow MQTT bridge (Cloud Run)"

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "feed" {
  account_id   = local.feed_sa_id
  display_name = "eventflow scheduled feed (Cloud Run job)"

  depends_on = [google_project_service.apis]
}

# Cloud Scheduler calls jobs.run as this account; it can start the feed job and nothing else.
resource "google_service_account" "feed_runner" {
  account_id   = local.feed_runner_id
  display_name = "eventflow feed schedule (Cloud Scheduler)"

  depends_on = [google_project_service.apis]
}

# --- Both jobs -------------------------------------------------------------------------------

# Dataflow workers must report progress and fetch work: roles/dataflow.worker exists only at
# project level.
resource "google_project_iam_member" "job_dataflow_worker" {
  for_each = {
    ingest  = google_service_account.ingest.member
    rollups = google_service_account.rollups.member
  }

  project = var.project_id
  role    = "roles/dataflow.worker"
  member  = each.value
}

# Staging jars, temp files and (ingest) the archive all live in the one bucket.
resource "google_storage_bucket_iam_member" "job_objects" {
  for_each = {
    ingest  = google_service_account.ingest.member
    rollups = google_service_account.rollups.member
  }

  bucket = google_storage_bucket.main.name
  role   = "roles/storage.objectAdmin"
  member = each.value
}

# --- Ingest job ------------------------------------------------------------------------------

# Reading a subscription on Dataflow takes consume (subscriber) and subscriptions.get (viewer).
resource "google_pubsub_subscription_iam_member" "ingest_reads_events" {
  for_each = toset(["roles/pubsub.subscriber", "roles/pubsub.viewer"])

  subscription = google_pubsub_subscription.ingest.id
  role         = each.value
  member       = google_service_account.ingest.member
}

resource "google_pubsub_topic_iam_member" "ingest_republishes" {
  for_each = toset(["roles/pubsub.publisher", "roles/pubsub.viewer"])

  topic  = google_pubsub_topic.validated.id
  role   = each.value
  member = google_service_account.ingest.member
}

# Appending rows (Storage Write API or load jobs) to the dataset's tables.
resource "google_bigquery_dataset_iam_member" "ingest_writes_tables" {
  dataset_id = google_bigquery_dataset.main.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.ingest.member
}

# Load jobs are project-level BigQuery jobs; the Storage Write API needs no job permission, so
# this grant exists only with FILE_LOADS.
resource "google_project_iam_member" "ingest_runs_load_jobs" {
  count = var.bigquery_write_method == "FILE_LOADS" ? 1 : 0

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.ingest.member
}

# --- Rollups job -----------------------------------------------------------------------------

resource "google_pubsub_subscription_iam_member" "rollups_reads_validated" {
  for_each = toset(["roles/pubsub.subscriber", "roles/pubsub.viewer"])

  subscription = google_pubsub_subscription.rollups.id
  role         = each.value
  member       = google_service_account.rollups.member
}

# Undecodable messages are appended to the dataset's invalid_messages table, as ingest's are.
resource "google_bigquery_dataset_iam_member" "rollups_writes_invalid_messages" {
  dataset_id = google_bigquery_dataset.main.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.rollups.member
}

# As for ingest: load jobs only with FILE_LOADS.
resource "google_project_iam_member" "rollups_runs_load_jobs" {
  count = var.bigquery_write_method == "FILE_LOADS" ? 1 : 0

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.rollups.member
}

resource "google_spanner_database_iam_member" "rollups_writes_intervals" {
  instance = google_spanner_instance.main.name
  database = google_spanner_database.main.name
  role     = "roles/spanner.databaseUser"
  member   = google_service_account.rollups.member
}

# --- Query service ---------------------------------------------------------------------------

resource "google_spanner_database_iam_member" "query_reads_intervals" {
  instance = google_spanner_instance.main.name
  database = google_spanner_database.main.name
  role     = "roles/spanner.databaseReader"
  member   = google_service_account.query.member
}

# --- Publishers ------------------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "publisher_account" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.publisher.member
}

resource "google_pubsub_topic_iam_member" "publishers" {
  for_each = toset(var.publishers)

  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = each.value
}

# --- Collector -------------------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "collector_publishes" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.collector.member
}

# Cloud Run mounts the key file as the service's account.
resource "google_secret_manager_secret_iam_member" "collector_reads_api_keys" {
  secret_id = google_secret_manager_secret.collector_api_keys.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.collector.member
}

# --- MQTT bridge -----------------------------------------------------------------------------

# Valid events to the events topic, the rest to its own dead-letter topic.
resource "google_pubsub_topic_iam_member" "mqtt_publishes" {
  for_each = {
    events       = google_pubsub_topic.events.id
    dead_letters = google_pubsub_topic.mqtt_dead_letters.id
  }

  topic  = each.value
  role   = "roles/pubsub.publisher"
  member = google_service_account.mqtt.member
}

resource "google_secret_manager_secret_iam_member" "mqtt_reads_secrets" {
  for_each = {
    broker_url = google_secret_manager_secret.mqtt_broker_url.id
    password   = google_secret_manager_secret.mqtt_password.id
  }

  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.mqtt.member
}

# --- Scheduled feed --------------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "feed_publishes" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.feed.member
}

# roles/run.invoker on the job carries run.jobs.run: start an execution, without overrides.
resource "google_cloud_run_v2_job_iam_member" "feed_runner_runs_job" {
  count = var.cli_image == "" ? 0 : 1

  name     = google_cloud_run_v2_job.feed[0].name
  location = var.region
  role     = "roles/run.invoker"
  member   = google_service_account.feed_runner.member
}

# --- People who launch the jobs --------------------------------------------------------------

# roles/dataflow.admin is Google's minimal role for creating and managing jobs: beyond
# dataflow.developer it can read machine types and upload the staging jars.
resource "google_project_iam_member" "launchers_dataflow_admin" {
  for_each = toset(var.dataflow_launchers)

  project = var.project_id
  role    = "roles/dataflow.admin"
  member  = each.value
}

# Launching a job that runs as a service account requires acting as it (iam.serviceAccounts.actAs).
resource "google_service_account_iam_member" "launchers_act_as_ingest" {
  for_each = toset(var.dataflow_launchers)

  service_account_id = google_service_account.ingest.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}

resource "google_service_account_iam_member" "launchers_act_as_rollups" {
  for_each = toset(var.dataflow_launchers)

  service_account_id = google_service_account.rollups.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}
