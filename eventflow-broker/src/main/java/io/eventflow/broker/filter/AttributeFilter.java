package io.eventflow.broker.filter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A parsed Pub/Sub subscription filter: a boolean expression over message attributes.
 *
 * <p>Supported, as in Pub/Sub: {@code attributes.k = "v"}, {@code attributes.k != "v"} (also true
 * when {@code k} is absent), {@code attributes:k} (has {@code k}), {@code hasPrefix(attributes.k,
 * "p")}, {@code NOT} / {@code -}, {@code AND}, {@code OR} and parentheses. As in Pub/Sub, {@code
 * AND} and {@code OR} cannot be mixed without parentheses, and a filter is at most 256 bytes. Keys
 * with other characters than letters, digits, {@code _} and {@code -} are written quoted: {@code
 * attributes."iana.org/language_tag" = "en"}.
 */
public abstract class AttributeFilter {
  /** Pub/Sub's limit on the filter expression length. */
  public static final int MAX_BYTES = 256;

  private static final AttributeFilter MATCH_ALL =
      new AttributeFilter() {
        @Override
        public boolean matches(Map<String, String> attributes) {
          return true;
        }
      };

  /** The filter of a subscription without one: it passes every message. */
  public static AttributeFilter matchAll() {
    return MATCH_ALL;
  }

  /** Whether a message with these attributes passes the filter. */
  public abstract boolean matches(Map<String, String> attributes);

  /** Parses {@code text}; an empty or blank filter matches every message. */
  public static AttributeFilter parse(String text) throws FilterSyntaxException {
    if (text.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw new FilterSyntaxException("filter is longer than " + MAX_BYTES + " bytes");
    }
    if (text.isBlank()) {
      return MATCH_ALL;
    }
    Parser parser = new Parser(tokenize(text));
    AttributeFilter filter = parser.expression();
    if (parser.peek().kind != Kind.END) {
      throw parser.error("unexpected " + parser.peek().describe());
    }
    return filter;
  }

  private enum Kind {
    WORD,
    STRING,
    LPAREN,
    RPAREN,
    COMMA,
    COLON,
    DOT,
    EQ,
    NEQ,
    MINUS,
    END
  }

  private record Token(Kind kind, String text, int position) {
    String describe() {
      return switch (kind) {
        case END -> "end of filter";
        case STRING -> "string \"" + text + "\" at position " + position;
        default -> "'" + text + "' at position " + position;
      };
    }
  }

  private static List<Token> tokenize(String text) throws FilterSyntaxException {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '(' || c == ')' || c == ',' || c == ':' || c == '.' || c == '=' || c == '-') {
        Kind kind =
            switch (c) {
              case '(' -> Kind.LPAREN;
              case ')' -> Kind.RPAREN;
              case ',' -> Kind.COMMA;
              case ':' -> Kind.COLON;
              case '.' -> Kind.DOT;
              case '=' -> Kind.EQ;
              default -> Kind.MINUS;
            };
        tokens.add(new Token(kind, String.valueOf(c), i));
        i++;
      } else if (c == '!') {
        if (i + 1 >= text.length() || text.charAt(i + 1) != '=') {
          throw new FilterSyntaxException("expected '!=' at position " + i);
        }
        tokens.add(new Token(Kind.NEQ, "!=", i));
        i += 2;
      } else if (c == '"' || c == '\'') {
        int start = i;
        StringBuilder value = new StringBuilder();
        i++;
        while (true) {
          if (i >= text.length()) {
            throw new FilterSyntaxException("unterminated string starting at position " + start);
          }
          char d = text.charAt(i);
          if (d == c) {
            i++;
            break;
          }
          if (d == '\\') {
            if (i + 1 >= text.length()) {
              throw new FilterSyntaxException("dangling escape at position " + i);
            }
            char e = text.charAt(i + 1);
            switch (e) {
              case 'n' -> value.append('\n');
              case 't' -> value.append('\t');
              case 'r' -> value.append('\r');
              case '\\', '"', '\'' -> value.append(e);
              default ->
                  throw new FilterSyntaxException("unknown escape '\\" + e + "' at position " + i);
            }
            i += 2;
          } else {
            value.append(d);
            i++;
          }
        }
        tokens.add(new Token(Kind.STRING, value.toString(), start));
      } else if (isWordChar(c)) {
        int start = i;
        while (i < text.length() && isWordChar(text.charAt(i))) {
          i++;
        }
        tokens.add(new Token(Kind.WORD, text.substring(start, i), start));
      } else {
        throw new FilterSyntaxException("unexpected character '" + c + "' at position " + i);
      }
    }
    tokens.add(new Token(Kind.END, "", text.length()));
    return tokens;
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  /** Recursive descent over the token list; one method per grammar rule. */
  private static final class Parser {
    private final List<Token> tokens;
    private int next;

    Parser(List<Token> tokens) {
      this.tokens = tokens;
    }

    Token peek() {
      return tokens.get(next);
    }

    Token take() {
      return tokens.get(next++);
    }

    FilterSyntaxException error(String message) {
      return new FilterSyntaxException(message);
    }

    boolean atWord(String word) {
      return peek().kind == Kind.WORD && peek().text.equals(word);
    }

    Token expect(Kind kind, String what) throws FilterSyntaxException {
      Token t = take();
      if (t.kind != kind) {
        throw error("expected " + what + " but found " + t.describe());
      }
      return t;
    }

    /** expression := unary (AND unary)* | unary (OR unary)* */
    AttributeFilter expression() throws FilterSyntaxException {
      AttributeFilter first = unary();
      if (!atWord("AND") && !atWord("OR")) {
        return first;
      }
      String operator = peek().text;
      List<AttributeFilter> operands = new ArrayList<>();
      operands.add(first);
      while (atWord("AND") || atWord("OR")) {
        Token op = take();
        if (!op.text.equals(operator)) {
          throw error(
              "AND and OR cannot be mixed without parentheses (at position " + op.position + ")");
        }
        operands.add(unary());
      }
      return operator.equals("AND") ? new And(operands) : new Or(operands);
    }

    /** unary := (NOT | -) unary | primary */
    AttributeFilter unary() throws FilterSyntaxException {
      if (atWord("NOT") || peek().kind == Kind.MINUS) {
        take();
        return new Not(unary());
      }
      return primary();
    }

    /** primary := ( expression ) | hasPrefix(attributes.k, "p") | attributes:k | comparison */
    AttributeFilter primary() throws FilterSyntaxException {
      Token t = peek();
      if (t.kind == Kind.LPAREN) {
        take();
        AttributeFilter inner = expression();
        expect(Kind.RPAREN, "')'");
        return inner;
      }
      if (atWord("hasPrefix")) {
        take();
        expect(Kind.LPAREN, "'(' after hasPrefix");
        expectAttributes();
        expect(Kind.DOT, "'.' after attributes");
        String key = key();
        expect(Kind.COMMA, "',' in hasPrefix");
        String prefix = expect(Kind.STRING, "a quoted prefix").text;
        expect(Kind.RPAREN, "')' closing hasPrefix");
        return new HasPrefix(key, prefix);
      }
      expectAttributes();
      Token separator = take();
      if (separator.kind == Kind.COLON) {
        return new Exists(key());
      }
      if (separator.kind != Kind.DOT) {
        throw error("expected '.' or ':' after attributes but found " + separator.describe());
      }
      String key = key();
      Token op = take();
      if (op.kind != Kind.EQ && op.kind != Kind.NEQ) {
        throw error("expected '=' or '!=' after attributes." + key + " but found " + op.describe());
      }
      String value = expect(Kind.STRING, "a quoted value").text;
      AttributeFilter equals = new Equals(key, value);
      return op.kind == Kind.EQ ? equals : new Not(equals);
    }

    void expectAttributes() throws FilterSyntaxException {
      Token t = take();
      if (t.kind != Kind.WORD || !t.text.equals("attributes")) {
        throw error("expected 'attributes' but found " + t.describe());
      }
    }

    /** An attribute key: a bare word (letters, digits, _ and -) or a quoted string. */
    String key() throws FilterSyntaxException {
      Token t = take();
      if (t.kind == Kind.STRING) {
        if (t.text.isEmpty()) {
          throw error("attribute key at position " + t.position + " is empty");
        }
        return t.text;
      }
      if (t.kind != Kind.WORD) {
        throw error("expected an attribute key but found " + t.describe());
      }
      StringBuilder key = new StringBuilder(t.text);
      // Hyphens are key characters here (attributes.event-type), not NOT.
      while (peek().kind == Kind.MINUS
          && next + 1 < tokens.size()
          && tokens.get(next + 1).kind == Kind.WORD
          && tokens.get(next + 1).position == peek().position + 1
          && peek().position == t.position + key.length()) {
        take();
        key.append('-').append(take().text);
      }
      return key.toString();
    }
  }

  private static final class Equals extends AttributeFilter {
    private final String key;
    private final String value;

    Equals(String key, String value) {
      this.key = key;
      this.value = value;
    }

    @Override
    public boolean matches(Map<String, String> attributes) {
      return value.equals(attributes.get(key));
    }
  }

  private static final class Exists extends AttributeFilter {
    private final String key;

    Exists(String key) {
      this.key = key;
    }

    @Override
    public boolean matches(Map<String, String> attributes) {
      return attributes.containsKey(key);
    }
  }

  private static final class HasPrefix extends AttributeFilter {
    private final String key;
    private final String prefix;

    HasPrefix(String key, String prefix) {
      this.key = key;
      this.prefix = prefix;
    }

    @Override
    public boolean matches(Map<String, String> attributes) {
      String value = attributes.get(key);
      return value != null && value.startsWith(prefix);
    }
  }

  private static final class Not extends AttributeFilter {
    private final AttributeFilter operand;

    Not(AttributeFilter operand) {
      this.operand = operand;
    }

    @Override
    public boolean matches(Map<String, String> attributes) {
      return !operand.matches(attributes);
    }
  }

  private static final class And extends AttributeFilter {
    private final List<AttributeFilter> operands;

    And(List<AttributeFilter> operands) {
      this.operands = List.copyOf(operands);
    }

    @Override
    public boolean matches(Map<String, String> attributes) {
      for (AttributeFilter f : operands) {
        if (!f.matches(attributes)) {
          return false;
        }
      }
      return true;
    }
  }

  private static final class Or extends AttributeFilter {
    private final List<AttributeFilter> operands;

    Or(List<AttributeFilter> operands) {
      this.operands = List.copyOf(operands);
    }

    @Override
    public boolean matches(Map<String, String> attributes) {
      for (AttributeFilter f : operands) {
        if (f.matches(attributes)) {
          return true;
        }
      }
      return false;
    }
  }
}
