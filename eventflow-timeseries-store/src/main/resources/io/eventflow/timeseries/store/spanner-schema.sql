-- Interval storage in Spanner (GoogleSQL dialect). The one copy of this DDL: the rollups job, the
-- tests and Terraform all read this file. Statements end with ';'; lines starting with '--' are
-- comments.
--
-- Keys lead with the series name, never a timestamp: a timestamp-first key sends every write of
-- the current minute to the same split (a hotspot), while series names spread writes over splits.
-- Each interval may have several rows, one per pane of the rollups job (row_id tells them apart);
-- readers combine them with the series' function.
CREATE TABLE intervals (
  series STRING(1024) NOT NULL,
  resolution INT64 NOT NULL,
  interval_start TIMESTAMP NOT NULL,
  row_id INT64 NOT NULL,
  aggregate_value FLOAT64 NOT NULL,
  event_count INT64 NOT NULL,
  commit_time TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp = true),
) PRIMARY KEY (series, resolution, interval_start, row_id);

-- The series catalog: listing series reads this table, never intervals.
CREATE TABLE series (
  name STRING(1024) NOT NULL,
  aggregate_function STRING(8) NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  commit_time TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp = true),
) PRIMARY KEY (name);

-- Entities: what is known about a customer, source or device, looked up by ingest's enrichment
-- step. One row per (kind, entity_key); `entity` is the serialized eventflow.Entity message
-- (entity.proto), so attributes keep their AttributeValue types. Keyed by kind first: enrichment
-- reads one kind at a time, with many keys per read.
CREATE TABLE entities (
  kind STRING(64) NOT NULL,
  entity_key STRING(1024) NOT NULL,
  entity BYTES(MAX) NOT NULL,
  commit_time TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp = true),
) PRIMARY KEY (kind, entity_key);
