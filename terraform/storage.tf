# One bucket for the jobs' files:
#   staging/  jars Dataflow workers download when they start (including autoscaled workers months
#             later, so these are never aged out: a running job needs them)
#   temp/     Dataflow and BigQuery load-job scratch files, useless after minutes (kept a week)
#   archive/  the ingest job's archive of events and invalid messages (gzip JSON lines)
resource "google_storage_bucket" "main" {
  name     = local.bucket_name
  location = var.region

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  # Without deletion protection, destroy also deletes the archive.
  force_destroy = !var.deletion_protection

  # Soft delete (7 days by default) would bill every deleted temp file for a week; Dataflow
  # churns through many, and Beam warns about soft delete on its temp bucket. The archive is a
  # second copy of what BigQuery holds, so it does without.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  lifecycle_rule {
    condition {
      age            = 7
      matches_prefix = ["temp/"]
    }
    action {
      type = "Delete"
    }
  }

  # Beam writes archive files under archive/.temp-beam/ and moves them into place within minutes;
  # anything a week old there was abandoned by a crashed or cancelled job.
  lifecycle_rule {
    condition {
      age            = 7
      matches_prefix = ["archive/.temp-beam/"]
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age                   = var.archive_nearline_after_days
      matches_prefix        = ["archive/"]
      matches_storage_class = ["STANDARD"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      age                   = var.archive_coldline_after_days
      matches_prefix        = ["archive/"]
      matches_storage_class = ["NEARLINE"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.archive_delete_after_days > 0 ? [var.archive_delete_after_days] : []
    content {
      condition {
        age            = lifecycle_rule.value
        matches_prefix = ["archive/"]
      }
      action {
        type = "Delete"
      }
    }
  }

  depends_on = [google_project_service.apis]
}

# Where the query service image is pushed (README.md, "Deploy the query service").
resource "google_artifact_registry_repository" "images" {
  repository_id = local.image_repository
  location      = var.region
  format        = "DOCKER"
  description   = "eventflow container images."

  depends_on = [google_project_service.apis]
}
