# What operators and the README need after `terraform apply`.

output "ingest_launch_command" {
  description = "Launches the ingest job on Dataflow, every flag filled in. Run it from the repository root."
  value       = local.ingest_launch_command
}

output "rollups_launch_command" {
  description = "Launches the rollups job on Dataflow, every flag filled in. Run it from the repository root."
  value       = local.rollups_launch_command
}

output "ingest_update_command" {
  description = "Replaces the running ingest job in place with the current code (--update)."
  value       = local.ingest_update_command
}

output "rollups_update_command" {
  description = "Replaces the running rollups job in place with the current code (--update)."
  value       = local.rollups_update_command
}

output "events_topic" {
  description = "The topic services publish events to (eventflow publish --topic)."
  value       = google_pubsub_topic.events.id
}

output "validated_topic" {
  description = "The topic the ingest job republishes valid events to."
  value       = google_pubsub_topic.validated.id
}

output "dead_letter_subscriptions" {
  description = "Subscriptions holding messages Pub/Sub dead-lettered from the job subscriptions; they should stay empty."
  value = [
    google_pubsub_subscription.ingest_dead_letter_hold.id,
    google_pubsub_subscription.rollups_dead_letter_hold.id,
  ]
}

output "bigquery_dataset" {
  description = "The dataset of the events and invalid_messages tables."
  value       = "${var.project_id}.${google_bigquery_dataset.main.dataset_id}"
}

output "bucket" {
  description = "The bucket of Dataflow staging and temp files and the event archive."
  value       = "gs://${google_storage_bucket.main.name}"
}

output "spanner_database" {
  description = "The interval store, in the query service's EVENTFLOW_STORE format."
  value       = local.query_store_url
}

output "redis_host" {
  description = "The Memorystore address (reachable only from the eventflow VPC)."
  value       = "${google_redis_instance.cache.host}:${google_redis_instance.cache.port}"
}

output "query_service_image_repository" {
  description = "Where to push the query service image (docker push <this>:TAG)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}/${local.query_service}"
}

output "query_service_url" {
  description = "The query service's HTTPS URL (gRPC over TLS on port 443; callers need roles/run.invoker), or null before an image is given."
  value       = one(google_cloud_run_v2_service.query[*].uri)
}

output "publisher_service_account" {
  description = "The service account services publish events as."
  value       = google_service_account.publisher.email
}

output "image_repository" {
  description = "The Artifact Registry repository every image is pushed to: <this>/eventflow-collector, /eventflow-mqtt, /eventflow-cli, /eventflow-timeseries-srv (README.md, \"Deploy the services\")."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "collector_url" {
  description = "The collector's public HTTPS URL (HTTP API and gRPC on port 443; every event request needs an API key), or null before collector_image is given."
  value       = one(google_cloud_run_v2_service.collector[*].uri)
}

output "collector_api_keys_secret" {
  description = "The Secret Manager secret holding the collector's key file (hashes only), one version per set of collector_api_keys."
  value       = google_secret_manager_secret.collector_api_keys.id
}

output "mqtt_secrets" {
  description = "The secrets the MQTT bridge reads: add their versions (gcloud secrets versions add NAME --data-file=-) before setting mqtt_image."
  value = {
    broker_url = google_secret_manager_secret.mqtt_broker_url.secret_id
    password   = google_secret_manager_secret.mqtt_password.secret_id
  }
}

output "mqtt_dead_letter_subscription" {
  description = "Holds messages the MQTT bridge could not turn into events, with their reason (attribute invalid.reason); it should stay empty."
  value       = google_pubsub_subscription.mqtt_dead_letters_hold.id
}

output "feed_schedule" {
  description = "The Cloud Scheduler job starting the feed every minute (gcloud scheduler jobs resume/pause NAME --location REGION), or null before cli_image is given."
  value       = one(google_cloud_scheduler_job.feed[*].name)
}

output "feed_args" {
  description = "The arguments the feed job passes to the eventflow CLI."
  value       = local.feed_args
}
