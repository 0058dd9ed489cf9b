# Observability as code: the pipeline dashboard (dashboards/pipeline.json), the alert policies and
# the grants that let the services write their metrics. What each chart and alert means, and its
# threshold, is in README.md ("Dashboard and alerts").
#
# Three sources of metrics:
#   * Dataflow and Pub/Sub's own (dataflow.googleapis.com/job/..., pubsub.googleapis.com/...);
#   * the jobs' Beam counters, which Dataflow reports as dataflow.googleapis.com/job/user_counter
#     with the counter's name in the metric_name label: a running total sampled once a minute, a
#     GAUGE, so rates are taken with PromQL's delta();
#   * the services' Micrometer meters, published by eventflow-metrics as custom.googleapis.com/...
#     (the meter name with dots as slashes) on the generic_task resource, job = the service.

# --- Inputs ------------------------------------------------------------------------------------

variable "notification_channels" {
  type        = list(string)
  description = "Cloud Monitoring notification channels the alert policies notify, as ids (projects/PROJECT/notificationChannels/NUMBER; create them in the console or with google_monitoring_notification_channel). Empty: the policies are still created and open incidents in the console, but notify nobody."
  default     = []

  validation {
    condition     = alltrue([for channel in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", channel))])
    error_message = "Each notification channel is an id such as projects/my-project/notificationChannels/1234567890."
  }
}

variable "alert_watermark_lag_seconds" {
  type        = number
  description = "Alert when either job's data watermark is older than this many seconds for 5 minutes. 120: events reach BigQuery within seconds and the series within a pane (10 s), so two minutes behind is a job that stopped keeping up."
  default     = 120

  validation {
    condition     = var.alert_watermark_lag_seconds > 0
    error_message = "alert_watermark_lag_seconds must be positive."
  }
}

variable "alert_dead_letter_ratio" {
  type        = number
  description = "Alert when more than this fraction of the messages ingest read in 5 minutes became dead letters (invalid, or rejected by BigQuery), for 5 minutes. 0.01 is 1%."
  default     = 0.01

  validation {
    condition     = var.alert_dead_letter_ratio > 0 && var.alert_dead_letter_ratio < 1
    error_message = "alert_dead_letter_ratio is a fraction between 0 and 1, e.g. 0.01 for 1%."
  }
}

variable "alert_query_p99_ms" {
  type        = number
  description = "Alert when the query service's 99th percentile call latency exceeds this many milliseconds for 5 minutes."
  default     = 500

  validation {
    condition     = var.alert_query_p99_ms > 0
    error_message = "alert_query_p99_ms must be positive."
  }
}

variable "alert_oldest_unacked_seconds" {
  type        = number
  description = "Alert when a job subscription's oldest unacknowledged message is older than this many seconds for a minute. 600: ten minutes of events are waiting, far past any pane or batch."
  default     = 600

  validation {
    condition     = var.alert_oldest_unacked_seconds > 0
    error_message = "alert_oldest_unacked_seconds must be positive."
  }
}

# --- Names the charts and alerts select by ------------------------------------------------------

locals {
  # The services' job label in Cloud Monitoring: the MONITORING_JOB constants of ServerConfig,
  # CollectorConfig and BridgeConfig (MonitoringConfigTest checks they agree).
  monitoring_query_job     = "eventflow-timeseries-srv"
  monitoring_collector_job = "eventflow-collector"
  monitoring_mqtt_job      = "eventflow-mqtt"

  # Beam counter names (metric_name) as PromQL regular expressions. Character classes instead of
  # backslashes: the text passes through HCL, JSON and PromQL strings, each with its own escapes.
  #   invalid.REASON: ingest's dead letters by reason (ParseEvents, WriteEventsToBigQuery)
  #   valid.TYPE:     ingest's valid events by type (ParseEvents)
  invalid_counters        = "invalid[.].*"
  valid_counters          = "valid[.].*"
  bigquery_insert_failed  = "invalid.BIGQUERY_INSERT_FAILED"
  bigquery_error_counters = "invalid[.]BIGQUERY_INSERT_FAILED|invalid_messages[.]rejected"
  # The rollups job's messages that do not decode (DecodeEvents), written where ingest's go.
  rollups_undecodable_counter = "undecodableMessages"

  # Dead letters per message read, over 5 minutes (dashboards/dead-letter-ratio.promql): every
  # invalid.* counter (rows BigQuery rejected included) over the messages parsed (valid.* and
  # invalid.*, less BigQuery's rejections, which were counted as valid first). delta() of the
  # running totals is what each added in the window. The dashboard and the alert use this one text.
  dead_letter_ratio = trimspace(templatefile("${path.module}/dashboards/dead-letter-ratio.promql", {
    ingest_job             = local.ingest_job
    invalid_counters       = local.invalid_counters
    valid_counters         = local.valid_counters
    bigquery_insert_failed = local.bigquery_insert_failed
    window                 = "5m"
  }))

  pipeline_dashboard_json = templatefile("${path.module}/dashboards/pipeline.json", {
    ingest_job                       = local.ingest_job
    rollups_job                      = local.rollups_job
    ingest_subscription              = local.ingest_subscription
    rollups_subscription             = local.rollups_subscription
    ingest_dead_letter_subscription  = local.ingest_dead_letter_subscription
    rollups_dead_letter_subscription = local.rollups_dead_letter_subscription
    query_job                        = local.monitoring_query_job
    collector_job                    = local.monitoring_collector_job
    mqtt_job                         = local.monitoring_mqtt_job
    invalid_counters                 = local.invalid_counters
    bigquery_error_counters          = local.bigquery_error_counters
    rollups_undecodable_counter      = local.rollups_undecodable_counter
    dead_letter_ratio                = local.dead_letter_ratio
    watermark_lag_seconds            = var.alert_watermark_lag_seconds
    dead_letter_ratio_threshold      = var.alert_dead_letter_ratio
    query_p99_ms                     = var.alert_query_p99_ms
    oldest_unacked_seconds           = var.alert_oldest_unacked_seconds
  })
}

# --- API, grants -------------------------------------------------------------------------------

# Dashboards, alert policies and the services' metric writes. Its own resource rather than an
# entry in apis.tf, so that file stays the list of what the pipeline itself runs on.
resource "google_project_service" "monitoring" {
  project            = var.project_id
  service            = "monitoring.googleapis.com"
  disable_on_destroy = false
}

# The services publish their meters (eventflow-metrics). roles/monitoring.metricWriter exists only
# at project level; it can write time series and create and list metric descriptors (what
# Micrometer's Stackdriver registry does), and read no metric data.
# The Dataflow workers need no grant: roles/dataflow.worker already includes writing metrics. The
# scheduled feed (the eventflow CLI) exports no metrics, so its account gets none.
resource "google_project_iam_member" "services_write_metrics" {
  for_each = {
    query     = google_service_account.query.member
    collector = google_service_account.collector.member
    mqtt      = google_service_account.mqtt.member
  }

  project = var.project_id
  role    = "roles/monitoring.metricWriter"
  member  = each.value
}

# --- Dashboard ---------------------------------------------------------------------------------

resource "google_monitoring_dashboard" "pipeline" {
  dashboard_json = local.pipeline_dashboard_json

  depends_on = [google_project_service.monitoring]
}

# --- Alert policies ----------------------------------------------------------------------------

resource "google_monitoring_alert_policy" "watermark_lag" {
  display_name          = "eventflow: a job's data watermark is over ${var.alert_watermark_lag_seconds} s behind"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "data_watermark_age > ${var.alert_watermark_lag_seconds} s for 5 min"
    condition_threshold {
      filter          = "metric.type=\"dataflow.googleapis.com/job/data_watermark_age\" resource.type=\"dataflow_job\" resource.label.\"job_name\"=one_of(\"${local.ingest_job}\",\"${local.rollups_job}\")"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_watermark_lag_seconds
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.\"job_name\""]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The job named in the incident has not finished events published more than ${var.alert_watermark_lag_seconds} s ago, for 5 minutes: data in BigQuery and the series is that late. Look at its system lag and the Pub/Sub backlog on the eventflow pipeline dashboard, then the job's page in the Dataflow console (autoscaling at its worker ceiling, a stuck step, worker errors). terraform/README.md, \"Dashboard and alerts\"."
  }

  depends_on = [google_project_service.monitoring]
}

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "eventflow: dead letters are over ${var.alert_dead_letter_ratio} of the messages ingest reads"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "dead letters / messages over 5 min > ${var.alert_dead_letter_ratio} for 5 min"
    condition_prometheus_query_language {
      query               = "(${local.dead_letter_ratio}) > ${var.alert_dead_letter_ratio}"
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than a fraction ${var.alert_dead_letter_ratio} (0.01 is 1%) of the messages the ingest job read in 5 minutes went to invalid_messages instead of the events table. The dashboard's dead-letter chart names the reasons; the rows (with the original payload) are in BigQuery: SELECT reason, COUNT(*) FROM eventflow.invalid_messages WHERE received_at > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR) GROUP BY reason. A publisher sending a new or broken format is the usual cause; BIGQUERY_INSERT_FAILED means the events table's schema and the job disagree."
  }

  depends_on = [google_project_service.monitoring]
}

resource "google_monitoring_alert_policy" "query_latency" {
  display_name          = "eventflow: query p99 latency over ${var.alert_query_p99_ms} ms"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "query service p99 > ${var.alert_query_p99_ms} ms for 5 min"
    condition_threshold {
      filter          = "metric.type=\"custom.googleapis.com/grpc/server/processing/duration\" resource.type=\"generic_task\" resource.label.\"job\"=\"${local.monitoring_query_job}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_query_p99_ms
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_PERCENTILE_99"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The query service's 99th percentile call latency (every method and status, all instances) has been over ${var.alert_query_p99_ms} ms for 5 minutes. Check the dashboard's cache hit ratio (a cold or unreachable Redis sends every query to Spanner), refused queries (the pool is full: raise query_max_instances) and Spanner's CPU."
  }

  depends_on = [google_project_service.monitoring]
}

resource "google_monitoring_alert_policy" "oldest_unacked" {
  display_name          = "eventflow: a job subscription holds messages older than ${var.alert_oldest_unacked_seconds} s"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "oldest_unacked_message_age > ${var.alert_oldest_unacked_seconds} s for 1 min"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" resource.type=\"pubsub_subscription\" resource.label.\"subscription_id\"=one_of(\"${local.ingest_subscription}\",\"${local.rollups_subscription}\")"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_oldest_unacked_seconds
      duration        = "60s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.\"subscription_id\""]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A job subscription's oldest unacknowledged message is over ${var.alert_oldest_unacked_seconds} s old: its job is not running (drained, cancelled, failed), cannot keep up, or keeps failing one message. Messages are kept for 7 days. Check the job in the Dataflow console and the backlog chart on the eventflow pipeline dashboard."
  }

  depends_on = [google_project_service.monitoring]
}

# pubsub.tf: Pub/Sub dead-letters a message only after the job failed to acknowledge it 100 times,
# so the holding subscriptions should stay empty; a message there is a job bug.
resource "google_monitoring_alert_policy" "dead_letter_holds" {
  display_name          = "eventflow: Pub/Sub dead-lettered a message a job could not process"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "num_undelivered_messages > 0 in a dead-letter hold"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" resource.type=\"pubsub_subscription\" resource.label.\"subscription_id\"=one_of(\"${local.ingest_dead_letter_subscription}\",\"${local.rollups_dead_letter_subscription}\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.\"subscription_id\""]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A message was delivered to a job the maximum number of times without being acknowledged, and Pub/Sub moved it to the dead-letter hold named in the incident (kept 7 days). Pull it (gcloud pubsub subscriptions pull SUBSCRIPTION --limit 1) and look at the job's worker logs for the error that made it fail every time."
  }

  depends_on = [google_project_service.monitoring]
}
