package io.eventflow.events.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.events.query.Condition.And;
import io.eventflow.events.query.Condition.Comparison;
import io.eventflow.events.query.Condition.Not;
import io.eventflow.events.query.Condition.Operator;
import io.eventflow.events.query.Condition.Or;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The where-clause grammar, and what it refuses: anything that is not field op literal. */
class WhereParserTest {
  @Test
  void andBindsTighterThanOrAndParenthesesRegroup() throws Exception {
    assertThat(WhereParser.parse("a = 1 or b = 2 and not c != 'x'"))
        .isEqualTo(
            new Or(
                cmp("a", Operator.EQ, 1.0),
                new And(cmp("b", Operator.EQ, 2.0), new Not(cmp("c", Operator.NE, "x")))));
    assertThat(WhereParser.parse("(a = 1 OR b = 2) AND vip == true"))
        .isEqualTo(
            new And(
                new Or(cmp("a", Operator.EQ, 1.0), cmp("b", Operator.EQ, 2.0)),
                cmp("vip", Operator.EQ, true)));
  }

  @Test
  void backquotedKeysAndEscapedQuotesAreValuesNotSyntax() throws Exception {
    assertThat(WhereParser.parse("`unit price` <= -2.5e1 and customer = \"a\\\"b\""))
        .isEqualTo(
            new And(cmp("unit price", Operator.LE, -25.0), cmp("customer", Operator.EQ, "a\"b")));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "customer = 'acme' OR 1=1                 | column 22: expected a field name, found '1=1'",
        "customer = 'acme'; DROP TABLE events     | column 18: expected and, or or the end, found ';'",
        "customer = 'acme' -- comment             | column 19: expected and, or or the end, found '--'",
        "customer = 'acme' UNION SELECT 1         | column 19: expected and, or or the end, found 'UNION'",
        "customer = (SELECT 1)                    | column 12: expected a literal: a quoted string, a number, true or false, found '(SELECT'",
        "customer = 'acme                         | column 12: expected a string closed by ', found ''acme'",
        "amount > 0x10                            | column 10: expected a number, found '0x10'",
        "amount > NaN                             | column 10: expected a literal: a quoted string, a number, true or false, found 'NaN'",
        "customer = 5                             | column 12: customer is text; compare it with a quoted string",
        "vip > true                               | column 1: true and false compare only with = and !=",
        "amount                                   | column 7: expected an operator (= != < <= > >=), found the end",
        "and = 1                                  | column 1: expected a field name, found 'and'",
        "(a = 1                                   | column 7: expected ')', found the end",
      })
  void refusesWithTheColumn(String where, String message) {
    assertThatThrownBy(() -> WhereParser.parse(where.strip()))
        .isInstanceOf(InvalidQueryException.class)
        .hasMessage("bad --where at " + message.strip());
  }

  @Test
  void refusesDeepNestingAndEmptyClauses() {
    assertThatThrownBy(() -> WhereParser.parse("(".repeat(100) + "a = 1" + ")".repeat(100)))
        .hasMessage("bad --where: nested deeper than 64");
    assertThatThrownBy(() -> WhereParser.parse("  "))
        .hasMessage("bad --where: empty; expected e.g. customer = \"acme\"");
  }

  @Test
  void noTypedTextReachesTheStatement() throws Exception {
    String hostile = "x'); DROP TABLE events; --";
    EventQuery query =
        EventQuery.list(
            "purchase",
            Instant.parse("2026-11-07T00:00:00Z"),
            Instant.parse("2026-11-08T00:00:00Z"),
            WhereParser.parse(
                "`" + hostile + "` = \"" + hostile + "\" or customer = \"" + hostile + "\""),
            10);
    try (BigQueryEventStore bigQuery = BigQueryEventStore.of("my-project.d.events")) {
      GeneratedSql sql = EventSql.of(bigQuery, query);
      assertThat(sql.text()).doesNotContain("DROP").doesNotContain(hostile);
      assertThat(sql.parameters())
          .extracting(GeneratedSql.Parameter::value)
          .containsSubsequence(hostile, hostile, hostile);
      assertThat(BigQueryEventStore.job(sql).getNamedParameters()).hasSize(sql.parameters().size());
    }
    EventQuery sample =
        EventQuery.sample(
            "purchase",
            query.start(),
            query.end(),
            null,
            SampleBy.parse("1h"),
            ZoneOffset.UTC,
            Fill.NONE,
            Aggregate.parseList("sum(`" + hostile + "`)"));
    try (BigQueryEventStore bigQuery = BigQueryEventStore.of("my-project.d.events")) {
      assertThat(EventSql.of(bigQuery, sample).text()).doesNotContain(hostile);
    }
  }

  @Test
  void aggregatesParseAndRefuse() throws Exception {
    assertThat(Aggregate.parseList("count(), sum(amount), max( amount )"))
        .extracting(Aggregate::column)
        .isEqualTo(List.of("count", "sum_amount", "max_amount"));
    assertThatThrownBy(() -> Aggregate.parseList("sum(amount); DROP TABLE x"))
        .hasMessageStartingWith("bad --agg 'sum(amount); DROP TABLE x'");
    assertThatThrownBy(() -> Aggregate.parseList("median(amount)"))
        .hasMessage(
            "bad --agg 'median(amount)': unknown function; expected count, sum, min, max or avg");
    assertThatThrownBy(() -> Aggregate.parseList("sum(customer)"))
        .hasMessage("bad --agg 'sum(customer)': customer is text; aggregate a numeric attribute");
  }

  private static Comparison cmp(String field, Operator operator, Object literal) {
    return new Comparison(new Field(field), operator, literal);
  }
}
