package io.eventflow.events.query;

import io.eventflow.events.query.Condition.And;
import io.eventflow.events.query.Condition.Comparison;
import io.eventflow.events.query.Condition.Not;
import io.eventflow.events.query.Condition.Operator;
import io.eventflow.events.query.Condition.Or;
import io.eventflow.timeseries.srv.InvalidQueryException;
import java.util.Locale;

/**
 * Parses {@code --where}: comparisons {@code field op literal} combined with {@code and}, {@code
 * or}, {@code not} and parentheses, nothing else. A field is a name ({@code customer}, {@code
 * amount}, {@code page.url}) or any attribute key in backquotes ({@code `unit price`}); an operator
 * is one of {@code = != <> < <= > >=}; a literal is a string in double or single quotes (backslash
 * escapes the quote and itself), a number, {@code true} or {@code false}.
 *
 * <p>Anything else is refused with the column where it went wrong, so no text of the clause ever
 * reaches SQL except through {@link Condition}: fields become fixed column names or parameters,
 * literals parameters.
 *
 * <pre>
 * condition  := conjunct ("or" conjunct)*
 * conjunct   := unary ("and" unary)*
 * unary      := "not" unary | "(" condition ")" | field operator literal
 * </pre>
 */
public final class WhereParser {
  /** Longest clause accepted: far more than a hand-written filter needs. */
  static final int MAX_LENGTH = 4096;

  /** Deepest nesting of not and parentheses, so a hostile clause cannot exhaust the stack. */
  static final int MAX_DEPTH = 64;

  private final String text;
  private int position;
  private int depth;

  private WhereParser(String text) {
    this.text = text;
  }

  /**
   * Parses a where-clause.
   *
   * @throws InvalidQueryException naming the column and what was expected there
   */
  public static Condition parse(String text) throws InvalidQueryException {
    if (text.length() > MAX_LENGTH) {
      throw new InvalidQueryException("bad --where: longer than " + MAX_LENGTH + " characters");
    }
    WhereParser parser = new WhereParser(text);
    parser.skipSpace();
    if (parser.atEnd()) {
      throw new InvalidQueryException("bad --where: empty; expected e.g. customer = \"acme\"");
    }
    Condition condition = parser.condition();
    parser.skipSpace();
    if (!parser.atEnd()) {
      throw parser.error("and, or or the end");
    }
    return condition;
  }

  private Condition condition() throws InvalidQueryException {
    Condition left = conjunct();
    while (keyword("or")) {
      left = new Or(left, conjunct());
    }
    return left;
  }

  private Condition conjunct() throws InvalidQueryException {
    Condition left = unary();
    while (keyword("and")) {
      left = new And(left, unary());
    }
    return left;
  }

  private Condition unary() throws InvalidQueryException {
    if (++depth > MAX_DEPTH) {
      throw new InvalidQueryException("bad --where: nested deeper than " + MAX_DEPTH);
    }
    try {
      skipSpace();
      if (keyword("not")) {
        return new Not(unary());
      }
      if (peek() == '(') {
        position++;
        Condition inner = condition();
        skipSpace();
        if (peek() != ')') {
          throw error("')'");
        }
        position++;
        return inner;
      }
      return comparison();
    } finally {
      depth--;
    }
  }

  private Comparison comparison() throws InvalidQueryException {
    int fieldAt = position;
    Field field = field();
    Operator operator = operator();
    skipSpace();
    int literalAt = position;
    Object literal = literal();
    if (field.isColumn() && !(literal instanceof String)) {
      position = literalAt;
      throw new InvalidQueryException(
          "bad --where at column "
              + (literalAt + 1)
              + ": "
              + field
              + " is text; compare it with a quoted string");
    }
    if (literal instanceof Boolean && operator != Operator.EQ && operator != Operator.NE) {
      throw new InvalidQueryException(
          "bad --where at column " + (fieldAt + 1) + ": true and false compare only with = and !=");
    }
    return new Comparison(field, operator, literal);
  }

  private Field field() throws InvalidQueryException {
    skipSpace();
    if (peek() == '`') {
      int end = text.indexOf('`', position + 1);
      if (end < 0) {
        throw error("a closing ` after the field name");
      }
      String name = text.substring(position + 1, end);
      if (name.isEmpty()) {
        throw error("a field name");
      }
      position = end + 1;
      return new Field(name);
    }
    int start = position;
    if (!Character.isLetter(peek()) && peek() != '_') {
      throw error("a field name");
    }
    while (!atEnd() && isNameChar(peek())) {
      position++;
    }
    String name = text.substring(start, position);
    if (isKeyword(name)) {
      position = start;
      throw error("a field name");
    }
    return new Field(name);
  }

  private Operator operator() throws InvalidQueryException {
    skipSpace();
    for (String[] candidate :
        new String[][] {
          {"!=", "NE"},
          {"<>", "NE"},
          {"<=", "LE"},
          {">=", "GE"},
          {"==", "EQ"},
          {"=", "EQ"},
          {"<", "LT"},
          {">", "GT"}
        }) {
      if (text.startsWith(candidate[0], position)) {
        position += candidate[0].length();
        return Operator.valueOf(candidate[1]);
      }
    }
    throw error("an operator (= != < <= > >=)");
  }

  private Object literal() throws InvalidQueryException {
    char c = peek();
    if (c == '"' || c == '\'') {
      return string(c);
    }
    if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
      int start = position;
      position++;
      while (!atEnd() && (isNameChar(peek()) || peek() == '+' || peek() == '-')) {
        position++;
      }
      String number = text.substring(start, position);
      try {
        double value = Double.parseDouble(number);
        if (Double.isFinite(value) && !number.matches(".*[A-Za-z&&[^eE]].*")) {
          return value;
        }
      } catch (NumberFormatException e) {
        // Reported below, where the number started.
      }
      position = start;
      throw error("a number");
    }
    if (keyword("true")) {
      return Boolean.TRUE;
    }
    if (keyword("false")) {
      return Boolean.FALSE;
    }
    throw error("a literal: a quoted string, a number, true or false");
  }

  private String string(char quote) throws InvalidQueryException {
    int start = position;
    position++;
    StringBuilder value = new StringBuilder();
    while (!atEnd()) {
      char c = text.charAt(position++);
      if (c == quote) {
        return value.toString();
      }
      if (c == '\\') {
        if (atEnd() || (peek() != quote && peek() != '\\')) {
          position--;
          throw error("\\" + quote + " or \\\\ (the only escapes)");
        }
        c = text.charAt(position++);
      }
      value.append(c);
    }
    position = start;
    throw error("a string closed by " + quote);
  }

  /** Consumes {@code word} (any case) if it comes next as a whole word. */
  private boolean keyword(String word) {
    skipSpace();
    int end = position + word.length();
    if (text.regionMatches(true, position, word, 0, word.length())
        && (end == text.length() || !isNameChar(text.charAt(end)))) {
      position = end;
      return true;
    }
    return false;
  }

  private static boolean isKeyword(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "and", "or", "not", "true", "false" -> true;
      default -> false;
    };
  }

  private static boolean isNameChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-';
  }

  private void skipSpace() {
    while (!atEnd() && Character.isWhitespace(peek())) {
      position++;
    }
  }

  private boolean atEnd() {
    return position >= text.length();
  }

  private char peek() {
    return atEnd() ? '\0' : text.charAt(position);
  }

  private InvalidQueryException error(String expected) {
    String found;
    if (atEnd()) {
      found = "the end";
    } else {
      int end = position + 1;
      while (end < text.length()
          && end < position + 20
          && !Character.isWhitespace(text.charAt(end))) {
        end++;
      }
      found = "'" + text.substring(position, end) + "'";
    }
    return new InvalidQueryException(
        "bad --where at column " + (position + 1) + ": expected " + expected + ", found " + found);
  }
}
