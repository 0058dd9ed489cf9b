package io.eventflow.events.query;

import io.eventflow.events.query.GeneratedSql.Parameters;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.io.IOException;
import java.util.List;

/**
 * Where raw events are queried: the archive's files through DuckDB ({@link ArchiveEventStore}) or
 * the BigQuery events table ({@link BigQueryEventStore}). {@link EventSql} writes the statements; a
 * store supplies its dialect and the source they read, and runs them.
 */
public interface EventStore extends AutoCloseable {
  /** Returns the SQL dialect this store runs. */
  SqlDialect dialect();

  /**
   * Returns the FROM item holding the events of {@code query}'s type and range (it may hold more:
   * the statement filters again), adding any parameters it needs to {@code parameters}.
   *
   * @throws IOException if the store cannot tell what holds them (an unreadable archive)
   */
  Source source(EventQuery query, Parameters parameters) throws IOException;

  /**
   * Runs a statement and returns its rows; each value is a {@link String}, {@link Long}, {@link
   * Double}, {@link Boolean} or null.
   *
   * @throws InvalidQueryException if the store rejects the statement for a reason the user can fix
   * @throws IOException if the store cannot be read or reached
   */
  List<Object[]> execute(GeneratedSql sql) throws InvalidQueryException, IOException;

  /** Releases the store's connection. */
  @Override
  void close() throws IOException;

  /**
   * A FROM item.
   *
   * @param sql its text
   * @param empty whether it is known to hold no rows
   */
  record Source(String sql, boolean empty) {}
}
