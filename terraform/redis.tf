# Memorystore for Redis: the query service's shared (L2) answer cache.
#
# The cache only holds answers the service would compute again from Spanner, and a query survives
# Redis being down (each operation has a 50 ms timeout, then Spanner is read). So the BASIC tier
# (no replica) is the default.
#
# Reachable only from the eventflow VPC (direct peering): the query service reaches it through
# direct VPC egress (cloudrun.tf). AUTH and in-transit encryption are on, so nothing else on the
# network can read or poison cached answers: the service connects with rediss:// (port 6378),
# verifies the server against the instance's own CA (EVENTFLOW_REDIS_CA_CERT, from the instance's
# server_ca_certs) and authenticates with the AUTH string, which it reads from Secret Manager
# (EVENTFLOW_REDIS_PASSWORD, injected by Cloud Run from the secret below; only the query service
# account may read it).
resource "google_redis_instance" "cache" {
  name           = local.redis_instance
  display_name   = "eventflow query cache"
  region         = var.region
  tier           = var.redis_tier
  memory_size_gb = var.redis_memory_size_gb
  redis_version  = var.redis_version

  authorized_network = google_compute_network.main.id
  connect_mode       = "DIRECT_PEERING"

  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION"

  redis_configs = {
    # Evict the least recently used answer when memory is full; every key also has a TTL
    # (EVENTFLOW_CACHE_TTL, 1 h), so eviction only happens under pressure.
    maxmemory-policy = "allkeys-lru"
  }

  depends_on = [google_project_service.apis]
}

# The AUTH string, kept in Secret Manager rather than in the service's plain environment (where
# anyone with run.services.get could read it). Terraform state holds it too (auth_string): keep the
# state in a bucket only operators can read.
resource "google_secret_manager_secret" "redis_auth" {
  secret_id = local.redis_auth_secret

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "redis_auth" {
  secret      = google_secret_manager_secret.redis_auth.id
  secret_data = google_redis_instance.cache.auth_string
}

resource "google_secret_manager_secret_iam_member" "query_reads_redis_auth" {
  secret_id = google_secret_manager_secret.redis_auth.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.query.member
}
