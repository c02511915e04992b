package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * Compiles a Sigma {@code re} value, written for PCRE (UTF mode, newline LF), into an RE2 pattern that matches the
 * same texts, or refuses it.
 *
 * <p>Why: the specification's regular expressions are PCRE, while matching must stay linear in the event's size (an
 * attacker writes the command lines the rules search). RE2 agrees with PCRE on most of the syntax, but not on
 * everything it accepts: a PCRE {@code $} also matches before a newline that ends the text, PCRE's {@code \s}
 * includes the vertical tab, {@code \v} and {@code \h} are classes, a multiline {@code ^} does not match after a
 * newline that ends the text, {@code {,n}} is a quantifier. This class parses the pattern, rewrites those constructs
 * into RE2 forms with PCRE's meaning, and refuses (with the construct named) what RE2 cannot match the way PCRE
 * would: lookaround, backreferences, atomic groups, possessive quantifiers, conditionals, recursion, verbs, comments,
 * {@code \R \X \K \G \C \N}, octal escapes, other option letters than {@code i m s U}, and the anchor placements
 * described at {@link #compile}.
 */
final class PcreRegex {

    private static final String SPACE = "\\t\\n\\x0B\\f\\r ";
    private static final String VERTICAL = "\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}";
    private static final String HORIZONTAL = "\\t \\x{A0}\\x{1680}\\x{180E}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}";

    /** A construct that cannot be matched as PCRE matches it. */
    static final class UnsupportedException extends Exception {
        UnsupportedException(String message) {
            super(message);
        }
    }

    private final String source;
    private int at;
    private boolean multiline;

    private PcreRegex(String source, boolean multiline) {
        this.source = source;
        this.multiline = multiline;
    }

    /**
     * Compiles {@code pcre} with the {@code i}, {@code m} and {@code s} sub-modifiers. Anchors keep PCRE's meaning:
     * {@code $} (without {@code m}) and {@code \Z} match at the end or before a final newline, and are accepted only
     * where nothing of the pattern can follow them (at the end of the pattern or of an alternative that ends it); a
     * multiline {@code ^} does not match after a final newline, and is accepted only where the rest of the pattern
     * must consume a character.
     *
     * @throws UnsupportedException naming the construct that cannot be matched as PCRE would, or the syntax error
     */
    static Pattern compile(String pcre, boolean caseless, boolean multiline, boolean dotall)
            throws UnsupportedException {
        PcreRegex parser = new PcreRegex(pcre, multiline);
        Node tree = parser.alternation();
        if (parser.at < pcre.length()) {
            throw new UnsupportedException("unmatched ')' at offset " + parser.at);
        }
        StringBuilder re2 = new StringBuilder(pcre.length() + 16);
        emit(tree, new Continuation(true, false), re2);
        int flags = (caseless ? Pattern.CASE_INSENSITIVE : 0) | (dotall ? Pattern.DOTALL : 0);
        try {
            return Pattern.compile(re2.toString(), flags);
        } catch (PatternSyntaxException e) {
            throw new UnsupportedException(e.getDescription());
        }
    }

    // ------------------------------------------------------------------------------------------------ the tree

    private sealed interface Node permits Sequence, Alternation, Group, Repeat, Atom, Anchor, Flags {
    }

    private record Sequence(List<Node> items) implements Node {
    }

    private record Alternation(List<Node> branches) implements Node {
    }

    /** A group, emitted as {@code open} (non-capturing, with scoped flags), its body and {@code )}. */
    private record Group(String open, Node body) implements Node {
    }

    /** {@code max} -1 for unbounded. */
    private record Repeat(Node item, int min, int max, String quantifier) implements Node {
    }

    /** Consumes exactly one character; {@code re2} is its RE2 form. */
    private record Atom(String re2) implements Node {
    }

    /** {@code ^}, {@code $} or {@code Z} ({@code \Z}), with the multiline option where written. */
    private record Anchor(char kind, boolean multiline, int offset) implements Node {
    }

    /** Zero-width and position-independent for the anchors' checks: {@code \b \B \A \z} and option settings. */
    private record Flags(String re2) implements Node {
    }

    /**
     * What may follow a node in a match.
     *
     * @param empty nothing can follow (only option settings)
     * @param consumes every way on consumes at least one character
     */
    private record Continuation(boolean empty, boolean consumes) {
    }

    // ------------------------------------------------------------------------------------------------ parsing

    private Node alternation() throws UnsupportedException {
        List<Node> branches = new ArrayList<>();
        branches.add(sequence());
        while (at < source.length() && source.charAt(at) == '|') {
            at++;
            branches.add(sequence());
        }
        return branches.size() == 1 ? branches.get(0) : new Alternation(branches);
    }

    private Node sequence() throws UnsupportedException {
        List<Node> items = new ArrayList<>();
        while (at < source.length()) {
            char c = source.charAt(at);
            if (c == '|' || c == ')') {
                break;
            }
            int start = at;
            Node item = item();
            if (item == null) {
                continue; // \E or an empty \Q\E
            }
            if (item instanceof Sequence quoted) {
                // \Q..\E: a quantifier after it applies to its last character, as in PCRE
                List<Node> characters = quoted.items();
                items.addAll(characters.subList(0, characters.size() - 1));
                item = characters.get(characters.size() - 1);
            }
            items.add(quantified(item, start));
        }
        return new Sequence(items);
    }

    private Node quantified(Node item, int start) throws UnsupportedException {
        if (at >= source.length()) {
            return item;
        }
        int from = at;
        int min;
        int max;
        char c = source.charAt(at);
        if (c == '*' || c == '+' || c == '?') {
            min = c == '+' ? 1 : 0;
            max = c == '?' ? 1 : -1;
            at++;
        } else if (c == '{' && braceQuantifier(at) != null) {
            int[] bounds = braceQuantifier(at);
            min = bounds[0];
            max = bounds[1];
            at = bounds[2];
        } else {
            if (c == '{' && source.startsWith("{,", at)) {
                int close = source.indexOf('}', at);
                String written = close < 0 ? "{," : source.substring(at, close + 1);
                throw new UnsupportedException("'" + written + "' is a quantifier in recent PCRE and literal text in "
                        + "older ones: write {0," + written.substring(2));
            }
            return item;
        }
        if (at < source.length() && source.charAt(at) == '+') {
            throw new UnsupportedException("possessive quantifier '" + source.substring(from, at + 1) + "'");
        }
        if (at < source.length() && source.charAt(at) == '?') {
            at++; // lazy: the same texts match
        }
        if (at < source.length() && (source.charAt(at) == '*' || source.charAt(at) == '+' || source.charAt(at) == '?'
                || (source.charAt(at) == '{' && braceQuantifier(at) != null))) {
            throw new UnsupportedException("nested quantifier at offset " + at);
        }
        if (item instanceof Anchor || item instanceof Flags) {
            throw new UnsupportedException("quantifier on the assertion '" + source.substring(start, from) + "'");
        }
        if (max >= 0 && min > max) {
            throw new UnsupportedException("quantifier '" + source.substring(from, at) + "' has min > max");
        }
        return new Repeat(item, min, max, source.substring(from, at));
    }

    /** {@code {n}}, {@code {n,}} or {@code {n,m}} at {@code i}: min, max (-1 unbounded), end; else null. */
    private int[] braceQuantifier(int i) {
        int j = i + 1;
        int minStart = j;
        while (j < source.length() && Character.isDigit(source.charAt(j)) && source.charAt(j) < 128) {
            j++;
        }
        if (j == minStart || j >= source.length()) {
            return null;
        }
        int min = bounded(source.substring(minStart, j));
        if (source.charAt(j) == '}') {
            return new int[] {min, min, j + 1};
        }
        if (source.charAt(j) != ',') {
            return null;
        }
        j++;
        int maxStart = j;
        while (j < source.length() && Character.isDigit(source.charAt(j)) && source.charAt(j) < 128) {
            j++;
        }
        if (j >= source.length() || source.charAt(j) != '}') {
            return null;
        }
        int max = j == maxStart ? -1 : bounded(source.substring(maxStart, j));
        return new int[] {min, max, j + 1};
    }

    private static int bounded(String digits) {
        return digits.length() > 6 ? 1_000_000 : Integer.parseInt(digits); // RE2 refuses counts over 1000
    }

    private Node item() throws UnsupportedException {
        int c = source.codePointAt(at);
        switch (c) {
            case '(':
                return group();
            case '[':
                return new Atom(characterClass());
            case '\\':
                return escape();
            case '.':
                at++;
                return new Atom(".");
            case '^':
            case '$':
                at++;
                return new Anchor((char) c, multiline, at - 1);
            case '*':
            case '+':
            case '?':
                throw new UnsupportedException("quantifier '" + (char) c + "' without anything to repeat at offset "
                        + at);
            case '{':
                if (braceQuantifier(at) != null) {
                    throw new UnsupportedException("quantifier without anything to repeat at offset " + at);
                }
                at++;
                return new Atom("\\{");
            default:
                at += Character.charCount(c);
                return new Atom(literal(c));
        }
    }

    private Node group() throws UnsupportedException {
        int start = at;
        at++; // (
        boolean saved = multiline;
        String open = "(?:";
        if (source.startsWith("*", at)) {
            throw new UnsupportedException("backtracking control verb '(*' at offset " + start);
        }
        if (source.startsWith("?", at)) {
            at++;
            String rest = source.substring(at);
            if (rest.startsWith("=") || rest.startsWith("!")) {
                throw new UnsupportedException("lookahead '(?" + rest.charAt(0) + "' at offset " + start);
            } else if (rest.startsWith("<=") || rest.startsWith("<!")) {
                throw new UnsupportedException("lookbehind '(?" + rest.substring(0, 2) + "' at offset " + start);
            } else if (rest.startsWith(">")) {
                throw new UnsupportedException("atomic group '(?>' at offset " + start);
            } else if (rest.startsWith("|")) {
                throw new UnsupportedException("branch reset group '(?|' at offset " + start);
            } else if (rest.startsWith("(")) {
                throw new UnsupportedException("conditional group '(?(' at offset " + start);
            } else if (rest.startsWith("#")) {
                throw new UnsupportedException("comment '(?#' at offset " + start);
            } else if (rest.startsWith("P=") || rest.startsWith("P>") || rest.startsWith("&")) {
                throw new UnsupportedException((rest.startsWith("P=") ? "backreference" : "recursion") + " '(?"
                        + rest.substring(0, rest.startsWith("&") ? 1 : 2) + "' at offset " + start);
            } else if (rest.startsWith("R") || (!rest.isEmpty() && (Character.isDigit(rest.charAt(0))
                    || ((rest.charAt(0) == '+' || rest.charAt(0) == '-') && rest.length() > 1
                    && Character.isDigit(rest.charAt(1)))))) {
                throw new UnsupportedException("recursion '(?" + rest.charAt(0) + "' at offset " + start);
            } else if (rest.startsWith("<") || rest.startsWith("P<") || rest.startsWith("'")) {
                char close = rest.startsWith("'") ? '\'' : '>';
                int nameStart = at + (rest.startsWith("P<") ? 2 : 1);
                int nameEnd = source.indexOf(close, nameStart);
                if (nameEnd < 0 || nameEnd == nameStart
                        || !source.substring(nameStart, nameEnd).matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new UnsupportedException("bad group name at offset " + start);
                }
                at = nameEnd + 1;
            } else {
                // option letters: (?imsU-imsU) for the rest of the group, (?imsU-imsU:...) for a group
                int end = at;
                while (end < source.length() && source.charAt(end) != ')' && source.charAt(end) != ':') {
                    end++;
                }
                if (end >= source.length()) {
                    throw new UnsupportedException("missing ')' for the group at offset " + start);
                }
                String letters = source.substring(at, end);
                boolean on = true;
                boolean m = multiline;
                for (char letter : letters.toCharArray()) {
                    if (letter == '-' && on) {
                        on = false;
                    } else if (letter == 'm') {
                        m = on;
                    } else if (letter != 'i' && letter != 's' && letter != 'U') {
                        throw new UnsupportedException("option '(?" + letters + source.charAt(end) + "' at offset "
                                + start + " (only i, m, s and U)");
                    }
                }
                at = end + 1;
                if (source.charAt(end) == ')') {
                    multiline = m; // until the end of the enclosing group
                    return letters.isEmpty() || letters.equals("-") ? null : new Flags("(?" + letters + ")");
                }
                open = letters.isEmpty() || letters.equals("-") ? "(?:" : "(?" + letters + ":";
                multiline = m;
            }
        }
        Node body = alternation();
        if (at >= source.length() || source.charAt(at) != ')') {
            throw new UnsupportedException("missing ')' for the group at offset " + start);
        }
        at++;
        multiline = saved;
        return new Group(open, body);
    }

    private Node escape() throws UnsupportedException {
        int start = at;
        at++;
        if (at >= source.length()) {
            throw new UnsupportedException("trailing backslash");
        }
        int c = source.codePointAt(at);
        at += Character.charCount(c);
        switch (c) {
            case 's':
                return new Atom("[" + SPACE + "]");
            case 'S':
                return new Atom("[^" + SPACE + "]");
            case 'v':
                return new Atom("[" + VERTICAL + "]");
            case 'V':
                return new Atom("[^" + VERTICAL + "]");
            case 'h':
                return new Atom("[" + HORIZONTAL + "]");
            case 'H':
                return new Atom("[^" + HORIZONTAL + "]");
            case 'd', 'D', 'w', 'W', 'n', 't', 'r', 'f', 'a':
                return new Atom("\\" + (char) c);
            case 'e':
                return new Atom("\\x1B");
            case 'b', 'B', 'A', 'z':
                return new Flags("\\" + (char) c);
            case 'Z':
                return new Anchor('Z', false, start);
            case 'x':
                return new Atom(hex());
            case 'p', 'P':
                return new Atom(property(c));
            case 'Q':
                return quoted();
            case 'E':
                return null; // a \E without \Q is ignored, as in PCRE
            case 'R', 'X', 'K', 'G', 'C', 'N':
                throw new UnsupportedException("'\\" + (char) c + "' at offset " + start);
            case 'g', 'k':
                throw new UnsupportedException("backreference '\\" + (char) c + "' at offset " + start);
            case 'o', 'c':
                throw new UnsupportedException("'\\" + (char) c + "' escape at offset " + start + " (write \\x{..})");
            default:
                if (c >= '0' && c <= '9') {
                    throw new UnsupportedException("backreference or octal escape '\\" + (char) c + "' at offset "
                            + start + " (write \\x{..} for a character)");
                }
                if (Character.isLetterOrDigit(c)) {
                    throw new UnsupportedException("unknown escape '\\" + Character.toString(c) + "' at offset "
                            + start);
                }
                return new Atom(literal(c));
        }
    }

    /** After {@code \x}: {@code {hex}} or up to two hex digits (none: NUL), as RE2's {@code \x{..}}. */
    private String hex() throws UnsupportedException {
        if (at < source.length() && source.charAt(at) == '{') {
            int close = source.indexOf('}', at);
            if (close < 0 || close == at + 1 || !source.substring(at + 1, close).matches("[0-9A-Fa-f]+")) {
                throw new UnsupportedException("bad '\\x{' escape at offset " + (at - 2));
            }
            String digits = source.substring(at + 1, close);
            at = close + 1;
            return "\\x{" + digits + "}";
        }
        int end = at;
        while (end < source.length() && end < at + 2 && Character.digit(source.charAt(end), 16) >= 0
                && source.charAt(end) < 128) {
            end++;
        }
        String digits = end == at ? "0" : source.substring(at, end);
        at = end;
        return "\\x{" + digits + "}";
    }

    /** After {@code \p} or {@code \P}: a one-letter or braced property, passed to RE2 (which checks the name). */
    private String property(int letter) throws UnsupportedException {
        if (at >= source.length()) {
            throw new UnsupportedException("incomplete '\\" + (char) letter + "'");
        }
        if (source.charAt(at) == '{') {
            int close = source.indexOf('}', at);
            if (close < 0) {
                throw new UnsupportedException("missing '}' for '\\" + (char) letter + "{'");
            }
            String name = source.substring(at, close + 1);
            at = close + 1;
            return "\\" + (char) letter + name;
        }
        char name = source.charAt(at++);
        return "\\" + (char) letter + name;
    }

    /** After {@code \Q}: literal characters up to {@code \E} or the end. */
    private Node quoted() {
        int end = source.indexOf("\\E", at);
        String text = source.substring(at, end < 0 ? source.length() : end);
        at = end < 0 ? source.length() : end + 2;
        if (text.isEmpty()) {
            return null;
        }
        List<Node> atoms = new ArrayList<>();
        text.codePoints().forEach(c -> atoms.add(new Atom(literal(c))));
        return atoms.size() == 1 ? atoms.get(0) : new Sequence(atoms);
    }

    private String characterClass() throws UnsupportedException {
        int start = at;
        at++; // [
        StringBuilder re2 = new StringBuilder("[");
        if (at < source.length() && source.charAt(at) == '^') {
            re2.append('^');
            at++;
        }
        boolean first = true;
        while (true) {
            if (at >= source.length()) {
                throw new UnsupportedException("missing ']' for the character class at offset " + start);
            }
            int c = source.codePointAt(at);
            if (c == ']' && !first) {
                at++;
                break;
            }
            first = false;
            if (c == ']') {
                re2.append("\\]");
                at++;
            } else if (c == '[' && source.startsWith("[:", at)) {
                int close = source.indexOf(":]", at + 2);
                if (close < 0) {
                    re2.append("\\[");
                    at++;
                } else {
                    String name = source.substring(at + 2, close);
                    if (!name.matches("\\^?(alnum|alpha|ascii|blank|cntrl|digit|graph|lower|print|punct|space|upper"
                            + "|word|xdigit)")) {
                        throw new UnsupportedException("POSIX class '[:" + name + ":]' at offset " + at);
                    }
                    re2.append(source, at, close + 2);
                    at = close + 2;
                }
            } else if (c == '[') {
                re2.append("\\[");
                at++;
            } else if (c == '\\') {
                re2.append(classEscape());
            } else {
                at += Character.charCount(c);
                re2.append(c == '-' ? "-" : literal(c));
            }
        }
        return re2.append(']').toString();
    }

    private String classEscape() throws UnsupportedException {
        int start = at;
        at++;
        if (at >= source.length()) {
            throw new UnsupportedException("trailing backslash");
        }
        int c = source.codePointAt(at);
        at += Character.charCount(c);
        switch (c) {
            case 's':
                return SPACE;
            case 'v':
                return VERTICAL;
            case 'h':
                return HORIZONTAL;
            case 'S', 'V', 'H':
                throw new UnsupportedException("'\\" + (char) c + "' in a character class at offset " + start
                        + " (write (?:\\" + (char) c + "|[...]) instead)");
            case 'd', 'D', 'w', 'W', 'n', 't', 'r', 'f', 'a':
                return "\\" + (char) c;
            case 'e':
                return "\\x1B";
            case 'x':
                return hex();
            case 'p', 'P':
                return property(c);
            case 'b':
                throw new UnsupportedException("'\\b' (backspace) in a character class at offset " + start);
            default:
                if (Character.isLetterOrDigit(c)) {
                    throw new UnsupportedException("escape '\\" + Character.toString(c) + "' in a character class "
                            + "at offset " + start);
                }
                return literal(c);
        }
    }

    /** A code point as RE2 literal text. */
    private static String literal(int c) {
        if (c < 128 && !Character.isLetterOrDigit(c) && c > ' ' && c != 127) {
            return "\\" + (char) c;
        }
        if (c < ' ' || c == 127) {
            return "\\x{" + Integer.toHexString(c) + "}";
        }
        return Character.toString(c);
    }

    // ------------------------------------------------------------------------------------------------ emitting

    private static void emit(Node node, Continuation next, StringBuilder out) throws UnsupportedException {
        if (node instanceof Sequence sequence) {
            List<Node> items = sequence.items();
            for (int i = 0; i < items.size(); i++) {
                boolean empty = next.empty();
                boolean consumes = next.consumes();
                for (int j = i + 1; j < items.size(); j++) {
                    empty &= items.get(j) instanceof Flags f && f.re2().startsWith("(?");
                    consumes |= consumes(items.get(j));
                }
                emit(items.get(i), new Continuation(empty, consumes), out);
            }
        } else if (node instanceof Alternation alternation) {
            for (int i = 0; i < alternation.branches().size(); i++) {
                if (i > 0) {
                    out.append('|');
                }
                emit(alternation.branches().get(i), next, out);
            }
        } else if (node instanceof Group group) {
            out.append(group.open());
            emit(group.body(), next, out);
            out.append(')');
        } else if (node instanceof Repeat repeat) {
            // another repetition may follow an item repeated more than once: its anchors are not at the end
            Continuation inside = repeat.max() >= 0 && repeat.max() <= 1 ? next
                    : new Continuation(false, next.consumes());
            out.append("(?:");
            emit(repeat.item(), inside, out);
            out.append(')').append(repeat.quantifier());
        } else if (node instanceof Atom atom) {
            out.append(atom.re2());
        } else if (node instanceof Flags flags) {
            out.append(flags.re2());
        } else {
            out.append(anchor((Anchor) node, next));
        }
    }

    private static String anchor(Anchor anchor, Continuation next) throws UnsupportedException {
        if (anchor.kind() == '^') {
            if (!anchor.multiline()) {
                return "\\A";
            }
            if (!next.consumes()) {
                throw new UnsupportedException("multiline '^' at offset " + anchor.offset() + " followed by what can "
                        + "match nothing: PCRE's '^' does not match after a newline that ends the text, which the "
                        + "engine cannot tell apart there");
            }
            return "(?m:^)";
        }
        if (anchor.kind() == '$' && anchor.multiline()) {
            return "(?m:$)";
        }
        String written = anchor.kind() == '$' ? "$" : "\\Z";
        if (!next.empty()) {
            throw new UnsupportedException("'" + written + "' at offset " + anchor.offset() + " is followed by more "
                    + "of the pattern: PCRE's '" + written + "' also matches before a newline that ends the text, "
                    + "which the engine supports only at the end of the pattern or of an alternative that ends it");
        }
        return "(?:\\n?\\z)";
    }

    /** True when every match of {@code node} consumes at least one character. */
    private static boolean consumes(Node node) {
        if (node instanceof Atom) {
            return true;
        } else if (node instanceof Sequence sequence) {
            return sequence.items().stream().anyMatch(PcreRegex::consumes);
        } else if (node instanceof Alternation alternation) {
            return alternation.branches().stream().allMatch(PcreRegex::consumes);
        } else if (node instanceof Group group) {
            return consumes(group.body());
        } else if (node instanceof Repeat repeat) {
            return repeat.min() >= 1 && consumes(repeat.item());
        }
        return false; // anchors, \b \B \A \z and option settings
    }
}
