# Terraform and provider versions.
#
# The google provider is pinned to one major release: 6.x renamed and removed arguments relative to
# 5.x (and 7.x does again), so a floating major would break `plan` on the next release. 6.45 is the
# oldest release every argument used here is known to exist in (deletion_protection on Cloud Run
# v2, top-level require_partition_filter on BigQuery tables, direct VPC egress). `terraform init`
# records the exact version and checksums in .terraform.lock.hcl: commit that file.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.45"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region

  # Labels every resource that supports them, so the bill can be filtered by app=eventflow.
  default_labels = var.labels
}

# The project number names the Pub/Sub service agent, which forwards dead letters.
data "google_project" "this" {
  project_id = var.project_id
}
