# The collector (eventflow-collector) on Cloud Run: the public event sink for browsers, apps and
# devices, HTTP/1.1, HTTP/2 and gRPC on one port.
#
# Public: anyone may reach it (roles/run.invoker for allUsers), and the collector itself checks an
# API key on every event request (401 without one). The keys are a file of SHA-256 hashes
# (eventflow-collector/README.md, "API keys"), which the collector reads from a path at start-up:
# Cloud Run mounts the Secret Manager secret below as that file.
#
# Created only once an image is given (var.collector_image), like the query service.

locals {
  collector_service = "eventflow-collector"
  collector_sa_id   = "eventflow-collector"

  # The collector's port (CollectorConfig.DEFAULT_PORT); Cloud Run also sets PORT to it.
  collector_port = 8080

  # The key file: the secret holds exactly the lines ApiKeys parses, "HASH SOURCE".
  collector_api_keys_secret = "eventflow-collector-api-keys"
  collector_api_keys_dir    = "/etc/eventflow-collector"
  collector_api_keys_name   = "api-keys"
  collector_api_keys_file = join("", [
    for hash in sort(keys(var.collector_api_keys)) : "${hash} ${var.collector_api_keys[hash]}\n"
  ])

  # The collector's configuration (CollectorMain's environment variables). Everything else keeps
  # the collector's documented defaults: 256 KiB per event (ingest's limit), 64 MiB of requests
  # awaiting Pub/Sub, a 10 s accept timeout.
  collector_env = merge(
    {
      EVENTFLOW_COLLECTOR_API_KEYS          = "${local.collector_api_keys_dir}/${local.collector_api_keys_name}"
      EVENTFLOW_COLLECTOR_EVENTS_TOPIC      = "projects/${var.project_id}/topics/${local.events_topic}"
      EVENTFLOW_COLLECTOR_RATE_PER_KEY      = tostring(var.collector_rate_per_key)
      EVENTFLOW_COLLECTOR_MAX_REQUEST_BYTES = tostring(var.collector_max_request_bytes)
      GOOGLE_CLOUD_PROJECT                  = var.project_id
      # Besides /metrics, publish the collector's metrics to Cloud Monitoring (eventflow-metrics).
      EVENTFLOW_CLOUD_MONITORING_PROJECT  = var.project_id
      EVENTFLOW_CLOUD_MONITORING_LOCATION = var.region
    },
    length(var.collector_cors_origins) == 0 ? {} : {
      EVENTFLOW_COLLECTOR_CORS_ORIGINS = join(",", var.collector_cors_origins)
    },
  )
}

resource "google_secret_manager_secret" "collector_api_keys" {
  secret_id = local.collector_api_keys_secret

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

# A new set of keys is a new version; the service mounts exactly this version, so changing the
# keys rolls out a new revision (the collector reads the file once, at start-up). The replaced
# version is destroyed, so a revoked key cannot come back with an old revision.
resource "google_secret_manager_secret_version" "collector_api_keys" {
  count = length(var.collector_api_keys) == 0 ? 0 : 1

  secret      = google_secret_manager_secret.collector_api_keys.id
  secret_data = local.collector_api_keys_file
}

resource "google_cloud_run_v2_service" "collector" {
  count = var.collector_image == "" ? 0 : 1

  name                = local.collector_service
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account = google_service_account.collector.email

    # gRPC streams (SendStream, a processor's Connect) last up to Cloud Run's maximum of an hour;
    # clients reconnect. Plain requests never get near it: the collector answers within its own
    # accept timeout (10 s), or 503.
    timeout = "3600s"

    max_instance_request_concurrency = var.collector_concurrency

    scaling {
      min_instance_count = var.collector_min_instances
      max_instance_count = var.collector_max_instances
    }

    volumes {
      name = "api-keys"
      secret {
        secret = google_secret_manager_secret.collector_api_keys.secret_id
        items {
          version = one(google_secret_manager_secret_version.collector_api_keys[*].version)
          path    = local.collector_api_keys_name
        }
      }
    }

    containers {
      image = var.collector_image

      # "h2c": Cloud Run speaks HTTP/2 to the container, which the gRPC API needs (Armeria serves
      # HTTP/1.1 and h2c on the same port; browsers' HTTP/1.1 requests arrive as HTTP/2). It also
      # lifts Cloud Run's 32 MiB HTTP/1 request limit; the collector enforces its own.
      ports {
        name           = "h2c"
        container_port = local.collector_port
      }

      resources {
        limits = {
          cpu    = var.collector_cpu
          memory = var.collector_memory
        }
        # Billed while serving: the collector does nothing between requests. The JVM's start-up
        # gets extra CPU.
        cpu_idle          = true
        startup_cpu_boost = true
      }

      volume_mounts {
        name       = "api-keys"
        mount_path = local.collector_api_keys_dir
      }

      dynamic "env" {
        for_each = local.collector_env
        content {
          name  = env.key
          value = env.value
        }
      }

      # /readyz is 200 once the server is up and Pub/Sub is making progress: traffic moves to a new
      # revision only then. 30 probes 2 s apart allow a minute for the JVM.
      startup_probe {
        http_get {
          path = "/readyz"
          port = local.collector_port
        }
        period_seconds    = 2
        timeout_seconds   = 1
        failure_threshold = 30
      }
      # /healthz is the process: a Pub/Sub outage must not restart instances (they answer 503 and
      # recover by themselves), only a wedged JVM.
      liveness_probe {
        http_get {
          path = "/healthz"
          port = local.collector_port
        }
        period_seconds    = 10
        timeout_seconds   = 1
        failure_threshold = 3
      }
    }
  }

  lifecycle {
    precondition {
      condition     = length(var.collector_api_keys) > 0
      error_message = "The collector needs at least one API key (collector_api_keys): without keys it only listens on loopback."
    }
  }

  depends_on = [
    google_project_service.apis,
    google_pubsub_topic_iam_member.collector_publishes,
    google_secret_manager_secret_iam_member.collector_reads_api_keys,
  ]
}

# Public: the API keys, checked by the collector, are the access control.
resource "google_cloud_run_v2_service_iam_member" "collector_public" {
  count = var.collector_image == "" ? 0 : 1

  name     = google_cloud_run_v2_service.collector[0].name
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}
