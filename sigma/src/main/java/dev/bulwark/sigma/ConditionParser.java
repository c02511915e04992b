package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recursive-descent parser for Sigma conditions, binding from loosest to tightest: {@code or}, {@code and},
 * {@code not}, then {@code N of pattern}, {@code all of pattern}, identifiers and parentheses.
 *
 * <p>Why: conditions are checked completely at load time: an unknown identifier, a pattern that covers nothing or a
 * syntax error is reported with its position. {@code them} covers every identifier not starting with {@code _}; a
 * pattern may hold {@code *} anywhere; {@code N of} (any positive N) means at least N. Operator words are
 * case-insensitive.
 */
final class ConditionParser {

    private final String text;
    private final SourceLocation location;
    private final List<String> identifiers;
    private final List<Token> tokens;
    private int next;

    private record Token(String text, int position) {
        boolean is(String word) {
            return text.toLowerCase(Locale.ROOT).equals(word);
        }
    }

    private ConditionParser(String text, SourceLocation location, List<String> identifiers) {
        this.text = text;
        this.location = location;
        this.identifiers = identifiers;
        this.tokens = tokenize(text);
    }

    /**
     * Parses one condition.
     *
     * @param text the condition as written
     * @param location where the condition scalar is
     * @param identifiers the search identifiers of the detection, in order
     */
    static ConditionNode parse(String text, SourceLocation location, List<String> identifiers)
            throws SigmaRuleException {
        ConditionParser parser = new ConditionParser(text, location, identifiers);
        if (parser.tokens.isEmpty()) {
            throw new SigmaRuleException(location, "the condition is empty");
        }
        ConditionNode node = parser.or();
        if (parser.next < parser.tokens.size()) {
            Token extra = parser.tokens.get(parser.next);
            throw parser.error(extra.position(), "unexpected '" + extra.text() + "'; expected 'and', 'or' or the end");
        }
        return node;
    }

    private ConditionNode or() throws SigmaRuleException {
        List<ConditionNode> children = new ArrayList<>();
        children.add(and());
        while (peekIs("or")) {
            next++;
            children.add(and());
        }
        return children.size() == 1 ? children.get(0) : new ConditionNode.Or(children);
    }

    private ConditionNode and() throws SigmaRuleException {
        List<ConditionNode> children = new ArrayList<>();
        children.add(not());
        while (peekIs("and")) {
            next++;
            children.add(not());
        }
        return children.size() == 1 ? children.get(0) : new ConditionNode.And(children);
    }

    private ConditionNode not() throws SigmaRuleException {
        if (peekIs("not")) {
            next++;
            return new ConditionNode.Not(not());
        }
        return primary();
    }

    private ConditionNode primary() throws SigmaRuleException {
        Token token = take("an identifier, 'not', '(' or 'N of'");
        if (token.text().equals("(")) {
            ConditionNode inner = or();
            Token close = take("')'");
            if (!close.text().equals(")")) {
                throw error(close.position(), "expected ')' to close the '(' at position " + (token.position() + 1)
                        + ", found '" + close.text() + "'");
            }
            return inner;
        }
        if (next < tokens.size() && tokens.get(next).is("of")) {
            return quantifier(token);
        }
        if (token.text().equals(")") || Set.of("and", "or", "of", "them").contains(token.text().toLowerCase(Locale.ROOT))) {
            throw error(token.position(), "unexpected '" + token.text() + "'; expected an identifier, 'not', '(' or 'N of'");
        }
        if (!identifiers.contains(token.text())) {
            throw error(token.position(), "unknown search identifier '" + token.text() + "' (the detection defines "
                    + String.join(", ", identifiers) + ")");
        }
        return new ConditionNode.Identifier(token.text());
    }

    private ConditionNode quantifier(Token count) throws SigmaRuleException {
        int minimum;
        if (count.is("all")) {
            minimum = 0;
        } else if (count.is("any")) {
            minimum = 1;
        } else {
            try {
                minimum = Integer.parseInt(count.text());
            } catch (NumberFormatException e) {
                minimum = -1;
            }
            if (minimum < 1) {
                throw error(count.position(), "expected '1', 'all' or a positive number before 'of', found '"
                        + count.text() + "'");
            }
        }
        next++; // "of"
        Token pattern = take("'them' or an identifier pattern after 'of'");
        List<String> covered = new ArrayList<>();
        if (pattern.is("them")) {
            identifiers.stream().filter(id -> !id.startsWith("_")).forEach(covered::add);
        } else {
            if (pattern.text().equals("(") || pattern.text().equals(")")) {
                throw error(pattern.position(), "expected 'them' or an identifier pattern after 'of'");
            }
            identifiers.stream().filter(id -> Glob.matchesIdentifier(pattern.text(), id)).forEach(covered::add);
        }
        if (covered.isEmpty()) {
            throw error(pattern.position(), "'" + count.text() + " of " + pattern.text()
                    + "' covers no search identifier (the detection defines " + String.join(", ", identifiers) + ")");
        }
        if (minimum > covered.size()) {
            throw error(count.position(), "'" + count.text() + " of " + pattern.text() + "' is never true: it needs "
                    + minimum + " true search identifiers, but covers " + covered.size() + " ("
                    + String.join(", ", covered) + "), so the rule could never fire as written");
        }
        return new ConditionNode.Quantifier(minimum, pattern.text(), covered);
    }

    private boolean peekIs(String word) {
        return next < tokens.size() && tokens.get(next).is(word);
    }

    private Token take(String expected) throws SigmaRuleException {
        if (next >= tokens.size()) {
            throw error(text.length(), "unexpected end of the condition; expected " + expected);
        }
        return tokens.get(next++);
    }

    private SigmaRuleException error(int position, String reason) {
        return new SigmaRuleException(location.shifted(position),
                "condition '" + text + "', position " + (position + 1) + ": " + reason);
    }

    private static List<Token> tokenize(String text) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '(' || c == ')') {
                tokens.add(new Token(String.valueOf(c), i));
                i++;
            } else {
                int start = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i)) && text.charAt(i) != '('
                        && text.charAt(i) != ')') {
                    i++;
                }
                tokens.add(new Token(text.substring(start, i), start));
            }
        }
        return tokens;
    }
}
