# A private network for the Dataflow workers, Memorystore and the query service's VPC egress.
# Workers run without public IPs (no external IP charges, nothing reachable from the internet):
# Private Google Access lets them reach Pub/Sub, BigQuery, Spanner and Cloud Storage anyway.

resource "google_compute_network" "main" {
  name                    = local.network_name
  auto_create_subnetworks = false

  depends_on = [google_project_service.apis]
}

resource "google_compute_subnetwork" "main" {
  name                     = local.subnetwork_name
  region                   = var.region
  network                  = google_compute_network.main.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true
}

# Dataflow workers exchange data with each other on TCP 12345-12346 (Dataflow's documented ports);
# Dataflow tags its VMs "dataflow".
resource "google_compute_firewall" "dataflow_workers" {
  name        = "eventflow-dataflow-workers"
  network     = google_compute_network.main.id
  direction   = "INGRESS"
  source_tags = ["dataflow"]
  target_tags = ["dataflow"]

  allow {
    protocol = "tcp"
    ports    = ["12345-12346"]
  }
}
