# The query service (eventflow-timeseries-srv) on Cloud Run.
#
# It is created only once an image is given (var.query_service_image): the image must be pushed to
# the Artifact Registry repository this configuration creates before Cloud Run can deploy it.
#
# Not public: Cloud Run checks every request for an identity token of a principal holding
# roles/run.invoker, granted only to var.query_invokers (which refuses allUsers).

locals {
  # The cache the server uses, in its EVENTFLOW_REDIS_URL format (the store is in locals.tf):
  # rediss, as the instance encrypts in transit (redis.tf); the port is then 6378.
  query_redis_url = "rediss://${google_redis_instance.cache.host}:${google_redis_instance.cache.port}"

  # The server's gRPC port (the image's EVENTFLOW_GRPC_PORT); Cloud Run sends traffic here.
  query_grpc_port = 9090
}

resource "google_cloud_run_v2_service" "query" {
  count = var.query_service_image == "" ? 0 : 1

  name                = local.query_service
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account = google_service_account.query.email

    # A query aggregates in milliseconds; 60 s only trips on a stuck store.
    timeout = "60s"

    scaling {
      min_instance_count = var.query_min_instances
      max_instance_count = var.query_max_instances
    }

    # Direct VPC egress (no connector VMs to pay for) into the subnetwork peered with Redis. Only
    # private ranges go through the VPC; Spanner is reached over Google's public API endpoints.
    vpc_access {
      network_interfaces {
        network    = google_compute_network.main.id
        subnetwork = google_compute_subnetwork.main.id
      }
      egress = "PRIVATE_RANGES_ONLY"
    }

    containers {
      image = var.query_service_image

      # "h2c" makes Cloud Run speak HTTP/2 end to end, which gRPC needs.
      ports {
        name           = "h2c"
        container_port = local.query_grpc_port
      }

      resources {
        limits = {
          cpu    = var.query_cpu
          memory = var.query_memory
        }
        # Billed only while serving requests; the JVM's start-up gets extra CPU.
        cpu_idle          = true
        startup_cpu_boost = true
      }

      env {
        name  = "EVENTFLOW_STORE"
        value = local.query_store_url
      }
      env {
        name  = "EVENTFLOW_REDIS_URL"
        value = local.query_redis_url
      }
      # The AUTH string from Secret Manager: Cloud Run reads the secret as the service account at
      # start-up, so it never appears in the service's configuration. The version is pinned to the
      # one Terraform wrote: a new AUTH string (README.md, "Rotate the Redis AUTH string") is a new
      # version, and so a new revision whose instances read it; with "latest" running instances
      # would keep the old string until they happened to restart.
      env {
        name = "EVENTFLOW_REDIS_PASSWORD"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.redis_auth.secret_id
            version = google_secret_manager_secret_version.redis_auth.version
          }
        }
      }
      # The instance's own CA, which the JVM does not trust by default (a public certificate).
      env {
        name  = "EVENTFLOW_REDIS_CA_CERT"
        value = google_redis_instance.cache.server_ca_certs[0].cert
      }
      env {
        name  = "EVENTFLOW_GRPC_PORT"
        value = tostring(local.query_grpc_port)
      }
      # Cloud Run routes only the one container port, so a Prometheus endpoint would be
      # unreachable: the server publishes its metrics (query latency, cache hits) to Cloud
      # Monitoring instead (eventflow-metrics), as its service account may (monitoring.tf).
      env {
        name  = "EVENTFLOW_METRICS_PORT"
        value = "none"
      }
      env {
        name  = "EVENTFLOW_CLOUD_MONITORING_PROJECT"
        value = var.project_id
      }
      # The location label of its series: the region, not eventflow-metrics' default "global".
      env {
        name  = "EVENTFLOW_CLOUD_MONITORING_LOCATION"
        value = var.region
      }

      # The gRPC health service (grpc.health.v1) answers SERVING once the server is up. A JVM
      # starts in a few seconds: 30 probes 2 s apart allow a minute.
      startup_probe {
        grpc {
          port = local.query_grpc_port
        }
        period_seconds    = 2
        timeout_seconds   = 1
        failure_threshold = 30
      }
      liveness_probe {
        grpc {
          port = local.query_grpc_port
        }
        period_seconds    = 10
        timeout_seconds   = 1
        failure_threshold = 3
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_spanner_database_iam_member.query_reads_intervals,
    google_secret_manager_secret_iam_member.query_reads_redis_auth,
    google_secret_manager_secret_version.redis_auth,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "query_invokers" {
  for_each = var.query_service_image == "" ? toset([]) : toset(var.query_invokers)

  name     = google_cloud_run_v2_service.query[0].name
  location = var.region
  role     = "roles/run.invoker"
  member   = each.value
}
