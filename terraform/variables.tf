# Every input of the configuration. Only project_id is required; the defaults describe the
# smallest deployment that runs the whole pipeline (see README.md for what it costs).

variable "project_id" {
  type        = string
  description = "The GCP project to deploy into (its id, not its number or display name)."
}

variable "region" {
  type        = string
  description = "The region of every regional resource: Dataflow jobs, Spanner, Redis, Cloud Run, the bucket and the BigQuery dataset. Keeping them together avoids cross-region egress charges."
  default     = "us-central1"
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that supports them."
  default = {
    app = "eventflow"
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protects the data-holding resources (BigQuery dataset and tables, Spanner database, bucket contents, Cloud Run service) against `terraform destroy`. Set to false and apply before tearing down."
  default     = true
}

# --- Network ---------------------------------------------------------------------------------

variable "subnet_cidr" {
  type        = string
  description = "The IPv4 range of the subnetwork holding Dataflow workers and the query service's direct VPC egress. Cloud Run needs at least a /26; a /24 leaves room for 100+ workers and instances."
  default     = "10.10.0.0/24"

  validation {
    condition     = can(cidrnetmask(var.subnet_cidr))
    error_message = "subnet_cidr must be an IPv4 CIDR range such as 10.10.0.0/24."
  }
}

# --- Pub/Sub ---------------------------------------------------------------------------------

variable "subscription_message_retention" {
  type        = string
  description = "How long the ingest and rollups subscriptions keep unacknowledged messages, as seconds with an s suffix. Pub/Sub allows at most 7 days (604800s); that is how long a stopped job can be down without losing events."
  default     = "604800s"
}

variable "subscription_ack_deadline_seconds" {
  type        = number
  description = "Initial acknowledgement deadline of the job subscriptions. Dataflow extends deadlines itself while it works; 60 s keeps redeliveries rare when a worker restarts."
  default     = 60

  validation {
    condition     = var.subscription_ack_deadline_seconds >= 10 && var.subscription_ack_deadline_seconds <= 600
    error_message = "Pub/Sub ack deadlines are between 10 and 600 seconds."
  }
}

variable "dead_letter_max_delivery_attempts" {
  type        = number
  description = "Deliveries of a message to a job subscription before Pub/Sub moves it to the dead-letter topic (5 to 100). The jobs dead-letter invalid events themselves; this only parks messages the job could never acknowledge, so the default is the maximum."
  default     = 100

  validation {
    condition     = var.dead_letter_max_delivery_attempts >= 5 && var.dead_letter_max_delivery_attempts <= 100
    error_message = "Pub/Sub allows 5 to 100 delivery attempts."
  }
}

variable "publishers" {
  type        = list(string)
  description = "Principals allowed to publish to the events topic besides the eventflow-publisher service account, e.g. [\"user:dev@example.com\", \"serviceAccount:shop@p.iam.gserviceaccount.com\"]."
  default     = []
}

# --- BigQuery --------------------------------------------------------------------------------

variable "bigquery_dataset" {
  type        = string
  description = "The BigQuery dataset holding the events and invalid_messages tables."
  default     = "eventflow"

  validation {
    # Terraform's regular expressions (RE2) allow at most 1000 repetitions, so the 1,024-character
    # limit is a separate length check.
    condition     = can(regex("^[A-Za-z0-9_]+$", var.bigquery_dataset)) && length(var.bigquery_dataset) <= 1024
    error_message = "A dataset id holds 1 to 1,024 letters, digits and underscores."
  }
}

variable "bigquery_partition_expiration_days" {
  type        = number
  description = "Days a day partition of either table is kept before BigQuery deletes it; 0 keeps partitions forever."
  default     = 0

  validation {
    condition     = var.bigquery_partition_expiration_days >= 0
    error_message = "bigquery_partition_expiration_days must be 0 (keep forever) or positive."
  }
}

variable "bigquery_write_method" {
  type        = string
  description = "How the ingest job writes BigQuery: STORAGE_WRITE_API (rows queryable within seconds, about $0.025 per GiB after 2 TiB free a month) or FILE_LOADS (free load jobs, rows visible minutes later)."
  default     = "STORAGE_WRITE_API"

  validation {
    condition     = contains(["STORAGE_WRITE_API", "FILE_LOADS"], var.bigquery_write_method)
    error_message = "bigquery_write_method is STORAGE_WRITE_API or FILE_LOADS."
  }
}

# --- Spanner ---------------------------------------------------------------------------------

variable "spanner_processing_units" {
  type        = number
  description = "Compute capacity of the Spanner instance: 100 to 900 in steps of 100, or whole nodes as multiples of 1000. 100 units are the smallest instance, a tenth of a node: at Google's rule of thumb of about 2,000 row writes per second per regional node, ~200 per second, enough for ~1,000 active series (each writes a minute and a quarter-hour row per 10 s pane)."
  default     = 100

  validation {
    condition     = (var.spanner_processing_units >= 100 && var.spanner_processing_units < 1000 && var.spanner_processing_units % 100 == 0) || (var.spanner_processing_units >= 1000 && var.spanner_processing_units % 1000 == 0)
    error_message = "Spanner takes 100-900 processing units in steps of 100, or multiples of 1000."
  }
}

variable "spanner_database" {
  type        = string
  description = "The Spanner database holding the interval tables."
  default     = "eventflow"
}

# --- Redis -----------------------------------------------------------------------------------

variable "redis_tier" {
  type        = string
  description = "Memorystore tier: BASIC (one node; a failure empties the cache, which queries survive by reading Spanner) or STANDARD_HA (a replica, about twice the price)."
  default     = "BASIC"

  validation {
    condition     = contains(["BASIC", "STANDARD_HA"], var.redis_tier)
    error_message = "redis_tier is BASIC or STANDARD_HA."
  }
}

variable "redis_memory_size_gb" {
  type        = number
  description = "Memorystore capacity in GiB. 1 GiB holds about 100,000 cached answers of 500 buckets (8 KB each)."
  default     = 1
}

variable "redis_version" {
  type        = string
  description = "Memorystore Redis version."
  default     = "REDIS_7_2"
}

# --- Storage ---------------------------------------------------------------------------------

variable "archive_nearline_after_days" {
  type        = number
  description = "Days after which archive files move to Nearline storage (about half the Standard price; reading them costs $0.01/GiB)."
  default     = 30
}

variable "archive_coldline_after_days" {
  type        = number
  description = "Days after which archive files move to Coldline storage (about a fifth of the Standard price)."
  default     = 90
}

variable "archive_delete_after_days" {
  type        = number
  description = "Days after which archive files are deleted; 0 keeps them forever."
  default     = 0

  validation {
    condition     = var.archive_delete_after_days >= 0
    error_message = "archive_delete_after_days must be 0 (keep forever) or positive."
  }
}

# --- Dataflow jobs ---------------------------------------------------------------------------

variable "dataflow_machine_type" {
  type        = string
  description = "Worker machine type of both jobs. With Streaming Engine, shuffle and state live outside the workers, so 2 vCPUs (n1-standard-2, Dataflow's default for Streaming Engine jobs) suffice."
  default     = "n1-standard-2"
}

variable "ingest_max_workers" {
  type        = number
  description = "Autoscaling ceiling of the ingest job. One n1-standard-2 worker parses and writes thousands of events per second; the ceiling bounds the bill."
  default     = 3
}

variable "rollups_max_workers" {
  type        = number
  description = "Autoscaling ceiling of the rollups job."
  default     = 3
}

variable "rollups" {
  type        = string
  description = "Custom rollups for the rollups job's --rollups option: TYPE:FUNC:ATTRIBUTE entries separated by commas, FUNC one of sum, min, max (e.g. purchase:sum:amount_cents). Event counts are always rolled up. Empty: counts only."
  default     = ""
}

variable "dataflow_launchers" {
  type        = list(string)
  description = "Principals allowed to launch, update, drain and cancel the jobs (roles/dataflow.admin on the project, and permission to run workers as the two job service accounts), e.g. [\"user:ops@example.com\"]."
  default     = []
}

# --- Query service ---------------------------------------------------------------------------

variable "query_service_image" {
  type        = string
  description = "Container image of eventflow-timeseries-srv, e.g. us-central1-docker.pkg.dev/PROJECT/eventflow/eventflow-timeseries-srv:0.1.0. Empty: the Cloud Run service is not created yet (apply once, push the image to the repository this creates, then apply with the image)."
  default     = ""
}

variable "query_min_instances" {
  type        = number
  description = "Instances Cloud Run keeps warm. 0 scales to zero (no cost while idle, a JVM cold start of a few seconds on the first query); 1 keeps queries fast at the price of an always-on instance."
  default     = 0
}

variable "query_max_instances" {
  type        = number
  description = "Autoscaling ceiling of the query service; bounds the bill and the Spanner read load."
  default     = 3
}

variable "query_cpu" {
  type        = string
  description = "vCPUs per query service instance."
  default     = "1"
}

variable "query_memory" {
  type        = string
  description = "Memory per query service instance. The image sizes the heap to 75% of it; 1Gi leaves room for the 64 MiB in-process cache."
  default     = "1Gi"
}

variable "query_invokers" {
  type        = list(string)
  description = "Principals given roles/run.invoker on the query service, e.g. [\"user:analyst@example.com\", \"group:dashboards@example.com\"]. The service is never public: allUsers and allAuthenticatedUsers are refused."
  default     = []

  validation {
    condition     = alltrue([for member in var.query_invokers : !contains(["allUsers", "allAuthenticatedUsers"], member)])
    error_message = "The query service is not public: grant roles/run.invoker to named users, groups or service accounts."
  }
}

# --- Collector (collector.tf) ----------------------------------------------------------------

variable "collector_image" {
  type        = string
  description = "Container image of eventflow-collector (entry point io.eventflow.collector.CollectorMain), e.g. us-central1-docker.pkg.dev/PROJECT/eventflow/eventflow-collector:0.1.0. Empty: the collector is not deployed yet."
  default     = ""
}

variable "collector_api_keys" {
  type        = map(string)
  description = "The collector's API keys as SHA-256 hex hash => source, the lines of its key file (`eventflow collector hash-key KEY SOURCE` prints one). Only hashes: a key of 128 random bits or more cannot be recovered from its hash, so this may sit in tfvars and state. Required once collector_image is set (the collector refuses to listen publicly without keys)."
  default     = {}

  validation {
    condition     = alltrue([for hash, source in var.collector_api_keys : can(regex("^[0-9a-f]{64}$", hash)) && can(regex("^[^\\s#]+$", source))])
    error_message = "collector_api_keys maps lowercase 64-digit SHA-256 hex hashes to sources without spaces (eventflow collector hash-key KEY SOURCE)."
  }
}

variable "collector_cors_origins" {
  type        = list(string)
  description = "Origins browsers may send events from (the browser tracker), e.g. [\"https://shop.example.com\"]; [\"*\"] for any. Empty: no CORS (server-to-server clients only)."
  default     = []
}

variable "collector_rate_per_key" {
  type        = number
  description = "Requests per second one API key may make (a token bucket per key and instance, bursts of one second's worth); over it the collector answers 429 with Retry-After."
  default     = 1000
}

variable "collector_max_request_bytes" {
  type        = number
  description = "Largest request body the collector reads, in bytes (413 above it). At most 10,000,000, Pub/Sub's own request limit, and at least 262,144, the largest event ingest accepts."
  default     = 10000000

  validation {
    condition     = var.collector_max_request_bytes >= 262144 && var.collector_max_request_bytes <= 10000000
    error_message = "collector_max_request_bytes is between 262144 (one event) and 10000000 (Pub/Sub's request limit)."
  }
}

variable "collector_min_instances" {
  type        = number
  description = "Collector instances Cloud Run keeps warm. 1 (default) spares the first request after a quiet period a JVM cold start of several seconds; 0 costs nothing while idle."
  default     = 1
}

variable "collector_max_instances" {
  type        = number
  description = "Autoscaling ceiling of the collector; bounds the bill and the Pub/Sub publish rate under a flood."
  default     = 10
}

variable "collector_concurrency" {
  type        = number
  description = "Requests one collector instance takes at once (Cloud Run allows 1 to 1000). A request holds no thread while it waits for Pub/Sub's confirmation, and the collector bounds its own memory (64 MiB of unconfirmed requests, then 503), so the default is Cloud Run's maximum: a lower value would add instances for requests that only wait."
  default     = 1000

  validation {
    condition     = var.collector_concurrency >= 1 && var.collector_concurrency <= 1000
    error_message = "Cloud Run takes 1 to 1000 concurrent requests per instance."
  }
}

variable "collector_cpu" {
  type        = string
  description = "vCPUs per collector instance."
  default     = "1"
}

variable "collector_memory" {
  type        = string
  description = "Memory per collector instance: the JVM, up to 64 MiB of requests awaiting Pub/Sub and as much again in the publisher's batches fit in 1Gi."
  default     = "1Gi"
}

# --- MQTT bridge (mqtt.tf) -------------------------------------------------------------------

variable "mqtt_image" {
  type        = string
  description = "Container image of eventflow-mqtt (entry point io.eventflow.mqtt.MqttBridgeMain). Empty: the bridge is not deployed. Before setting it, add the broker URL (and password) as versions of the secrets mqtt.tf creates (README.md, \"Deploy the services\")."
  default     = ""
}

variable "mqtt_version" {
  type        = number
  description = "MQTT protocol version the bridge speaks: 5, or 3 for 3.1.1 (use 3 against mosquitto 2.0.x, see eventflow-mqtt/README.md)."
  default     = 5

  validation {
    condition     = contains([3, 5], var.mqtt_version)
    error_message = "mqtt_version is 5 or 3 (for 3.1.1)."
  }
}

variable "mqtt_client_id" {
  type        = string
  description = "The bridge's MQTT client id: the broker keeps the persistent session (and its unacknowledged messages) under it, so it must stay the same across deploys."
  default     = "eventflow-mqtt-bridge"
}

variable "mqtt_username" {
  type        = string
  description = "Username the bridge connects with; empty: anonymous. The password is never a variable: it is the secret eventflow-mqtt-password."
  default     = ""
}

variable "mqtt_topics" {
  type        = list(string)
  description = "MQTT subscription filters. Empty: one per template, each placeholder a +."
  default     = []
}

variable "mqtt_templates" {
  type        = list(string)
  description = "Topic templates mapping topic levels to event fields (eventflow-mqtt/README.md). Empty: the bridge's defaults, devices/{customer}/{source}/{type} and eventflow/events."
  default     = []
}

variable "mqtt_broker_url_version" {
  type        = string
  description = "Version of the secret eventflow-mqtt-broker-url the bridge reads (tcp://HOST:1883 or ssl://HOST:8883, no credentials in it). Cloud Run reads it when an instance starts, so pin the version you added: changing it rolls out a new revision."
  default     = "latest"
}

variable "mqtt_password_version" {
  type        = string
  description = "Version of the secret eventflow-mqtt-password the bridge reads when mqtt_username is set. Pin it; rotating is adding a version and applying with its number."
  default     = "latest"
}

variable "mqtt_memory" {
  type        = string
  description = "Memory of the bridge's one instance (1 vCPU, always allocated): the JVM, 1,000 unacknowledged MQTT messages and up to 64 MiB of pending publishes."
  default     = "1Gi"
}

# --- Scheduled feed (feed.tf) ----------------------------------------------------------------

variable "cli_image" {
  type        = string
  description = "Container image of the eventflow CLI (entry point io.eventflow.cli.Main, the job passes `feed ...` as arguments). Empty: no feed job or schedule."
  default     = ""
}

variable "feed_enabled" {
  type        = bool
  description = "Whether Cloud Scheduler starts the synthetic feed every minute. Off by default, like the reference deployment: apply with true to drive the pipeline (a demo, a soak test), or resume it with `gcloud scheduler jobs resume`."
  default     = false
}

variable "feed_rate" {
  type        = number
  description = "Events per second the feed publishes (eventflow feed --rate) for 55 s of every minute. One task of 1 vCPU publishes a few thousand per second; 5,000 is the ceiling."
  default     = 100

  validation {
    condition     = var.feed_rate > 0 && var.feed_rate <= 5000
    error_message = "feed_rate is between 0 (exclusive) and 5000 events per second, what one feed task can publish."
  }
}
