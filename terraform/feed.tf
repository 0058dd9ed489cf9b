# The scheduled feed: Cloud Scheduler starts a Cloud Run job every minute, which runs
# `eventflow feed` to publish synthetic web-shop events to the events topic for 55 s. It drives the
# whole pipeline for a demo or a soak test, the way Google's serverless streaming reference drives
# its pipeline from Cloud Scheduler, and like there the schedule is paused by default
# (var.feed_enabled).
#
# Created only once the CLI image is given (var.cli_image).

locals {
  feed_job       = "eventflow-feed"
  feed_schedule  = "eventflow-feed"
  feed_sa_id     = "eventflow-feed"
  feed_runner_id = "eventflow-feed-scheduler"

  # Each execution publishes for 55 s: executions start a minute apart, plus Cloud Run's and the
  # JVM's start of a few seconds, so consecutive runs barely overlap and barely leave a gap.
  feed_duration = "55s"

  # The job's arguments, after the image's entry point (the eventflow CLI's Main). The topic is
  # a full name, so the job needs no project setting.
  feed_args = [
    "feed",
    "--topic=projects/${var.project_id}/topics/${local.events_topic}",
    "--rate=${var.feed_rate}",
    "--duration=${local.feed_duration}",
    "--source=eventflow-feed",
  ]

  # Cloud Run Admin API v2: jobs.run starts an execution and returns at once.
  feed_run_uri = "https://run.googleapis.com/v2/projects/${var.project_id}/locations/${var.region}/jobs/${local.feed_job}:run"
}

resource "google_cloud_run_v2_job" "feed" {
  count = var.cli_image == "" ? 0 : 1

  name     = local.feed_job
  location = var.region
  # The job holds no data: destroy may delete it without turning protection off.
  deletion_protection = false

  template {
    task_count = 1

    template {
      service_account = google_service_account.feed.email

      # A failed minute is not retried: the next one starts a minute later anyway.
      max_retries = 0
      # 55 s of publishing, then up to 60 s (eventflow feed's --timeout) for the last publishes.
      timeout = "180s"

      containers {
        image = var.cli_image
        args  = local.feed_args

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_pubsub_topic_iam_member.feed_publishes,
  ]
}

resource "google_cloud_scheduler_job" "feed" {
  count = var.cli_image == "" ? 0 : 1

  name        = local.feed_schedule
  description = "Runs the eventflow-feed Cloud Run job every minute (eventflow feed --rate ${var.feed_rate})."
  region      = var.region
  schedule    = "* * * * *"
  time_zone   = "Etc/UTC"
  paused      = !var.feed_enabled

  # jobs.run answers as soon as the execution is created.
  attempt_deadline = "30s"
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = local.feed_run_uri

    # An OAuth access token (not an OIDC identity token): the target is a Google API.
    oauth_token {
      service_account_email = google_service_account.feed_runner.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [
    google_project_service.apis,
    google_cloud_run_v2_job_iam_member.feed_runner_runs_job,
  ]
}
