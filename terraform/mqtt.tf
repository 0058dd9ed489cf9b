# The MQTT bridge (eventflow-mqtt) on Cloud Run: one always-on instance that connects out to an
# external MQTT broker, publishes device messages to the events topic and acknowledges them on MQTT
# only after Pub/Sub confirmed.
#
# Why Cloud Run and not GKE or Compute Engine: the bridge serves no traffic, it is an outbound
# client with a persistent session. What it needs is a process that always runs and has CPU while
# no request arrives: Cloud Run with CPU always allocated (instance-based billing) and exactly one
# instance gives that without a cluster or a VM to patch, and restarts it when /healthz fails.
# What it costs: during a deploy the new revision's instance connects before the old one stops,
# and both use the one client id, so the broker hands the session back and forth for the seconds
# they overlap. Nothing is lost (acknowledgements are per session and in order; a message whose
# PUBACK did not make it is redelivered with the same event id, which ingest deduplicates). A
# StatefulSet of one pod on GKE would rule the overlap out, at the price of a cluster. Cloud Run
# worker pools (pull workloads without an endpoint) fit even better once the google provider has
# them as GA.
#
# Scaling out is a shared subscription ($share/GROUP/...) over several bridges with their own
# client ids (eventflow-mqtt/README.md): a second service, not more instances of this one.
#
# Created only once an image is given (var.mqtt_image).

locals {
  mqtt_service  = "eventflow-mqtt"
  mqtt_sa_id    = "eventflow-mqtt"
  mqtt_port     = 8080
  mqtt_instance = 1

  # The broker URL and the password are secrets (the URL names an internal host; credentials never
  # go in it): Terraform creates the secrets, an operator adds their versions with gcloud, so
  # neither is in Terraform state.
  mqtt_broker_url_secret = "eventflow-mqtt-broker-url"
  mqtt_password_secret   = "eventflow-mqtt-password"

  # Messages that are no valid event go here, with their reason (eventflow-mqtt/README.md, "Dead
  # letters"); a topic keeps nothing without a subscription, hence the holding one.
  mqtt_dead_letter_topic        = "mqtt-dead-letters"
  mqtt_dead_letter_subscription = "mqtt-dead-letters-hold"

  # MqttBridgeMain's environment variables, besides the secrets.
  mqtt_env = merge(
    {
      EVENTFLOW_MQTT_VERSION           = tostring(var.mqtt_version)
      EVENTFLOW_MQTT_CLIENT_ID         = var.mqtt_client_id
      EVENTFLOW_MQTT_EVENTS_TOPIC      = "projects/${var.project_id}/topics/${local.events_topic}"
      EVENTFLOW_MQTT_DEAD_LETTER_TOPIC = "projects/${var.project_id}/topics/${local.mqtt_dead_letter_topic}"
      EVENTFLOW_MQTT_HTTP_PORT         = tostring(local.mqtt_port)
      GOOGLE_CLOUD_PROJECT             = var.project_id
      # /metrics is unreachable on Cloud Run: the bridge publishes to Cloud Monitoring instead.
      EVENTFLOW_CLOUD_MONITORING_PROJECT  = var.project_id
      EVENTFLOW_CLOUD_MONITORING_LOCATION = var.region
    },
    var.mqtt_username == "" ? {} : { EVENTFLOW_MQTT_USERNAME = var.mqtt_username },
    length(var.mqtt_topics) == 0 ? {} : { EVENTFLOW_MQTT_TOPICS = join(",", var.mqtt_topics) },
    length(var.mqtt_templates) == 0 ? {} : { EVENTFLOW_MQTT_TEMPLATES = join(",", var.mqtt_templates) },
  )

  # Secret environment variables: name => (secret, version). The password only with a username.
  mqtt_secret_env = merge(
    {
      EVENTFLOW_MQTT_BROKER = {
        secret  = local.mqtt_broker_url_secret
        version = var.mqtt_broker_url_version
      }
    },
    var.mqtt_username == "" ? {} : {
      EVENTFLOW_MQTT_PASSWORD = {
        secret  = local.mqtt_password_secret
        version = var.mqtt_password_version
      }
    },
  )
}

resource "google_pubsub_topic" "mqtt_dead_letters" {
  name = local.mqtt_dead_letter_topic

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "mqtt_dead_letters_hold" {
  name                       = local.mqtt_dead_letter_subscription
  topic                      = google_pubsub_topic.mqtt_dead_letters.id
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

resource "google_secret_manager_secret" "mqtt_broker_url" {
  secret_id = local.mqtt_broker_url_secret

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "mqtt_password" {
  secret_id = local.mqtt_password_secret

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_cloud_run_v2_service" "mqtt" {
  count = var.mqtt_image == "" ? 0 : 1

  name     = local.mqtt_service
  location = var.region
  # Nothing calls the bridge; its HTTP port is there for Cloud Run's probes. Internal ingress and
  # no run.invoker grant keep /metrics and the probes unreachable from outside.
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = var.deletion_protection

  template {
    service_account = google_service_account.mqtt.email

    # Exactly one instance: the broker keeps one session per client id, and a second instance with
    # the same id would take the session over (see the top of this file).
    scaling {
      min_instance_count = local.mqtt_instance
      max_instance_count = local.mqtt_instance
    }

    containers {
      image = var.mqtt_image

      ports {
        container_port = local.mqtt_port
      }

      resources {
        limits = {
          cpu    = "1"
          memory = var.mqtt_memory
        }
        # CPU always allocated (instance-based billing): the bridge works between requests, which
        # is all the time; with CPU only during requests it would be throttled to nothing.
        cpu_idle          = false
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.mqtt_env
        content {
          name  = env.key
          value = env.value
        }
      }

      # Read by Cloud Run when the instance starts, as the bridge's service account.
      dynamic "env" {
        for_each = local.mqtt_secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value.secret
              version = env.value.version
            }
          }
        }
      }

      # /readyz is 200 once connected to the broker and subscribed at QoS 1: a revision that cannot
      # reach the broker (a wrong URL or password) never becomes ready, and Cloud Run keeps the
      # old one. 30 probes 4 s apart wait two minutes: the JVM's start and a few reconnects.
      startup_probe {
        http_get {
          path = "/readyz"
          port = local.mqtt_port
        }
        period_seconds    = 4
        timeout_seconds   = 1
        failure_threshold = 30
      }
      # /healthz, not /readyz: a broker outage is waited out by the client's own reconnects
      # (1 s doubling to 1 min); restarting the instance would not bring the broker back.
      liveness_probe {
        http_get {
          path = "/healthz"
          port = local.mqtt_port
        }
        period_seconds    = 10
        timeout_seconds   = 1
        failure_threshold = 3
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_pubsub_topic_iam_member.mqtt_publishes,
    google_secret_manager_secret_iam_member.mqtt_reads_secrets,
  ]
}
