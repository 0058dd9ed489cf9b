# BigQuery: the events the ingest job accepts and the messages it dead-letters.
#
# The schemas are read from the very files the ingest job loads (TableSchemas in eventflow-ingest),
# so the job and the tables cannot disagree about a column. The partitioning and clustering match
# what the job would create itself (BigQueryTable in eventflow-ingest) if a table were missing.

locals {
  # Partition expiration in milliseconds, or null to keep partitions forever.
  partition_expiration_ms = var.bigquery_partition_expiration_days > 0 ? var.bigquery_partition_expiration_days * 86400000 : null
}

resource "google_bigquery_dataset" "main" {
  dataset_id  = var.bigquery_dataset
  location    = var.region
  description = "eventflow: valid events and dead-lettered messages, written by the ingest job."

  # Without deletion protection, destroy also deletes the tables' contents.
  delete_contents_on_destroy = !var.deletion_protection

  depends_on = [google_project_service.apis]
}

resource "google_bigquery_table" "events" {
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "events"
  description         = "One row per valid event, deduplicated by id."
  deletion_protection = var.deletion_protection

  schema = file("${path.module}/../eventflow-ingest/src/main/resources/schemas/events.json")

  # Day partitions by event time; a partition filter is required so a query without a time
  # range cannot scan (and bill) the whole history.
  time_partitioning {
    type          = "DAY"
    field         = "timestamp"
    expiration_ms = local.partition_expiration_ms
  }
  require_partition_filter = true

  clustering = ["type", "source", "customer"]
}

resource "google_bigquery_table" "invalid_messages" {
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "invalid_messages"
  description         = "One row per dead-lettered message: its bytes, attributes, receipt time and reason."
  deletion_protection = var.deletion_protection

  schema = file("${path.module}/../eventflow-ingest/src/main/resources/schemas/invalid_messages.json")

  time_partitioning {
    type          = "DAY"
    field         = "received_at"
    expiration_ms = local.partition_expiration_ms
  }
  require_partition_filter = true

  clustering = ["reason"]
}
