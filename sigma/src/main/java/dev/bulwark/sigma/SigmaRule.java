package dev.bulwark.sigma;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A parsed and validated Sigma detection rule.
 *
 * <p>Why: the one immutable description of a rule that the compiler, the rule test runner, the findings (title,
 * level, ATT&CK tags) and later the rules topic all share. Parsed by {@link SigmaRuleLoader}; compiled against a
 * {@link FieldMapping} by {@link SigmaEngine}.
 *
 * @param location where the rule document starts
 * @param id the rule's {@code id} (a UUID in SigmaHQ rules), or null
 * @param name the rule's {@code name} (used by correlations), or null
 * @param title the title (mandatory)
 * @param status stable, test, experimental, deprecated, unsupported, or null
 * @param level informational, low, medium, high, critical, or null
 * @param description free text, or null
 * @param author free text, or null
 * @param references links
 * @param tags tags such as {@code attack.t1059} and {@code attack.execution}
 * @param logsource the events the rule is written for
 * @param detection the detection logic
 * @param falsepositives known false positives
 * @param fields fields worth showing with a match
 * @param date creation date as written, or null
 * @param modified modification date as written, or null
 * @param shadow Bulwark's attribute {@code shadow: true}: the rule runs live, but its findings are marked shadow and
 *               indexed apart ({@code bulwark-shadow-findings-*}), out of the findings index, tenants' views and
 *               notifications, until {@code rules promote} drops the attribute
 */
public record SigmaRule(SourceLocation location, String id, String name, String title, String status, String level,
                        String description, String author, List<String> references, List<String> tags,
                        SigmaLogsource logsource, SigmaDetection detection, List<String> falsepositives,
                        List<String> fields, String date, String modified, boolean shadow) {

    /** The top-level attribute that puts a rule or correlation in shadow mode. */
    public static final String SHADOW = "shadow";

    private static final Pattern TECHNIQUE = Pattern.compile("t\\d{4}(\\.\\d{3})?");
    private static final Pattern OTHER_ATTACK_ID = Pattern.compile("[gs]\\d{4}");

    public SigmaRule {
        references = List.copyOf(references);
        tags = List.copyOf(tags);
        falsepositives = List.copyOf(falsepositives);
        fields = List.copyOf(fields);
    }

    /**
     * The key that identifies the rule in a rule set: its id, else its name, else its source and line. Adding a rule
     * with the key of an existing one replaces it.
     */
    public String key() {
        if (id != null) {
            return id;
        }
        return name != null ? name : location.toString();
    }

    /** The source the rule came from (file name or record key). */
    public String source() {
        return location.file();
    }

    /** ATT&CK techniques from {@code attack.tNNNN[.NNN]} tags, upper-cased ({@code T1059}). */
    public List<String> attackTechniques() {
        return attackTags().stream().filter(t -> TECHNIQUE.matcher(t).matches())
                .map(t -> t.toUpperCase(Locale.ROOT)).toList();
    }

    /** ATT&CK tactics from the other {@code attack.*} tags ({@code execution}, {@code privilege-escalation}). */
    public List<String> attackTactics() {
        return attackTags().stream()
                .filter(t -> !TECHNIQUE.matcher(t).matches() && !OTHER_ATTACK_ID.matcher(t).matches())
                .map(t -> t.replace('_', '-')).toList();
    }

    private List<String> attackTags() {
        return tags.stream().map(t -> t.toLowerCase(Locale.ROOT)).filter(t -> t.startsWith("attack."))
                .map(t -> t.substring("attack.".length())).toList();
    }
}
