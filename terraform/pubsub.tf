# Pub/Sub: services publish to "events"; the ingest job reads it and republishes valid events to
# "events-validated", which the rollups job reads.
#
# Each job subscription has a dead-letter topic. The jobs dead-letter invalid events themselves
# (to BigQuery invalid_messages, with a reason), so Pub/Sub dead-lettering is a last resort for a
# message the job received max_delivery_attempts times without ever acknowledging it. Dataflow
# extends ack deadlines while it works on a message, so this should stay empty; alert if not.

resource "google_pubsub_topic" "events" {
  name = local.events_topic

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "validated" {
  name = local.validated_topic

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "ingest_dead_letter" {
  name = local.ingest_dead_letter_topic

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "rollups_dead_letter" {
  name = local.rollups_dead_letter_topic

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "ingest" {
  name  = local.ingest_subscription
  topic = google_pubsub_topic.events.id

  ack_deadline_seconds       = var.subscription_ack_deadline_seconds
  message_retention_duration = var.subscription_message_retention

  # Never delete the subscription for inactivity (the default is after 31 days): a job stopped
  # for a month must find its backlog, not a missing subscription.
  expiration_policy {
    ttl = ""
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.ingest_dead_letter.id
    max_delivery_attempts = var.dead_letter_max_delivery_attempts
  }

  # Spacing out redeliveries keeps a poison message from hammering the job.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
}

resource "google_pubsub_subscription" "rollups" {
  name  = local.rollups_subscription
  topic = google_pubsub_topic.validated.id

  ack_deadline_seconds       = var.subscription_ack_deadline_seconds
  message_retention_duration = var.subscription_message_retention

  expiration_policy {
    ttl = ""
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.rollups_dead_letter.id
    max_delivery_attempts = var.dead_letter_max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
}

# A topic without subscriptions drops what is published to it: these keep dead letters for the
# maximum 7 days so they can be inspected (gcloud pubsub subscriptions pull) and replayed.
resource "google_pubsub_subscription" "ingest_dead_letter_hold" {
  name                       = local.ingest_dead_letter_subscription
  topic                      = google_pubsub_topic.ingest_dead_letter.id
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "rollups_dead_letter_hold" {
  name                       = local.rollups_dead_letter_subscription
  topic                      = google_pubsub_topic.rollups_dead_letter.id
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# Dead-lettering is done by the Pub/Sub service agent: it must be able to publish to the
# dead-letter topics and to acknowledge (subscribe to) the source subscriptions, or Pub/Sub keeps
# redelivering the message forever.
locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic_iam_member" "ingest_dead_letter_publisher" {
  topic  = google_pubsub_topic.ingest_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_topic_iam_member" "rollups_dead_letter_publisher" {
  topic  = google_pubsub_topic.rollups_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "ingest_dead_letter_subscriber" {
  subscription = google_pubsub_subscription.ingest.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "rollups_dead_letter_subscriber" {
  subscription = google_pubsub_subscription.rollups.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
