# Spanner: the interval store the rollups job writes and the query service reads.
#
# The DDL is the store module's own file, the one its Spanner adapter and tests use. It is split
# the way that module's Schemas.statements() splits it: lines starting with "--" are comments,
# statements end with ";". The offline check (TerraformConfigTest) evaluates this split with
# terraform console and compares it with Schemas.spannerDdl().

locals {
  spanner_ddl_lines = [
    for line in split("\n", file("${path.module}/../eventflow-timeseries-store/src/main/resources/io/eventflow/timeseries/store/spanner-schema.sql")) :
    line if !startswith(trimspace(line), "--")
  ]
  spanner_ddl = [
    for statement in split(";", join("\n", local.spanner_ddl_lines)) :
    trimspace(statement) if trimspace(statement) != ""
  ]
}

resource "google_spanner_instance" "main" {
  name         = local.spanner_instance
  config       = "regional-${var.region}"
  display_name = "eventflow"

  # 100 processing units is the smallest (and cheapest) instance; see README.md for the price.
  processing_units = var.spanner_processing_units

  depends_on = [google_project_service.apis]
}

resource "google_spanner_database" "main" {
  instance            = google_spanner_instance.main.name
  name                = var.spanner_database
  database_dialect    = "GOOGLE_STANDARD_SQL"
  ddl                 = local.spanner_ddl
  deletion_protection = var.deletion_protection

  # Point-in-time recovery window: a bad deploy of the rollups job can be undone by reading (or
  # restoring) the database as of before it, for up to a day. Longer windows cost storage.
  version_retention_period = "1d"
}
