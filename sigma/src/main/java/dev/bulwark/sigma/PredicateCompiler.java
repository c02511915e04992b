package dev.bulwark.sigma;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;

import dev.bulwark.schemas.Cidr;

/**
 * Applies the modifiers of a {@link FieldPredicate} to its values and builds the {@link CompiledPredicate}.
 *
 * <p>Why: all modifier semantics live here. Value transformations run in this order whatever the order written:
 * {@code expand} first, then {@code windash}, the UTF-16 encodings and {@code base64}/{@code base64offset} in the
 * order written, then {@code contains}/{@code startswith}/{@code endswith} wrap the result with wildcards. Invalid
 * combinations and values (a bad regex, a CIDR that is not one, an unresolved placeholder) are load errors at the
 * value's line. Keyword items without a position modifier match anywhere in a keyword field (implicit contains).
 * A time modifier ({@code minute} ... {@code year}) reads the field as a date ({@link DateParts}) and compares the
 * unit with each value, for equality or by one of {@code gt}, {@code gte}, {@code lt}, {@code lte}; values outside the
 * unit's range are load errors.
 */
final class PredicateCompiler {

    /** Most values one item may expand to (windash, placeholders). */
    static final int MAX_VARIANTS = 4096;

    private static final java.util.regex.Pattern PLACEHOLDER = java.util.regex.Pattern.compile("%([A-Za-z0-9_.\\-]+)%");
    private static final Set<SigmaModifier> TYPES = EnumSet.of(SigmaModifier.RE, SigmaModifier.CIDR,
            SigmaModifier.EXISTS, SigmaModifier.FIELDREF, SigmaModifier.GT, SigmaModifier.GTE, SigmaModifier.LT,
            SigmaModifier.LTE);
    private static final Set<SigmaModifier> POSITIONS = EnumSet.of(SigmaModifier.CONTAINS, SigmaModifier.STARTSWITH,
            SigmaModifier.ENDSWITH);
    private static final Set<SigmaModifier> ENCODINGS = EnumSet.of(SigmaModifier.BASE64, SigmaModifier.BASE64OFFSET,
            SigmaModifier.UTF16LE, SigmaModifier.UTF16BE, SigmaModifier.UTF16, SigmaModifier.WIDE,
            SigmaModifier.WINDASH, SigmaModifier.EXPAND);
    private static final Set<SigmaModifier> REGEX_FLAGS = EnumSet.of(SigmaModifier.I, SigmaModifier.M, SigmaModifier.S);
    private static final Set<SigmaModifier> COMPARISONS = EnumSet.of(SigmaModifier.GT, SigmaModifier.GTE,
            SigmaModifier.LT, SigmaModifier.LTE);

    private final FieldResolver fields;
    private final Map<String, List<String>> placeholders;
    private final Consumer<RuleProblem> warnings;

    PredicateCompiler(FieldResolver fields, Map<String, List<String>> placeholders, Consumer<RuleProblem> warnings) {
        this.fields = fields;
        this.placeholders = placeholders;
        this.warnings = warnings;
    }

    CompiledPredicate compile(FieldPredicate item) throws SigmaRuleException {
        SourceLocation at = item.location();
        String key = describe(item);
        List<SigmaModifier> modifiers = item.modifiers();
        checkCombination(item, key, at);
        CompiledField target = item.isKeyword() ? fields.keywords(at) : fields.field(item.field(), at);
        boolean all = item.has(SigmaModifier.ALL);
        boolean negate = item.has(SigmaModifier.NEQ);
        if (all && item.values().size() == 1) {
            warnings.accept(new RuleProblem(at, null, "'" + key + "': 'all' has no effect on a single value"));
        }
        if (item.has(SigmaModifier.EXISTS)) {
            return new CompiledPredicate(item.field(), at, target, List.of(), false, false, false, exists(item, key));
        }
        SigmaModifier unit = modifiers.stream().filter(DateParts.UNITS::contains).findFirst().orElse(null);
        boolean matchesAbsent = false;
        List<List<ValueMatcher>> matchers = new ArrayList<>();
        for (SigmaValue value : item.values()) {
            if (value.value() == null) {
                if (modifiers.stream().anyMatch(m -> m != SigmaModifier.NEQ)) {
                    throw new SigmaRuleException(value.location(), "'" + key + "': null (field absent) takes no "
                            + "modifiers other than 'neq'");
                }
                if (all) {
                    throw new SigmaRuleException(value.location(), "'" + key + "': null cannot be combined with 'all'");
                }
                matchesAbsent = true;
                continue;
            }
            if (unit != null) {
                matchers.add(List.of(timePart(item, unit, value, key, target)));
            } else if (item.has(SigmaModifier.RE)) {
                matchers.add(List.of(regex(item, value, key)));
            } else if (item.has(SigmaModifier.CIDR)) {
                matchers.add(List.of(cidr(value, key)));
            } else if (modifiers.stream().anyMatch(m -> m == SigmaModifier.GT || m == SigmaModifier.GTE
                    || m == SigmaModifier.LT || m == SigmaModifier.LTE)) {
                matchers.add(List.of(comparison(item, value, key)));
            } else if (item.has(SigmaModifier.FIELDREF)) {
                matchers.add(List.of(fieldRef(item, value, key)));
            } else {
                // the variants of one value (windash, base64offset, expand) are alternatives, also under 'all'
                List<ValueMatcher> variants = new ArrayList<>();
                for (Glob glob : strings(item, value, key)) {
                    variants.add(new ValueMatcher.Text(new GlobMatcher(glob, item.has(SigmaModifier.CASED))));
                }
                matchers.add(variants);
            }
        }
        return new CompiledPredicate(item.field(), at, target, matchers, matchesAbsent, all, negate, null);
    }

    private static String describe(FieldPredicate item) {
        StringBuilder key = new StringBuilder(item.isKeyword() ? "keywords" : item.field());
        item.modifiers().forEach(m -> key.append('|').append(m.sigmaName()));
        return key.toString();
    }

    private static void checkCombination(FieldPredicate item, String key, SourceLocation at) throws SigmaRuleException {
        List<SigmaModifier> units = item.modifiers().stream().filter(DateParts.UNITS::contains).toList();
        if (units.size() > 1) {
            throw new SigmaRuleException(at, "'" + key + "': use only one of minute, hour, day, week, month and year");
        }
        if (!units.isEmpty()) {
            SigmaModifier unit = units.get(0);
            if (item.isKeyword()) {
                throw new SigmaRuleException(at, "'" + key + "': keywords cannot use '" + unit.sigmaName() + "'");
            }
            for (SigmaModifier modifier : item.modifiers()) {
                if (modifier != unit && modifier != SigmaModifier.ALL && modifier != SigmaModifier.NEQ
                        && !COMPARISONS.contains(modifier)) {
                    throw new SigmaRuleException(at, "'" + key + "': '" + unit.sigmaName() + "' cannot be combined "
                            + "with '" + modifier.sigmaName() + "' (a time modifier takes 'all', 'neq' and one of "
                            + "gt, gte, lt, lte)");
                }
            }
        }
        List<SigmaModifier> types = item.modifiers().stream().filter(TYPES::contains).toList();
        if (types.size() > 1) {
            throw new SigmaRuleException(at, "'" + key + "': '" + types.get(0).sigmaName() + "' cannot be combined "
                    + "with '" + types.get(1).sigmaName() + "'");
        }
        SigmaModifier type = types.isEmpty() ? null : types.get(0);
        List<SigmaModifier> positions = item.modifiers().stream().filter(POSITIONS::contains).toList();
        if (positions.size() > 1) {
            throw new SigmaRuleException(at, "'" + key + "': use only one of contains, startswith and endswith");
        }
        for (SigmaModifier modifier : item.modifiers()) {
            if (REGEX_FLAGS.contains(modifier) && type != SigmaModifier.RE) {
                throw new SigmaRuleException(at, "'" + key + "': '" + modifier.sigmaName() + "' only applies to 're'");
            }
            boolean allowed = type == null
                    || modifier == type || modifier == SigmaModifier.ALL || modifier == SigmaModifier.NEQ
                    || (type == SigmaModifier.RE && REGEX_FLAGS.contains(modifier))
                    || (COMPARISONS.contains(type) && DateParts.UNITS.contains(modifier))
                    || (type == SigmaModifier.FIELDREF && (POSITIONS.contains(modifier) || modifier == SigmaModifier.CASED));
            if (type == SigmaModifier.EXISTS && modifier != SigmaModifier.EXISTS) {
                allowed = false;
            }
            if (!allowed) {
                throw new SigmaRuleException(at, "'" + key + "': '" + type.sigmaName() + "' cannot be combined with '"
                        + modifier.sigmaName() + "'");
            }
        }
        if (item.isKeyword() && (type == SigmaModifier.FIELDREF || type == SigmaModifier.EXISTS)) {
            throw new SigmaRuleException(at, "'" + key + "': keywords cannot use '" + type.sigmaName() + "'");
        }
    }

    private static Boolean exists(FieldPredicate item, String key) throws SigmaRuleException {
        SigmaValue value = item.values().get(0);
        if (item.values().size() != 1 || !(value.value() instanceof Boolean b)) {
            throw new SigmaRuleException(value.location(), "'" + key + "' needs exactly one value, true or false");
        }
        return b;
    }

    private static ValueMatcher regex(FieldPredicate item, SigmaValue value, String key) throws SigmaRuleException {
        try {
            return new ValueMatcher.Regex(PcreRegex.compile(value.text(), item.has(SigmaModifier.I),
                    item.has(SigmaModifier.M), item.has(SigmaModifier.S)));
        } catch (PcreRegex.UnsupportedException e) {
            throw new SigmaRuleException(value.location(), "'" + key + "': invalid regular expression '" + value.text()
                    + "': " + e.getMessage() + " (PCRE matched in linear time: see docs/sigma-engine.md for what is "
                    + "not supported)");
        }
    }

    private static ValueMatcher cidr(SigmaValue value, String key) throws SigmaRuleException {
        try {
            return new ValueMatcher.Network(Cidr.parse(value.text()));
        } catch (IllegalArgumentException e) {
            throw new SigmaRuleException(value.location(), "'" + key + "': " + e.getMessage());
        }
    }

    private static ValueMatcher comparison(FieldPredicate item, SigmaValue value, String key) throws SigmaRuleException {
        SigmaModifier operator = item.modifiers().stream().filter(TYPES::contains).findFirst().orElseThrow();
        BigDecimal bound;
        try {
            bound = new BigDecimal(value.text().strip());
        } catch (NumberFormatException e) {
            throw new SigmaRuleException(value.location(), "'" + key + "' needs a number, not '" + value.text() + "'");
        }
        return new ValueMatcher.Compare(operator, bound);
    }

    private static ValueMatcher timePart(FieldPredicate item, SigmaModifier unit, SigmaValue value, String key,
                                         CompiledField target) throws SigmaRuleException {
        SigmaModifier operator = item.modifiers().stream().filter(COMPARISONS::contains).findFirst().orElse(null);
        int min = DateParts.min(unit);
        int max = DateParts.max(unit);
        String text = value.text().strip();
        long bound = Long.MIN_VALUE;
        if (text.matches("[+-]?[0-9]{1,18}")) {
            bound = Long.parseLong(text);
        }
        if (bound < min || bound > max) {
            throw new SigmaRuleException(value.location(), "'" + key + "' needs a whole number from " + min + " to "
                    + max + ", not '" + value.text() + "'");
        }
        if ((operator == SigmaModifier.GT && bound >= max) || (operator == SigmaModifier.LT && bound <= min)) {
            throw new SigmaRuleException(value.location(), "'" + key + "' is never true with " + bound + ": "
                    + unit.sigmaName() + " is " + min + " to " + max + ", so the rule could never fire as written");
        }
        return new ValueMatcher.TimePart(unit, operator, (int) bound,
                target.path().equals(DateParts.EVENT_TIMESTAMP));
    }

    private ValueMatcher fieldRef(FieldPredicate item, SigmaValue value, String key) throws SigmaRuleException {
        if (!(value.value() instanceof String name) || name.isBlank()) {
            throw new SigmaRuleException(value.location(), "'" + key + "' needs a field name, not '" + value.text() + "'");
        }
        if (name.indexOf('*') >= 0 || name.indexOf('?') >= 0) {
            throw new SigmaRuleException(value.location(), "'" + key + "' names the field '" + name + "', which has a "
                    + "wildcard: fieldref compares with one field, named exactly, and no field is named with a wildcard, "
                    + "so this item could never be true");
        }
        CompiledField other = fields.field(name, value.location());
        SigmaModifier mode = item.modifiers().stream().filter(POSITIONS::contains).findFirst().orElse(null);
        return new ValueMatcher.FieldRef(name, other.accessor(), mode, item.has(SigmaModifier.CASED));
    }

    /** The string patterns of one value after every transformation. */
    private List<Glob> strings(FieldPredicate item, SigmaValue value, String key) throws SigmaRuleException {
        List<Object> stage = new ArrayList<>(item.has(SigmaModifier.EXPAND) ? expand(value, key)
                : List.of(Glob.parse(value.text())));
        for (SigmaModifier modifier : item.modifiers()) {
            if (!ENCODINGS.contains(modifier) || modifier == SigmaModifier.EXPAND) {
                continue;
            }
            List<Object> next = new ArrayList<>();
            for (Object current : stage) {
                switch (modifier) {
                    case WINDASH -> {
                        if (!(current instanceof Glob glob)) {
                            throw new SigmaRuleException(value.location(), "'" + key + "': 'windash' must come before "
                                    + "encodings");
                        }
                        List<Glob> variants = glob.windashVariants(MAX_VARIANTS);
                        if (variants == null) {
                            throw new SigmaRuleException(value.location(), "'" + key + "': too many dashes for "
                                    + "'windash' (more than " + MAX_VARIANTS + " variants)");
                        }
                        next.addAll(variants);
                    }
                    case UTF16LE, WIDE -> next.add(encode(current, StandardCharsets.UTF_16LE, null, value, key));
                    case UTF16BE -> next.add(encode(current, StandardCharsets.UTF_16BE, null, value, key));
                    case UTF16 -> next.add(encode(current, StandardCharsets.UTF_16LE, new byte[] {(byte) 0xFF, (byte) 0xFE},
                            value, key));
                    case BASE64 -> next.add(Glob.literal(Base64.getEncoder().encodeToString(bytes(current, value, key))));
                    case BASE64OFFSET -> base64Offsets(bytes(current, value, key)).forEach(s -> next.add(Glob.literal(s)));
                    default -> throw new IllegalStateException("not an encoding: " + modifier);
                }
            }
            stage.clear();
            stage.addAll(next);
        }
        boolean implicitContains = item.isKeyword() && item.modifiers().stream().noneMatch(POSITIONS::contains);
        List<Glob> globs = new ArrayList<>(stage.size());
        for (Object current : stage) {
            Glob glob = current instanceof byte[] b ? Glob.literal(new String(b, StandardCharsets.ISO_8859_1)) : (Glob) current;
            if (item.has(SigmaModifier.CONTAINS) || implicitContains) {
                glob = glob.withLeadingAny().withTrailingAny();
            } else if (item.has(SigmaModifier.STARTSWITH)) {
                glob = glob.withTrailingAny();
            } else if (item.has(SigmaModifier.ENDSWITH)) {
                glob = glob.withLeadingAny();
            }
            globs.add(glob);
        }
        return globs;
    }

    private static byte[] encode(Object current, java.nio.charset.Charset charset, byte[] bom, SigmaValue value,
                                 String key) throws SigmaRuleException {
        if (!(current instanceof Glob glob) || glob.hasWildcards()) {
            throw new SigmaRuleException(value.location(), "'" + key + "': only plain text without wildcards can be "
                    + "UTF-16 encoded");
        }
        byte[] encoded = glob.text().getBytes(charset);
        if (bom == null) {
            return encoded;
        }
        byte[] withBom = new byte[encoded.length + bom.length];
        System.arraycopy(bom, 0, withBom, 0, bom.length);
        System.arraycopy(encoded, 0, withBom, bom.length, encoded.length);
        return withBom;
    }

    private static byte[] bytes(Object current, SigmaValue value, String key) throws SigmaRuleException {
        if (current instanceof byte[] b) {
            return b;
        }
        Glob glob = (Glob) current;
        if (glob.hasWildcards()) {
            throw new SigmaRuleException(value.location(), "'" + key + "': a value with wildcards cannot be base64 "
                    + "encoded (escape them with \\ or use 'contains')");
        }
        return glob.text().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The three base64 forms of {@code value} when it starts at byte offset 0, 1 or 2 of an encoded text, with the
     * characters that depend on unknown neighbours cut off (as in pySigma).
     */
    static List<String> base64Offsets(byte[] value) {
        int[] starts = {0, 2, 3};
        int[] endCuts = {0, 3, 2};
        List<String> forms = new ArrayList<>(3);
        for (int i = 0; i < 3; i++) {
            byte[] shifted = new byte[value.length + i];
            java.util.Arrays.fill(shifted, 0, i, (byte) ' ');
            System.arraycopy(value, 0, shifted, i, value.length);
            String encoded = Base64.getEncoder().encodeToString(shifted);
            int end = encoded.length() - endCuts[(value.length + i) % 3];
            forms.add(encoded.substring(starts[i], Math.max(starts[i], end)));
        }
        return forms;
    }

    /**
     * The patterns of {@code value} with each {@code %name%} replaced by each of its placeholder values (every
     * combination). A backslash-escaped percent sign ({@code \%}) is a plain {@code %}, and {@code \\}, {@code \*}
     * and {@code \?} stay escaped for the wildcard parser, so {@code \\%name%} is a backslash and a placeholder. The
     * rule's text and each placeholder value are parsed as patterns apart: a value's trailing backslash escapes
     * nothing of the rule after it, and a value is not expanded again.
     */
    private List<Glob> expand(SigmaValue value, String key) throws SigmaRuleException {
        String text = value.text();
        List<List<Glob>> results = List.of(List.of());
        StringBuilder literal = new StringBuilder();
        Matcher placeholder = PLACEHOLDER.matcher(text);
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(i + 1);
                if (next == '%') {
                    literal.append('%');
                    i += 2;
                } else if (next == '\\' || next == '*' || next == '?') {
                    literal.append(c).append(next); // still escaped for the wildcard parser
                    i += 2;
                } else {
                    literal.append(c); // a backslash that escapes nothing is itself
                    i++;
                }
            } else if (c == '%' && placeholder.region(i, text.length()).lookingAt()) {
                String name = placeholder.group(1);
                List<String> replacements = placeholders.get(name);
                if (replacements == null || replacements.isEmpty()) {
                    throw new SigmaRuleException(value.location(), "'" + key + "': unresolved placeholder %" + name
                            + "% (define it under 'placeholders' in the field mapping)");
                }
                if ((long) results.size() * replacements.size() > MAX_VARIANTS) {
                    throw new SigmaRuleException(value.location(), "'" + key + "': placeholders expand to more than "
                            + MAX_VARIANTS + " values");
                }
                Glob before = Glob.parse(literal.toString());
                List<List<Glob>> next = new ArrayList<>();
                for (List<Glob> partial : results) {
                    for (String replacement : replacements) {
                        List<Glob> parts = new ArrayList<>(partial);
                        parts.add(before);
                        parts.add(Glob.parse(replacement));
                        next.add(parts);
                    }
                }
                results = next;
                literal.setLength(0);
                i = placeholder.end();
            } else {
                literal.append(c);
                i++;
            }
        }
        Glob after = Glob.parse(literal.toString());
        List<Glob> complete = new ArrayList<>(results.size());
        for (List<Glob> partial : results) {
            List<Glob> parts = new ArrayList<>(partial);
            parts.add(after);
            complete.add(Glob.concat(parts));
        }
        return complete;
    }
}
