# Memorystore for Redis: the query service's shared (L2) answer cache.
#
# The cache only holds answers the service would compute again from Spanner, and a query survives
# Redis being down (each operation has a 50 ms timeout, then Spanner is read). So the BASIC tier
# (no replica) is the default.
#
# Reachable only from the eventflow VPC (direct peering): the query service reaches it through
# direct VPC egress (cloudrun.tf). AUTH and in-transit TLS are off: Memorystore's TLS uses a
# per-instance CA that the JVM does not trust out of the box, and the instance has no public
# address. Turn both on (rediss:// and a password in EVENTFLOW_REDIS_URL, from Secret Manager) if
# other workloads share the network.
resource "google_redis_instance" "cache" {
  name           = local.redis_instance
  display_name   = "eventflow query cache"
  region         = var.region
  tier           = var.redis_tier
  memory_size_gb = var.redis_memory_size_gb
  redis_version  = var.redis_version

  authorized_network = google_compute_network.main.id
  connect_mode       = "DIRECT_PEERING"

  auth_enabled            = false
  transit_encryption_mode = "DISABLED"

  redis_configs = {
    # Evict the least recently used answer when memory is full; every key also has a TTL
    # (EVENTFLOW_CACHE_TTL, 1 h), so eviction only happens under pressure.
    maxmemory-policy = "allkeys-lru"
  }

  depends_on = [google_project_service.apis]
}
