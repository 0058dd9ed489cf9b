-- Interval storage in the embedded H2 database: the same logical schema as spanner-schema.sql.
-- Statements end with ';'; lines starting with '--' are comments. Applied on every open, so every
-- statement must be idempotent.
--
-- Instants are BIGINT epoch seconds (UTC): interval starts are whole seconds, and H2's
-- TIMESTAMP WITH TIME ZONE would add a session time-zone conversion to every row read.
CREATE TABLE IF NOT EXISTS intervals (
  series VARCHAR(1024) NOT NULL,
  resolution BIGINT NOT NULL,
  interval_start BIGINT NOT NULL,
  row_id BIGINT NOT NULL,
  aggregate_value DOUBLE PRECISION NOT NULL,
  event_count BIGINT NOT NULL,
  commit_time TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (series, resolution, interval_start, row_id)
);

CREATE TABLE IF NOT EXISTS series (
  name VARCHAR(1024) NOT NULL PRIMARY KEY,
  aggregate_function VARCHAR(8) NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  commit_time TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Entities for enrichment (see spanner-schema.sql): `entity` is the serialized eventflow.Entity.
CREATE TABLE IF NOT EXISTS entities (
  kind VARCHAR(64) NOT NULL,
  entity_key VARCHAR(1024) NOT NULL,
  entity VARBINARY(1000000) NOT NULL,
  commit_time TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (kind, entity_key)
);
