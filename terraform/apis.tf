# The APIs the deployment uses. disable_on_destroy = false: turning an API off on destroy would
# break anything else in the project that uses it, and re-enabling is slow (minutes).
locals {
  services = toset([
    "artifactregistry.googleapis.com",     # the service and CLI images
    "bigquery.googleapis.com",             # events and invalid_messages tables
    "bigquerystorage.googleapis.com",      # Storage Write API
    "cloudresourcemanager.googleapis.com", # project lookups and IAM
    "cloudscheduler.googleapis.com",       # the scheduled feed
    "compute.googleapis.com",              # network, Dataflow workers
    "dataflow.googleapis.com",             # ingest and rollups jobs
    "iam.googleapis.com",                  # service accounts
    "pubsub.googleapis.com",               # topics and subscriptions
    "redis.googleapis.com",                # Memorystore
    "run.googleapis.com",                  # query service, collector, MQTT bridge, feed job
    "secretmanager.googleapis.com",        # Memorystore's AUTH string, API keys, MQTT broker
    "spanner.googleapis.com",              # interval store
    "storage.googleapis.com",              # staging, temp, archive
  ])
}

resource "google_project_service" "apis" {
  for_each = local.services

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
