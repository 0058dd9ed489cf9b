# Every resource name, in one place and derived from variables only. The resources use these
# names and so do the Dataflow launch commands (jobs.tf), which can therefore be computed, and
# checked offline, without any resource existing.
locals {
  # A domain-scoped project id "example.com:proj" names its service accounts
  # "…@proj.example.com.iam.gserviceaccount.com".
  project_parts     = split(":", var.project_id)
  project_for_email = length(local.project_parts) == 2 ? "${local.project_parts[1]}.${local.project_parts[0]}" : var.project_id

  # Pub/Sub. The topic names are the ones the CLI, publisher and local stack use.
  events_topic                     = "events"
  validated_topic                  = "events-validated"
  ingest_subscription              = "events-ingest"
  rollups_subscription             = "events-validated-rollups"
  ingest_dead_letter_topic         = "events-ingest-dead-letter"
  rollups_dead_letter_topic        = "events-validated-rollups-dead-letter"
  ingest_dead_letter_subscription  = "events-ingest-dead-letter-hold"
  rollups_dead_letter_subscription = "events-validated-rollups-dead-letter-hold"

  # Bucket names are global, so the project id makes this one unique.
  bucket_name = "${var.project_id}-eventflow"

  network_name    = "eventflow"
  subnetwork_name = "eventflow-${var.region}"

  spanner_instance = "eventflow"
  # The interval store in the query service's EVENTFLOW_STORE format
  # (eventflow-timeseries-srv/README.md).
  query_store_url = "spanner:projects/${var.project_id}/instances/${local.spanner_instance}/databases/${var.spanner_database}"

  redis_instance   = "eventflow-cache"
  query_service    = "eventflow-timeseries-srv"
  image_repository = "eventflow"

  # The Secret Manager secret holding Memorystore's AUTH string (redis.tf).
  redis_auth_secret = "eventflow-redis-auth"

  # Service accounts: one identity per workload, each with only what it needs (iam.tf).
  ingest_sa_id    = "eventflow-ingest"
  rollups_sa_id   = "eventflow-rollups"
  query_sa_id     = "eventflow-query"
  publisher_sa_id = "eventflow-publisher"
  ingest_sa       = "${local.ingest_sa_id}@${local.project_for_email}.iam.gserviceaccount.com"
  rollups_sa      = "${local.rollups_sa_id}@${local.project_for_email}.iam.gserviceaccount.com"

  # Dataflow job names: --update finds the running job by this name.
  ingest_job  = "eventflow-ingest"
  rollups_job = "eventflow-rollups"
}
